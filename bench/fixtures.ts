// Benchmark fixtures: fill both trust logs of a runtime with many realistic entries quickly, straight through
// TrustLog.append (bypassing HTTP, JWS verification and the sequencer) in batches, with the same domain rows the
// ingest and the access log write — so `densho verify-log` has full work to do. Used by the verify-log benchmark.
// seedOrdererCertificates: certificates for one orderer with KNOWN 認証キー (and optionally already on its
// 確認済み保証一覧), for the verify and certificate-page benchmarks.
import { createHash, randomBytes } from 'node:crypto';
import type { CompiledQuery, Insertable } from 'kysely';
import { authKeyDigest, generateAuthKey, normalizeAuthKey } from '../src/domain/auth-key.ts';
import { toBase64 } from '../src/domain/bytes.ts';
import { PRODUCT_CODES } from '../src/domain/certificate.ts';
import { accessLeaf, certLeaf } from '../src/domain/leaf.ts';
import type { NodeRuntime } from '../src/platform/node/runtime.ts';
import type {
  AccessEventsTable,
  CertificateEventsTable,
  CertificatesTable,
  OrgCertificatesTable,
} from '../src/repos/database.ts';
import { findOrganisation, insertOrganisation } from '../src/repos/organisations.ts';
import type { LogEntryDraft } from '../src/services/trust-log.ts';
import { sampleIssueEvent } from '../test/shared/sample-event.ts';

export interface FillCounts {
  certs: number;
  access: number;
}

export interface FillOptions {
  /** Drafts per TrustLog.append (one transaction and one signed checkpoint each). */
  batch?: number;
  /** Called after every batch with the number of entries written so far. */
  onProgress?: (log: 'certs' | 'access', done: number, total: number) => void;
}

const ROWS_PER_INSERT = 1000; // 1000 rows × ≤ 14 columns stays under SQLite's 32766 bound parameters

/**
 * Append `counts.certs` certificate events (each a new 前払金保証 issue with its certificates row) and
 * `counts.access` access events. The JWS bytes are realistic in size and shape but carry a dummy signature:
 * verify-log checks submission = SHA-256(jws), not the surety's signature.
 */
export async function fillLogs(
  runtime: NodeRuntime,
  counts: FillCounts,
  options: FillOptions = {},
): Promise<void> {
  const batch = options.batch ?? 4096;
  const db = runtime.database.db;
  const now = Date.now();
  const suretyCode = 'bench-surety';
  const surety =
    (await findOrganisation(db, 'surety', suretyCode))?.id ??
    (await insertOrganisation(db, {
      kind: 'surety',
      code: suretyCode,
      name: 'ベンチマーク保証株式会社',
      acceptsEsurety: false,
      acceptsSince: null,
      now,
    }));
  const run = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`.toUpperCase();
  const header = Buffer.from(
    JSON.stringify({ alg: 'EdDSA', kid: 'bench', typ: 'densho-event+jws' }),
  ).toString('base64url');
  const signature = randomBytes(64).toString('base64url');
  const authKeyDigest = randomBytes(32);

  for (let done = 0; done < counts.certs; ) {
    const n = Math.min(batch, counts.certs - done);
    const certRows: Insertable<CertificatesTable>[] = [];
    const eventRows: Insertable<CertificateEventsTable>[] = [];
    const drafts: LogEntryDraft<null>[] = [];
    for (let i = 0; i < n; i++) {
      const seq = done + i;
      const contractNumber = `B${run}-${String(seq).padStart(8, '0')}`;
      const payload = sampleIssueEvent({ eventId: `bench-${run}-${seq}`, contractNumber });
      const payloadJson = JSON.stringify(payload);
      const jws = `${header}.${Buffer.from(payloadJson).toString('base64url')}.${signature}`;
      const submission = createHash('sha256').update(jws).digest();
      const last = i === n - 1;
      drafts.push({
        leaf: (_index, timestamp) =>
          certLeaf({
            contractNumber,
            event: 'issue',
            issuedAt: timestamp,
            submission: toBase64(submission),
            surety: suretyCode,
            version: 1,
          }),
        // Rows are collected per draft and written as multi-row INSERTs by the batch's last draft (finish() runs
        // in draft order): a million single-row statements would make filling, not verifying, the slow part.
        finish: (ctx) => {
          certRows.push({
            contract_number: contractNumber,
            surety_id: surety,
            orderer_code: '092134',
            product: 'advance_payment',
            auth_key_digest: authKeyDigest,
            status: 'active',
            versions: 1,
            work_name: '●●●●工事',
            contractor_name: '〇〇建設 株式会社',
            first_issued_at: ctx.timestamp,
            last_issued_at: ctx.timestamp,
          });
          eventRows.push({
            log_index: ctx.index,
            contract_number: contractNumber,
            version: 1,
            event: 'issue',
            target_version: null,
            surety_id: surety,
            event_id: payload.eventId,
            kid: 'bench',
            jws,
            submission,
            payload: payloadJson,
            issued_at: ctx.timestamp,
            tree_size: ctx.treeSize,
            receipt: 'bench',
          });
          return { writes: last ? certWrites(runtime, certRows, eventRows) : [], result: null };
        },
      });
    }
    await runtime.logs.certs.append(drafts);
    done += n;
    options.onProgress?.('certs', done, counts.certs);
  }

  const net = runtime.access.net(null);
  for (let done = 0; done < counts.access; ) {
    const n = Math.min(batch, counts.access - done);
    const rows: Insertable<AccessEventsTable>[] = [];
    const drafts: LogEntryDraft<null>[] = [];
    for (let i = 0; i < n; i++) {
      const seq = done + i;
      const action = seq % 3 === 0 ? 'certificate.view' : seq % 3 === 1 ? 'login' : 'certificate.verify';
      const actor = `user:${seq % 97}`;
      const target = seq % 3 === 1 ? null : `B${run}-${String(seq).padStart(8, '0')}`;
      const last = i === n - 1;
      drafts.push({
        leaf: (_index, at) => accessLeaf({ action, actor, at, net, outcome: 'ok', target }),
        finish: (ctx) => {
          rows.push({
            log_index: ctx.index,
            at: ctx.timestamp,
            action,
            outcome: 'ok',
            actor,
            org_code: '092134',
            target,
            net,
            ip: '127.0.0.1',
            user_agent: 'bench',
            request_id: null,
            detail: null,
          });
          const writes = last
            ? chunked(rows, (r) => runtime.database.db.insertInto('access_events').values(r).compile())
            : [];
          return { writes, result: null };
        },
      });
    }
    await runtime.logs.access.append(drafts);
    done += n;
    options.onProgress?.('access', done, counts.access);
  }
}

export interface SeededCertificate {
  contractNumber: string;
  /** As the surety hands it to the contractor: ABCD-EFGH-JKMN-PQRS. */
  authKey: string;
}

export interface SeedOptions {
  count: number;
  ordererCode?: string;
  ordererName?: string;
  /** Also put every certificate on the orderer's 確認済み保証一覧 (as if a clerk had verified each once). */
  onList?: boolean;
  /** Every n-th certificate also gets a 変更 (version 2), so pages show a two-row history. 0: none. */
  changeEvery?: number;
  batch?: number;
}

const CONTRACTORS = ['〇〇建設 株式会社', '株式会社 △△組', '□□工業 株式会社', '那須野建設 株式会社'];
const WORKS = ['道路改良工事', '橋梁補修工事', '小学校校舎改築工事', '上水道管布設替工事', '河川護岸工事'];

/**
 * Issue `count` certificates to one orderer straight through TrustLog.append (leaves, certificates and
 * certificate_events rows exactly as the ingest writes them, JWS with a dummy signature), each with its own
 * platform-style 認証キー whose HMAC digest is stored like the ingest stores it. Returns the numbers and keys.
 */
export async function seedOrdererCertificates(
  runtime: NodeRuntime,
  options: SeedOptions,
): Promise<SeededCertificate[]> {
  const batch = options.batch ?? 2048;
  const ordererCode = options.ordererCode ?? '092134';
  const ordererName = options.ordererName ?? '那須塩原市長';
  const changeEvery = options.changeEvery ?? 0;
  const db = runtime.database.db;
  const secret = runtime.keys.secrets.authKey;
  const now = Date.now();
  const suretyCode = 'bench-surety';
  const surety =
    (await findOrganisation(db, 'surety', suretyCode))?.id ??
    (await insertOrganisation(db, {
      kind: 'surety',
      code: suretyCode,
      name: 'ベンチマーク保証株式会社',
      acceptsEsurety: false,
      acceptsSince: null,
      now,
    }));
  const run = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`.toUpperCase();
  const header = Buffer.from(
    JSON.stringify({ alg: 'EdDSA', kid: 'bench', typ: 'densho-event+jws' }),
  ).toString('base64url');
  const signature = randomBytes(64).toString('base64url');
  const seeded: SeededCertificate[] = [];

  for (let done = 0; done < options.count; ) {
    const n = Math.min(batch, options.count - done);
    const certRows: Insertable<CertificatesTable>[] = [];
    const eventRows: Insertable<CertificateEventsTable>[] = [];
    const listRows: Insertable<OrgCertificatesTable>[] = [];
    const drafts: LogEntryDraft<null>[] = [];
    for (let i = 0; i < n; i++) {
      const seq = done + i;
      const contractNumber = `V${run}-${String(seq).padStart(6, '0')}`;
      const authKey = generateAuthKey();
      seeded.push({ contractNumber, authKey });
      const digest = authKeyDigest(secret, normalizeAuthKey(authKey) as string);
      const product = PRODUCT_CODES[seq % PRODUCT_CODES.length]!;
      const workName = `${WORKS[seq % WORKS.length]}（その${(seq % 7) + 1}）`;
      const contractorName = CONTRACTORS[seq % CONTRACTORS.length]!;
      const issue = sampleIssueEvent(
        { eventId: `seed-${run}-${seq}`, contractNumber },
        {
          product,
          orderer: { code: ordererCode, name: ordererName },
          contractor: { name: contractorName },
          work: {
            name: workName,
            location: '那須塩原市',
            periodStart: '2025-12-20',
            periodEnd: '2026-03-31',
          },
          contractAmount: 50_000_000 + seq,
        },
      );
      const payloads: Record<string, unknown>[] = [issue];
      if (changeEvery > 0 && seq % changeEvery === 0) {
        payloads.push({
          ...issue,
          eventId: `seed-${run}-${seq}-c`,
          event: 'change',
          contractAmount: 60_000_000 + seq,
          remarks: '変更契約（請負金額の増額）',
        });
      }
      payloads.forEach((payload, k) => {
        const version = k + 1;
        const event = k === 0 ? 'issue' : 'change';
        const payloadJson = JSON.stringify(payload);
        const jws = `${header}.${Buffer.from(payloadJson).toString('base64url')}.${signature}`;
        const submission = createHash('sha256').update(jws).digest();
        const lastOfCert = k === payloads.length - 1;
        const lastOfBatch = i === n - 1 && lastOfCert;
        let firstIssuedAt = 0;
        drafts.push({
          leaf: (_index, timestamp) =>
            certLeaf({
              contractNumber,
              event,
              issuedAt: timestamp,
              submission: toBase64(submission),
              surety: suretyCode,
              version,
            }),
          finish: (ctx) => {
            if (k === 0) firstIssuedAt = ctx.timestamp;
            eventRows.push({
              log_index: ctx.index,
              contract_number: contractNumber,
              version,
              event,
              target_version: null,
              surety_id: surety,
              event_id: String(payload.eventId),
              kid: 'bench',
              jws,
              submission,
              payload: payloadJson,
              issued_at: ctx.timestamp,
              tree_size: ctx.treeSize,
              receipt: 'bench',
            });
            if (lastOfCert) {
              certRows.push({
                contract_number: contractNumber,
                surety_id: surety,
                orderer_code: ordererCode,
                product,
                auth_key_digest: digest,
                status: 'active',
                versions: version,
                work_name: workName,
                contractor_name: contractorName,
                first_issued_at: firstIssuedAt || ctx.timestamp,
                last_issued_at: ctx.timestamp,
              });
              if (options.onList) {
                listRows.push({
                  org_code: ordererCode,
                  contract_number: contractNumber,
                  first_verified_at: ctx.timestamp,
                  // Most were opened once after verifying; some of those have changed since (更新あり).
                  last_viewed_at: seq % 3 === 0 ? null : ctx.timestamp,
                  last_viewed_version: seq % 3 === 0 ? null : 1,
                });
              }
            }
            const writes = lastOfBatch
              ? [
                  ...certWrites(runtime, certRows, eventRows),
                  ...chunked(listRows, (r) => db.insertInto('org_certificates').values(r).compile()),
                ]
              : [];
            return { writes, result: null };
          },
        });
      });
    }
    await runtime.logs.certs.append(drafts);
    done += n;
  }
  return seeded;
}

function certWrites(
  runtime: NodeRuntime,
  certRows: Insertable<CertificatesTable>[],
  eventRows: Insertable<CertificateEventsTable>[],
): CompiledQuery[] {
  const db = runtime.database.db;
  return [
    ...chunked(certRows, (r) => db.insertInto('certificates').values(r).compile()),
    ...chunked(eventRows, (r) => db.insertInto('certificate_events').values(r).compile()),
  ];
}

function chunked<T>(rows: T[], compile: (chunk: T[]) => CompiledQuery): CompiledQuery[] {
  const out: CompiledQuery[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
    out.push(compile(rows.slice(i, i + ROWS_PER_INSERT)));
  return out;
}
