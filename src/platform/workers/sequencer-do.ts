// The single writer of both trust logs on Workers: one Durable Object (one instance, addressed by a fixed name)
// owns the TrustLog writers, CertificateIngest's and AccessLog's group committers, and writes every batch as ONE
// D1 batch() (D1 has no interactive transactions). trust-log.md's contract holds exactly as on Node: the object is
// the only appender, so indices are contiguous and timestamps non-decreasing; each batch carries its signed
// checkpoint; an RPC answers only after its batch's batch() resolved (durable).
//
// Crash reasoning: the object can be evicted or restarted at any moment. Before batch() resolves nothing was
// written (D1 rolls the batch back) and no caller was answered; after it, everything is stored. A new instance
// reopens both logs from D1 with the same startup self-check as Node (TrustLog.open) before taking any append.
//
// It also runs the auditor console's full recompute jobs (IntegrityJobs): one instance means every fetch isolate
// sees the same jobs and their progress, and a job outlives the request that started it (see integrityStart).
import { DurableObject } from 'cloudflare:workers';
import { loadConfig, logOrigin } from '../../config.ts';
import { type NoteSigner, noteKeyId } from '../../domain/checkpoint.ts';
import { AccessLog, type RecordedAccess } from '../../services/access-log.ts';
import {
  type IntegrityJob,
  IntegrityJobs,
  type IntegrityStart,
  type IntegrityStarter,
  type LatestJobs,
  type LogName,
  latestJobs,
} from '../../services/audit-integrity.ts';
import { CertificateIngest, type IngestOutcome, type IngestRequest } from '../../services/ingest-event.ts';
import { ed25519PublicBytes } from '../../services/platform-keys.ts';
import { platformKeysFromSecrets } from '../../services/platform-secrets.ts';
import { ReceiptSigner } from '../../services/receipts.ts';
import {
  fromWireAccessEvent,
  type Sequenced,
  sequenced,
  type WireAccessEvent,
} from '../../services/sequenced.ts';
import { TrustLog } from '../../services/trust-log.ts';
import { systemClock } from '../ports.ts';
import { D1AtomicWriter, d1Kysely } from './d1.ts';
import type { WorkerEnv } from './env.ts';
import { webCryptoEd25519Signer } from './signing.ts';

/** The one instance's name: both logs share one writer, as they share one database. */
export const SEQUENCER_NAME = 'densho-logs';

/**
 * Group-commit sizes on D1. A statement binds at most 100 parameters, and the ingest batch reads its contracts,
 * event ids and orderer codes with one IN (…) each (n + 2 parameters), so an ingest batch stays below 98 events.
 */
export const WORKERS_SEQUENCER = {
  ingest: { maxPending: 4096, maxBatch: 96, maxDelayMs: 0 },
  access: { maxPending: 8192, maxBatch: 128, maxDelayMs: 0 },
} as const;

// Outcomes travel as values (services/sequenced.ts): an exception thrown out of an RPC method would lose its class
// and be reported by workerd as uncaught.
export type { Sequenced, WireAccessEvent, WireQuery } from '../../services/sequenced.ts';

interface Writers {
  logs: { certs: TrustLog; access: TrustLog };
  ingest: CertificateIngest;
  access: AccessLog;
  integrity: IntegrityJobs;
}

export class LogSequencer extends DurableObject<WorkerEnv> {
  private writers: Promise<Writers> | null = null;

  /** Open (or create) both logs once per instance; a failed open is retried by the next call. */
  private open(): Promise<Writers> {
    this.writers ??= openWriters(this.env).catch((err: unknown) => {
      this.writers = null;
      throw err;
    });
    return this.writers;
  }

  /** Both logs exist and passed the self-check; returns their sizes. The fetch isolate calls this before reading. */
  async ready(): Promise<{ certs: number; access: number }> {
    const w = await this.open();
    return { certs: w.logs.certs.size, access: w.logs.access.size };
  }

  async ingest(req: IngestRequest): Promise<Sequenced<IngestOutcome>> {
    const w = await this.open();
    return sequenced(() => w.ingest.submit(req));
  }

  async record(event: WireAccessEvent): Promise<Sequenced<RecordedAccess>> {
    const w = await this.open();
    return sequenced(() => w.access.record(fromWireAccessEvent(event)));
  }

  /**
   * Start a full recompute of `log` (or join the one running). Its `started` access event is committed before
   * this answers. The job then runs here, after the RPC returned: an object whose requests have all ended can be
   * evicted while promises are still pending (this compatibility date predates pending I/O keeping it alive), so
   * the job is also awaited by an alarm handler — a running event keeps the object active — and by waitUntil.
   */
  async integrityStart(log: LogName, who: IntegrityStarter): Promise<Sequenced<IntegrityStart>> {
    const w = await this.open();
    return sequenced(async () => {
      const started = await w.integrity.start(log, who);
      if (started.kind === 'started') {
        this.ctx.waitUntil(w.integrity.settle());
        // The job already runs and its start is recorded: a failed alarm write must not report the start as failed.
        await this.ctx.storage.setAlarm(Date.now()).catch((err: unknown) => {
          console.error('[densho] could not set the alarm that keeps a recompute alive:', err);
        });
      }
      return started;
    });
  }

  async integrityJob(id: string): Promise<IntegrityJob | null> {
    const w = await this.open();
    return w.integrity.get(id) ?? null;
  }

  async integrityLatest(): Promise<LatestJobs> {
    const w = await this.open();
    return latestJobs(w.integrity);
  }

  /**
   * Holds the object active until every running recompute has ended (set by integrityStart). Never throws, so the
   * alarm is not retried: a job ends as done or error by itself, and a fresh instance after an eviction has no job
   * to wait for (its `started` event then stays without a result; the console keeps showing the previous one).
   */
  override async alarm(): Promise<void> {
    const w = await this.writers?.catch(() => null);
    if (w) await w.integrity.settle();
  }
}

async function openWriters(env: WorkerEnv): Promise<Writers> {
  const config = loadConfig({ DENSHO_ORIGIN: env.DENSHO_ORIGIN });
  const keys = platformKeysFromSecrets(env);
  const db = d1Kysely(env.DB);
  const atomic = new D1AtomicWriter(env.DB);
  const notePublicKey = ed25519PublicBytes(keys.note);
  const noteSign = webCryptoEd25519Signer(keys.note);
  const openLog = async (name: 'certs' | 'access'): Promise<TrustLog> => {
    const stored = await db
      .selectFrom('logs')
      .select('origin')
      .where('name', '=', name)
      .executeTakeFirst()
      .catch((err: unknown) => {
        throw new Error(
          `cannot read the logs table (${(err as Error).message}); apply the migrations first: ` +
            '`npm run cf:migrate` (local) or `npx wrangler d1 migrations apply densho --remote`',
        );
      });
    const origin = logOrigin(config.origin, name);
    const signerName = stored?.origin ?? origin;
    const noteSigner: NoteSigner = {
      name: signerName,
      keyId: noteKeyId(signerName, notePublicKey),
      sign: noteSign,
    };
    return TrustLog.open({ db, atomic, clock: systemClock, name, origin, noteSigner, notePublicKey });
  };
  const logs = { certs: await openLog('certs'), access: await openLog('access') };
  const ingest = new CertificateIngest({
    db,
    log: logs.certs,
    receiptSigner: ReceiptSigner.fromRawSigner(keys.receipt.kid, webCryptoEd25519Signer(keys.receipt)),
    authKeySecret: keys.secrets.authKey,
    sequencer: WORKERS_SEQUENCER.ingest,
  });
  const access = new AccessLog({
    db,
    log: logs.access,
    netSecret: keys.secrets.net,
    sequencer: WORKERS_SEQUENCER.access,
  });
  const integrity = new IntegrityJobs({ db, logs, access, clock: systemClock });
  return { logs, ingest, access, integrity };
}
