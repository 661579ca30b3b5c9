// Surety public keys (JWK) registered by the operator: all Kysely code for surety_keys.
import type { Kysely } from 'kysely';
import type { Database, SuretyKeyRow } from './database.ts';

export interface SuretyKeyWithOrg extends SuretyKeyRow {
  surety_code: string;
}

export function findSuretyKey(db: Kysely<Database>, kid: string): Promise<SuretyKeyWithOrg | undefined> {
  return db
    .selectFrom('surety_keys')
    .innerJoin('organisations', 'organisations.id', 'surety_keys.surety_id')
    .selectAll('surety_keys')
    .select('organisations.code as surety_code')
    .where('surety_keys.kid', '=', kid)
    .where('organisations.kind', '=', 'surety')
    .executeTakeFirst();
}

export async function insertSuretyKey(
  db: Kysely<Database>,
  key: { kid: string; suretyId: number; publicJwk: string; alg: 'EdDSA' | 'ES256'; now: number },
): Promise<void> {
  await db
    .insertInto('surety_keys')
    .values({
      kid: key.kid,
      surety_id: key.suretyId,
      public_jwk: key.publicJwk,
      alg: key.alg,
      created_at: key.now,
      revoked_at: null,
    })
    .execute();
}

/** Returns false if no active key has this kid. */
export async function revokeSuretyKey(db: Kysely<Database>, kid: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('surety_keys')
    .set({ revoked_at: now })
    .where('kid', '=', kid)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Remember a bearer token id; false if it was already used (replay). Expired ids are pruned on the way. */
export async function useJti(db: Kysely<Database>, jti: string, exp: number, now: number): Promise<boolean> {
  await db
    .deleteFrom('api_jti')
    .where('exp', '<', Math.floor(now / 1000))
    .execute();
  const r = await db
    .insertInto('api_jti')
    .values({ jti, exp })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}
