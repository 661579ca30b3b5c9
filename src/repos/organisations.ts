// Organisations (orderers, sureties, the platform): all Kysely code for the organisations table.
import type { Kysely } from 'kysely';
import type { Database, OrganisationRow } from './database.ts';

export type OrgKind = OrganisationRow['kind'];

export function findOrganisation(
  db: Kysely<Database>,
  kind: OrgKind,
  code: string,
): Promise<OrganisationRow | undefined> {
  return db
    .selectFrom('organisations')
    .selectAll()
    .where('kind', '=', kind)
    .where('code', '=', code)
    .executeTakeFirst();
}

/** Orderers among `codes` that accept 電子保証 (the only ones a certificate may name). */
export async function acceptingOrdererCodes(
  db: Kysely<Database>,
  codes: readonly string[],
): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const rows = await db
    .selectFrom('organisations')
    .select('code')
    .where('kind', '=', 'orderer')
    .where('accepts_esurety', '=', 1)
    .where('code', 'in', [...codes])
    .execute();
  return new Set(rows.map((r) => r.code));
}

/** The public registry: orderers that accept 電子保証, by code. */
export function listAcceptingOrderers(
  db: Kysely<Database>,
): Promise<Pick<OrganisationRow, 'code' | 'name' | 'accepts_since'>[]> {
  return db
    .selectFrom('organisations')
    .select(['code', 'name', 'accepts_since'])
    .where('kind', '=', 'orderer')
    .where('accepts_esurety', '=', 1)
    .orderBy('code')
    .execute();
}

export async function insertOrganisation(
  db: Kysely<Database>,
  org: {
    kind: OrgKind;
    code: string;
    name: string;
    acceptsEsurety: boolean;
    acceptsSince: string | null;
    now: number;
  },
): Promise<number> {
  const r = await db
    .insertInto('organisations')
    .values({
      kind: org.kind,
      code: org.code,
      name: org.name,
      accepts_esurety: org.acceptsEsurety ? 1 : 0,
      accepts_since: org.acceptsSince,
      created_at: org.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export function updateOrganisation(
  db: Kysely<Database>,
  id: number,
  set: { name: string; acceptsEsurety: boolean; acceptsSince: string | null },
) {
  return db
    .updateTable('organisations')
    .set({ name: set.name, accepts_esurety: set.acceptsEsurety ? 1 : 0, accepts_since: set.acceptsSince })
    .where('id', '=', id)
    .execute();
}
