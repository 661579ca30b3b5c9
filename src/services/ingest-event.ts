// Ingest: a verified surety event becomes a certificate version, a leaf in the certs log, and a receipt.
// Requests are group-committed; each batch applies idempotency and the event rules in arrival order
// (so two events on one contract in the same batch see each other) and commits everything at once.
import type { CompiledQuery, Insertable, Kysely } from 'kysely';
import { authKeyDigest, generateAuthKey, normalizeAuthKey } from '../domain/auth-key.ts';
import { bytesEqual, sha256, toBase64, utf8 } from '../domain/bytes.ts';
import { contentOf, type EventPayload } from '../domain/certificate.ts';
import { checkNextEvent, project, type StoredEvent } from '../domain/history.ts';
import { certLeaf } from '../domain/leaf.ts';
import {
  findEventByLogIndex,
  findEventsByEventIds,
  loadCertificatesWithEvents,
  storedEvent,
} from '../repos/certificates.ts';
import type { CertificateRow, CertificatesTable, Database, NewCertificateEvent } from '../repos/database.ts';
import { acceptingOrdererCodes } from '../repos/organisations.ts';
import type { ReceiptDocument, ReceiptPayload, ReceiptSigner } from './receipts.ts';
import { GroupCommitter } from './sequencer.ts';
import { type AppendContext, chunks, type LogEntryDraft, type TrustLog } from './trust-log.ts';

export interface IngestRequest {
  suretyId: number;
  suretyCode: string;
  kid: string;
  /** The compact JWS exactly as received: stored verbatim, hashed into the leaf. */
  jws: string;
  payload: EventPayload;
}

export type IngestRejection = {
  kind: 'rejected';
  status: 404 | 409 | 422;
  code: string;
  detail: string;
  path?: string;
};

export type IngestOutcome =
  | { kind: 'created'; body: ReceiptDocument }
  | { kind: 'replayed'; body: ReceiptDocument }
  | IngestRejection;

export interface IngestDeps {
  db: Kysely<Database>;
  log: TrustLog;
  receiptSigner: ReceiptSigner;
  authKeySecret: Uint8Array;
  sequencer?: { maxPending?: number; maxBatch?: number; maxDelayMs?: number };
}

interface WorkingCertificate {
  suretyId: number;
  row: CertificateRow | null;
  events: StoredEvent[];
  /** Set when this batch issues the certificate: the only moment the key exists in clear. */
  authKeyDigest?: Uint8Array;
  touched?: boolean;
}

type Slot =
  | { kind: 'draft'; draft: number; authKey: string | null }
  | { kind: 'replay-prior'; logIndex: number }
  | { kind: 'replay-batch'; draft: number }
  | IngestRejection;

interface DraftResult {
  row: {
    contractNumber: string;
    version: number;
    event: string;
    issuedAt: number;
    treeSize: number;
    receipt: string;
  };
  logIndex: number;
  leaf: Uint8Array;
  eventRow: NewCertificateEvent;
}

export class CertificateIngest {
  private readonly committer: GroupCommitter<IngestRequest, IngestOutcome>;

  constructor(private readonly deps: IngestDeps) {
    this.committer = new GroupCommitter({
      maxPending: deps.sequencer?.maxPending ?? 4096,
      maxBatch: deps.sequencer?.maxBatch ?? 512,
      maxDelayMs: deps.sequencer?.maxDelayMs ?? 0,
      process: (items) => this.processBatch(items),
    });
  }

  /** Resolves once the outcome is durable; rejects with SequencerFullError (503) or an infrastructure error. */
  submit(req: IngestRequest): Promise<IngestOutcome> {
    return this.committer.submit(req);
  }

  close(): Promise<void> {
    return this.committer.close();
  }

  private async processBatch(reqs: IngestRequest[]): Promise<IngestOutcome[]> {
    const { db, log } = this.deps;
    const submissions = reqs.map((r) => sha256(utf8(r.jws)));
    const prior = await findEventsByEventIds(
      db,
      reqs.map((r) => ({ suretyId: r.suretyId, eventId: r.payload.eventId })),
    );
    const priorByKey = new Map(prior.map((p) => [eventKey(p.surety_id, p.event_id), p]));
    const loaded = await loadCertificatesWithEvents(
      db,
      reqs.map((r) => r.payload.contractNumber),
    );
    const certs = new Map<string, WorkingCertificate>();
    for (const row of loaded.certificates)
      certs.set(row.contract_number, { suretyId: row.surety_id, row, events: [] });
    for (const e of loaded.events) certs.get(e.contract_number)?.events.push(storedEvent(e));
    const ordererCodes = reqs.flatMap((r) => {
      const c = contentOf(r.payload);
      return c ? [c.orderer.code] : [];
    });
    const accepting = await acceptingOrdererCodes(db, ordererCodes);

    const drafts: LogEntryDraft<DraftResult>[] = [];
    const inBatch = new Map<string, { draft: number; submission: Uint8Array }>();
    const slots: Slot[] = reqs.map((req, i) => {
      const submission = submissions[i]!;
      const p = req.payload;
      const key = eventKey(req.suretyId, p.eventId);
      // Idempotency on eventId: same bytes → the original receipt; different bytes → 409.
      const before = priorByKey.get(key);
      if (before) {
        return bytesEqual(before.submission, submission)
          ? { kind: 'replay-prior', logIndex: before.log_index }
          : conflictEventId(p.eventId);
      }
      const earlier = inBatch.get(key);
      if (earlier) {
        return bytesEqual(earlier.submission, submission)
          ? { kind: 'replay-batch', draft: earlier.draft }
          : conflictEventId(p.eventId);
      }
      let cert = certs.get(p.contractNumber);
      if (p.event === 'issue') {
        if (cert) {
          return reject(
            409,
            'contract-number-taken',
            `保証契約番号 ${p.contractNumber} は既に登録されています。`,
            'contractNumber',
          );
        }
      } else if (!cert || cert.suretyId !== req.suretyId) {
        // Another surety's number answers exactly like an unknown one: no probing of who issued what.
        return reject(
          404,
          'contract-not-found',
          `保証契約番号 ${p.contractNumber} の保証は登録されていません。`,
          'contractNumber',
        );
      }
      const content = contentOf(p);
      if (content && !accepting.has(content.orderer.code)) {
        return reject(
          422,
          'orderer-not-accepting',
          `発注者コード ${content.orderer.code} は電子保証に対応した発注者として登録されていません。GET /api/v1/orderers で確認してください。`,
          'orderer.code',
        );
      }
      const check = checkNextEvent(cert?.events ?? [], p);
      if (!check.ok) {
        const status =
          check.code === 'not-found'
            ? 404
            : check.code === 'already-exists' || check.code === 'terminated'
              ? 409
              : 422;
        return reject(status, check.code, check.message, check.path);
      }
      if (!cert) {
        cert = { suretyId: req.suretyId, row: null, events: [] };
        certs.set(p.contractNumber, cert);
      }
      const authKey = p.event === 'issue' ? generateAuthKey() : null;
      if (authKey) cert.authKeyDigest = authKeyDigest(this.deps.authKeySecret, normalizeAuthKey(authKey)!);
      cert.touched = true;
      const stored: StoredEvent = {
        version: cert.events.length + 1,
        event: p.event,
        targetVersion: p.targetVersion ?? null,
        issuedAt: 0, // assigned by the log when the batch is sequenced
        logIndex: -1,
        payload: p,
      };
      cert.events.push(stored);
      const draftIndex = drafts.length;
      inBatch.set(key, { draft: draftIndex, submission });
      drafts.push(this.draft(req, submission, stored));
      return { kind: 'draft', draft: draftIndex, authKey };
    });

    const appended = await log.append(drafts, (results) => this.batchWrites(certs, results));

    const checkpoint = { size: appended.treeSize, note: appended.checkpoint };
    return Promise.all(
      slots.map(async (slot): Promise<IngestOutcome> => {
        switch (slot.kind) {
          case 'draft': {
            const r = appended.results[slot.draft]!;
            const body = await this.document(r.row, r.logIndex, r.leaf, checkpoint);
            return { kind: 'created', body: slot.authKey ? { ...body, authKey: slot.authKey } : body };
          }
          case 'replay-batch': {
            const r = appended.results[slot.draft]!;
            return { kind: 'replayed', body: await this.document(r.row, r.logIndex, r.leaf, checkpoint) };
          }
          case 'replay-prior':
            return { kind: 'replayed', body: await this.receiptDocument(slot.logIndex) };
          default:
            return slot;
        }
      }),
    );
  }

  private draft(req: IngestRequest, submission: Uint8Array, stored: StoredEvent): LogEntryDraft<DraftResult> {
    const { log, receiptSigner } = this.deps;
    const p = req.payload;
    return {
      leaf: (index, timestamp) => {
        stored.issuedAt = timestamp;
        stored.logIndex = index;
        return certLeaf({
          contractNumber: p.contractNumber,
          event: p.event,
          issuedAt: timestamp,
          submission: toBase64(submission),
          surety: req.suretyCode,
          version: stored.version,
        });
      },
      finish: async (ctx: AppendContext) => {
        const payload: ReceiptPayload = {
          iss: log.origin,
          sub: p.contractNumber,
          ver: stored.version,
          evt: p.event,
          issuedAt: ctx.timestamp,
          idx: ctx.index,
          leafHash: toBase64(ctx.leafHash),
          treeSize: ctx.treeSize,
          rootHash: toBase64(ctx.root),
        };
        const receipt = await receiptSigner.sign(payload);
        const eventRow: NewCertificateEvent = {
          log_index: ctx.index,
          contract_number: p.contractNumber,
          version: stored.version,
          event: p.event,
          target_version: p.targetVersion ?? null,
          surety_id: req.suretyId,
          event_id: p.eventId,
          kid: req.kid,
          jws: req.jws,
          submission,
          payload: JSON.stringify(p),
          issued_at: ctx.timestamp,
          tree_size: ctx.treeSize,
          receipt,
        };
        return {
          writes: [],
          result: {
            logIndex: ctx.index,
            leaf: ctx.leaf,
            eventRow,
            row: {
              contractNumber: p.contractNumber,
              version: stored.version,
              event: p.event,
              issuedAt: ctx.timestamp,
              treeSize: ctx.treeSize,
              receipt,
            },
          },
        };
      },
    };
  }

  /**
   * One batch's domain rows as few statements: every certificate touched, in its state after the batch (new ones
   * inserted first: events reference them), then all events in one multi-row insert.
   */
  private batchWrites(certs: Map<string, WorkingCertificate>, results: DraftResult[]): CompiledQuery[] {
    const { db } = this.deps;
    const inserts: Insertable<CertificatesTable>[] = [];
    const updates: CompiledQuery[] = [];
    for (const [contractNumber, cert] of certs) {
      if (!cert.touched) continue;
      const view = project(cert.events);
      const state = {
        status: view.status,
        versions: cert.events.length,
        work_name: view.current.work.name,
        contractor_name: view.current.contractor.name,
        last_issued_at: cert.events[cert.events.length - 1]!.issuedAt,
      };
      if (cert.row) {
        updates.push(
          db.updateTable('certificates').set(state).where('contract_number', '=', contractNumber).compile(),
        );
      } else {
        inserts.push({
          contract_number: contractNumber,
          surety_id: cert.suretyId,
          orderer_code: view.current.orderer.code,
          product: view.current.product,
          auth_key_digest: cert.authKeyDigest!,
          first_issued_at: cert.events[0]!.issuedAt,
          ...state,
        });
      }
    }
    const writes: CompiledQuery[] = [];
    for (const rows of chunks(inserts)) writes.push(db.insertInto('certificates').values(rows).compile());
    writes.push(...updates);
    for (const rows of chunks(results.map((r) => r.eventRow))) {
      writes.push(db.insertInto('certificate_events').values(rows).compile());
    }
    return writes;
  }

  /**
   * The receipt document for a stored event: byte-for-byte what its 201 carried (minus the auth key), rebuilt
   * from the stored receipt JWS, the leaf, the proof at the receipt's tree size and that size's checkpoint.
   */
  async receiptDocument(logIndex: number): Promise<ReceiptDocument> {
    const row = await findEventByLogIndex(this.deps.db, logIndex);
    const leaf = await this.deps.log.leaf(logIndex);
    if (!row || !leaf)
      throw new Error(`no certificate event at log index ${logIndex}; run densho verify-log`);
    return this.document(
      {
        contractNumber: row.contract_number,
        version: row.version,
        event: row.event,
        issuedAt: row.issued_at,
        treeSize: row.tree_size,
        receipt: row.receipt,
      },
      logIndex,
      leaf,
    );
  }

  private async document(
    row: DraftResult['row'],
    logIndex: number,
    leaf: Uint8Array,
    checkpointHint?: { size: number; note: string },
  ): Promise<ReceiptDocument> {
    const { log } = this.deps;
    const [proof, checkpoint] = await Promise.all([
      log.inclusionProof(logIndex, row.treeSize),
      checkpointHint?.size === row.treeSize ? checkpointHint.note : log.checkpointAt(row.treeSize),
    ]);
    if (!checkpoint) throw new Error(`no checkpoint at tree size ${row.treeSize}; run densho verify-log`);
    return {
      contractNumber: row.contractNumber,
      version: row.version,
      event: row.event,
      issuedAt: new Date(row.issuedAt).toISOString(),
      log: {
        origin: log.origin,
        index: logIndex,
        leafInput: toBase64(leaf),
        inclusionProof: proof.map(toBase64),
        checkpoint,
      },
      receipt: row.receipt,
    };
  }
}

function eventKey(suretyId: number, eventId: string): string {
  return `${suretyId}\u0000${eventId}`;
}

function reject(status: 404 | 409 | 422, code: string, detail: string, path?: string): IngestRejection {
  return path === undefined
    ? { kind: 'rejected', status, code, detail }
    : { kind: 'rejected', status, code, detail, path };
}

function conflictEventId(eventId: string): IngestRejection {
  return reject(
    409,
    'event-id-conflict',
    `eventId ${eventId} は別の内容で既に受け付けています。新しい内容には新しい eventId を付けてください。`,
    'eventId',
  );
}
