// 確認済み保証一覧: all Kysely code for org_certificates (an orderer organisation's right to see a certificate).
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import type { CertificateRow, Database, OrgCertificateRow } from './database.ts';
import { preparedCompiled, preparedQuery } from './prepared.ts';

/** A listed certificate as the orderer sees it: the certificate row (minus the key digest) plus the org's marks. */
export type OrgCertificate = Omit<CertificateRow, 'auth_key_digest'> &
  Pick<OrgCertificateRow, 'first_verified_at' | 'last_viewed_at' | 'last_viewed_version'>;

const CERT_COLUMNS = [
  'c.contract_number',
  'c.surety_id',
  'c.orderer_code',
  'c.product',
  'c.status',
  'c.versions',
  'c.work_name',
  'c.contractor_name',
  'c.first_issued_at',
  'c.last_issued_at',
  'o.first_verified_at',
  'o.last_viewed_at',
  'o.last_viewed_version',
] as const;

/**
 * Record that the organisation verified the certificate. A second successful check changes nothing: the first
 * verification time and the "last viewed" marks stay (ON CONFLICT DO NOTHING). A compiled query: it commits in
 * the same transaction as the access event that grants it (services/verify-certificate.ts).
 */
export function addOrgCertificateQuery(
  db: Kysely<Database>,
  row: { orgCode: string; contractNumber: string; now: number },
): CompiledQuery {
  return addOrgCertificate(db, row.orgCode, row.contractNumber, row.now);
}

const addOrgCertificate = preparedCompiled(
  (db: Kysely<Database>, orgCode: string, contractNumber: string, now: number) =>
    db
      .insertInto('org_certificates')
      .values({
        org_code: orgCode,
        contract_number: contractNumber,
        first_verified_at: now,
        last_viewed_at: null,
        last_viewed_version: null,
      })
      .onConflict((oc) => oc.columns(['org_code', 'contract_number']).doNothing()),
);

/** The certificate if (and only if) this organisation has it in its list, with the issuing surety's name. */
const orgCertificate = preparedQuery((db, orgCode: string, contractNumber: string) =>
  db
    .selectFrom('org_certificates as o')
    .innerJoin('certificates as c', 'c.contract_number', 'o.contract_number')
    .innerJoin('organisations as s', 's.id', 'c.surety_id')
    .select(CERT_COLUMNS)
    .select('s.name as surety_name')
    .where('o.org_code', '=', orgCode)
    .where('o.contract_number', '=', contractNumber),
);

/** Every certificate page reads this: prepared once (repos/prepared.ts). */
export async function findOrgCertificate(
  db: Kysely<Database>,
  orgCode: string,
  contractNumber: string,
): Promise<(OrgCertificate & { surety_name: string }) | undefined> {
  return (await orgCertificate(db, orgCode, contractNumber))[0];
}

/**
 * A certificate as a 保証確認 reads it: with its key digest (to check the key) and this organisation's marks when
 * the organisation has it in its list already — null marks when it does not (a first verification). One read for
 * the check and, when the answer is the certificate page, for the page too.
 */
const certificateForOrg = preparedQuery((db, orgCode: string, contractNumber: string) =>
  db
    .selectFrom('certificates as c')
    .innerJoin('organisations as s', 's.id', 'c.surety_id')
    .leftJoin('org_certificates as o', (j) =>
      j.onRef('o.contract_number', '=', 'c.contract_number').on('o.org_code', '=', orgCode),
    )
    .select(CERT_COLUMNS)
    .select(['s.name as surety_name', 'c.auth_key_digest'])
    .where('c.contract_number', '=', contractNumber),
);

export type CertificateForOrg = Omit<OrgCertificate, 'first_verified_at'> & {
  first_verified_at: number | null;
  surety_name: string;
  auth_key_digest: Uint8Array;
};

export async function findCertificateForOrg(
  db: Kysely<Database>,
  orgCode: string,
  contractNumber: string,
): Promise<CertificateForOrg | undefined> {
  return (await certificateForOrg(db, orgCode, contractNumber))[0];
}

/**
 * The organisation has now seen the certificate up to event `version`. Never moves backwards: two tabs opened
 * before and after a new 変更 must not make the older one "unsee" it. A compiled query: it commits in the same
 * transaction as the view's access event (services/certificate-view.ts).
 */
export function markViewedQuery(
  db: Kysely<Database>,
  row: { orgCode: string; contractNumber: string; version: number; now: number },
): CompiledQuery {
  return markViewed(db, row.orgCode, row.contractNumber, row.version, row.now);
}

const markViewed = preparedCompiled(
  (db: Kysely<Database>, orgCode: string, contractNumber: string, version: number, now: number) =>
    db
      .updateTable('org_certificates')
      .set({
        last_viewed_at: now,
        last_viewed_version: sql<number>`max(coalesce(last_viewed_version, 0), ${version})`,
      })
      .where('org_code', '=', orgCode)
      .where('contract_number', '=', contractNumber),
);

/** Keyset position: the last row of the previous page in (last_issued_at DESC, contract_number DESC) order. */
export interface ListCursor {
  lastIssuedAt: number;
  contractNumber: string;
}

export interface ListQuery {
  orgCode: string;
  /** Free text as typed (NFC, trimmed); matched against 工事名 and 請負契約者. */
  text: string | null;
  /** The same text folded for identifiers (NFKC, upper-case); matched against 保証契約番号. */
  numberText: string | null;
  product: string | null;
  status: 'active' | 'terminated' | null;
  after: ListCursor | null;
  limit: number;
}

/** LIKE pattern for "contains": %, _ and the escape character itself are matched literally. */
export function containsPattern(s: string): string {
  return `%${s.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}

/**
 * One page of the organisation's list, newest first (last_issued_at, then contract_number), without OFFSET:
 * a certificate that arrives while someone pages is on an earlier page, so no row is skipped or repeated.
 * Returns up to `limit + 1` rows; the caller uses the extra row only to know there is a next page.
 *
 * Walks certificates_by_orderer (orderer_code, last_issued_at) newest first and stops after limit + 1 listed
 * rows: an organisation can only ever have verified certificates that name it as 発注者 (verify-certificate.ts;
 * orderer.code never changes), so `c.orderer_code = org` drops nothing and turns a sort of the whole list (9 ms
 * at 10,000 certificates) into an index walk (0.03 ms). CROSS JOIN pins that join order: after ANALYZE SQLite
 * would otherwise start from org_certificates and sort again.
 */
export function listOrgCertificates(db: Kysely<Database>, q: ListQuery): Promise<OrgCertificate[]> {
  let query = db
    .selectFrom('certificates as c')
    .crossJoin('org_certificates as o')
    .select(CERT_COLUMNS)
    .where('c.orderer_code', '=', q.orgCode)
    .where('o.org_code', '=', q.orgCode)
    .whereRef('o.contract_number', '=', 'c.contract_number');
  if (q.text !== null) {
    const text = containsPattern(q.text);
    const number = containsPattern(q.numberText ?? q.text);
    query = query.where(
      sql<boolean>`(c.contract_number LIKE ${number} ESCAPE '\\' OR c.work_name LIKE ${text} ESCAPE '\\' OR c.contractor_name LIKE ${text} ESCAPE '\\')`,
    );
  }
  if (q.product !== null) query = query.where('c.product', '=', q.product);
  if (q.status !== null) query = query.where('c.status', '=', q.status);
  if (q.after !== null) {
    const a = q.after;
    // The redundant `<=` gives the index walk its starting point; the OR breaks ties by number.
    query = query
      .where('c.last_issued_at', '<=', a.lastIssuedAt)
      .where((eb) =>
        eb.or([
          eb('c.last_issued_at', '<', a.lastIssuedAt),
          eb.and([
            eb('c.last_issued_at', '=', a.lastIssuedAt),
            eb('c.contract_number', '<', a.contractNumber),
          ]),
        ]),
      );
  }
  return query
    .orderBy('c.last_issued_at', 'desc')
    .orderBy('c.contract_number', 'desc')
    .limit(q.limit + 1)
    .execute();
}
