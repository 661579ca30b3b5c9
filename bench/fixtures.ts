// Benchmark fixtures: fill both trust logs of a runtime with many realistic entries quickly, straight through
// TrustLog.append (bypassing HTTP, JWS verification and the sequencer) in batches, with the same domain rows the
// ingest and the access log write — so `densho verify-log` has full work to do. Used by the verify-log benchmark.
import { createHash, randomBytes } from 'node:crypto';
import type { CompiledQuery, Insertable } from 'kysely';
import { toBase64 } from '../src/domain/bytes.ts';
import { accessLeaf, certLeaf } from '../src/domain/leaf.ts';
import type { NodeRuntime } from '../src/platform/node/runtime.ts';
import type { AccessEventsTable, CertificateEventsTable, CertificatesTable } from '../src/repos/database.ts';
import { findOrganisation, insertOrganisation } from '../src/repos/organisations.ts';
import type { LogEntryDraft } from '../src/services/trust-log.ts';

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
      const payload = {
        eventId: `bench-${run}-${seq}`,
        event: 'issue' as const,
        targetVersion: null,
        contractNumber,
        product: 'advance_payment',
        orderer: { code: '092134', name: '那須塩原市長' },
        contractor: { name: '〇〇建設 株式会社' },
        jv: null,
        work: {
          name: '●●●●工事',
          location: '那須塩原市',
          periodStart: '2025-12-20',
          periodEnd: '2026-03-31',
        },
        contractAmount: 50_000_000,
        guaranteeAmount: 20_000_000,
        guaranteePeriod: { start: '2025-12-20', end: '2026-04-30' },
        depositBank: { name: '〇〇銀行', branch: '××支店' },
        contractDate: '2025-12-19',
        remarks: null,
      };
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
