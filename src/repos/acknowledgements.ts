// 受領/返戻: all Kysely code for the append-only acknowledgements table (orderer writes, surety cursor reads).
import type { Kysely } from 'kysely';
import type { AcknowledgementRow, Database } from './database.ts';
import { preparedQuery } from './prepared.ts';

export type AcknowledgementKind = AcknowledgementRow['kind'];

export async function insertAcknowledgement(
  db: Kysely<Database>,
  row: {
    contractNumber: string;
    suretyId: number;
    orgCode: string;
    userId: number;
    kind: AcknowledgementKind;
    reason: string | null;
    at: number;
  },
): Promise<number> {
  const r = await db
    .insertInto('acknowledgements')
    .values({
      contract_number: row.contractNumber,
      surety_id: row.suretyId,
      org_code: row.orgCode,
      user_id: row.userId,
      kind: row.kind,
      reason: row.reason,
      at: row.at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export type AcknowledgementWithUser = AcknowledgementRow & { user_login: string; user_name: string | null };

/** This organisation's marks on one certificate, newest first (the page shows the latest and the history). */
const acknowledgementsForOrg = preparedQuery((db, orgCode: string, contractNumber: string, limit: number) =>
  db
    .selectFrom('acknowledgements as a')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .selectAll('a')
    .select(['u.login as user_login', 'u.display_name as user_name'])
    .where('a.contract_number', '=', contractNumber)
    .where('a.org_code', '=', orgCode)
    .orderBy('a.id', 'desc')
    .limit(limit),
);

export function listAcknowledgementsForOrg(
  db: Kysely<Database>,
  orgCode: string,
  contractNumber: string,
  limit = 50,
): Promise<AcknowledgementWithUser[]> {
  return acknowledgementsForOrg(db, orgCode, contractNumber, limit);
}

/** The surety's cursor read: marks on its own certificates with id > since, oldest first. */
export function listAcknowledgementsForSurety(
  db: Kysely<Database>,
  suretyId: number,
  since: number,
  limit: number,
): Promise<AcknowledgementRow[]> {
  return db
    .selectFrom('acknowledgements')
    .selectAll()
    .where('surety_id', '=', suretyId)
    .where('id', '>', since)
    .orderBy('id')
    .limit(limit)
    .execute();
}
