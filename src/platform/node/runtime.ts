// Node runtime: wires SQLite, the key directory, both trust logs, the sequencers and the app together.
// Used by `densho serve`, the demo, tests and benchmarks — one way to build a running platform.
import { join } from 'node:path';
import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { type AppDeps, createApp } from '../../app.ts';
import { type Config, logOrigin } from '../../config.ts';
import { type NoteSigner, noteKeyId } from '../../domain/checkpoint.ts';
import type { Database } from '../../repos/database.ts';
import { AccessLog } from '../../services/access-log.ts';
import {
  IntegrityJobs,
  type IntegrityJobsPort,
  inMemoryIntegrityJobs,
} from '../../services/audit-integrity.ts';
import { CertificateIngest } from '../../services/ingest-event.ts';
import { ed25519PublicBytes, type PlatformKeys } from '../../services/platform-keys.ts';
import { ReceiptSigner } from '../../services/receipts.ts';
import { createSessions } from '../../services/sessions.ts';
import { createThrottle } from '../../services/throttle.ts';
import { TrustLog } from '../../services/trust-log.ts';
import { type Clock, systemClock } from '../ports.ts';
import { nodeClientIp } from './client-ip.ts';
import { CryptoWorker } from './crypto-worker.ts';
import { loadOrCreateKeys } from './keys.ts';
import { migrate } from './migrator.ts';
import { nodeEd25519Signer } from './signing.ts';
import { type OpenedDatabase, openDatabase } from './sqlite.ts';
import { nodeStaticFiles } from './static.ts';
import {
  FALLBACK_AUTOCHECKPOINT_PAGES,
  startWalCheckpointer,
  type WalCheckpointer,
} from './wal-checkpointer.ts';
import { ThreadedAtomicWriter } from './writer-thread.ts';

export interface NodeRuntime {
  config: Config;
  database: OpenedDatabase;
  keys: PlatformKeys;
  logs: { certs: TrustLog; access: TrustLog };
  ingest: CertificateIngest;
  access: AccessLog;
  /** The auditor console's recompute jobs (this process's memory; HTTP worker processes ask it over IPC). */
  integrity: IntegrityJobsPort;
  app: Hono;
  /** Drain the sequencers (everything accepted gets committed), then close the database. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  sequencer?: { maxPending?: number; maxBatch?: number; maxDelayMs?: number };
  /**
   * Where atomic writes run: 'thread' (default, the server) or 'inline' on the main connection — for the operator
   * CLI, which holds SQLite's write lock across its reads and its append (cli/commands/shared.ts commitExclusive),
   * something a write on another connection could never join.
   */
  writer?: 'thread' | 'inline';
}

/**
 * The app's parts that come from Node and one database connection: sessions, throttles, /static, the client
 * address. Shared by the single-process server and the HTTP workers (http-worker.ts), so neither misses one.
 */
export function nodeWebDeps(
  db: Kysely<Database>,
): Pick<AppDeps, 'sessions' | 'throttle' | 'staticFiles' | 'clientIp'> {
  return {
    sessions: createSessions(db),
    throttle: createThrottle(db),
    staticFiles: nodeStaticFiles(),
    clientIp: nodeClientIp,
  };
}

export function databaseFile(dataDir: string): string {
  return join(dataDir, 'densho.db');
}

export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<NodeRuntime> {
  const clock = options.clock ?? systemClock;
  const file = databaseFile(config.dataDir);
  const database = openDatabase(file);
  let checkpointer: WalCheckpointer | null = null;
  let cryptoWorker: CryptoWorker | null = null;
  let writer: ThreadedAtomicWriter | null = null;
  try {
    migrate(database.sqlite);
    checkpointer = startWalCheckpointer(database.sqlite, file);
    // Atomic writes (both logs' batches with their domain rows) run on a writer thread with its own connection:
    // the inserts and the COMMIT's fsync no longer stall HTTP on the main thread. Reads stay on the main
    // connection (WAL: a commit is visible to the next read once the writer answers).
    if (options.writer !== 'inline') writer = new ThreadedAtomicWriter(file, FALLBACK_AUTOCHECKPOINT_PAGES);
    const atomic = writer ?? database.atomic;
    atomic.onCommit = checkpointer.noteCommit;
    const keys = await loadOrCreateKeys(config.dataDir);
    const notePublicKey = ed25519PublicBytes(keys.note);
    const noteSign = nodeEd25519Signer(keys.note);
    const noteSigner = (name: string): NoteSigner => ({
      name,
      keyId: noteKeyId(name, notePublicKey),
      sign: noteSign,
    });
    const openLog = async (name: 'certs' | 'access') => {
      const origin = logOrigin(config.origin, name);
      // An existing log keeps its origin; the signer is named after the stored origin.
      const stored = await database.db
        .selectFrom('logs')
        .select('origin')
        .where('name', '=', name)
        .executeTakeFirst();
      const signerName = stored?.origin ?? origin;
      return TrustLog.open({
        db: database.db,
        atomic,
        clock,
        name,
        origin,
        noteSigner: noteSigner(signerName),
        notePublicKey,
      });
    };
    const logs = { certs: await openLog('certs'), access: await openLog('access') };
    cryptoWorker = new CryptoWorker(keys.receipt);
    const ingest = new CertificateIngest({
      db: database.db,
      log: logs.certs,
      // Receipts are signed synchronously on the writer: through the worker they queued behind verifications.
      receiptSigner: ReceiptSigner.fromRawSigner(keys.receipt.kid, nodeEd25519Signer(keys.receipt)),
      authKeySecret: keys.secrets.authKey,
      ...(options.sequencer ? { sequencer: options.sequencer } : {}),
    });
    const access = new AccessLog({
      db: database.db,
      log: logs.access,
      netSecret: keys.secrets.net,
      ...(options.sequencer ? { sequencer: options.sequencer } : {}),
    });
    const integrity = inMemoryIntegrityJobs(new IntegrityJobs({ db: database.db, logs, access, clock }));
    const app = createApp({
      config,
      db: database.db,
      clock,
      keys,
      verifier: cryptoWorker,
      logs,
      ingest,
      access,
      integrity,
      ...nodeWebDeps(database.db),
    });
    return {
      config,
      database,
      keys,
      logs,
      ingest,
      access,
      integrity,
      app,
      close: async () => {
        await ingest.close();
        // The pushes just answered append their access events from their handlers' continuations (microtasks,
        // routes/api-access.ts): one macrotask lets every one of them reach the access sequencer before it stops
        // taking events — without it a shutdown under load dropped the last pushes' events.
        await new Promise<void>((resolve) => setImmediate(resolve));
        await access.close();
        await cryptoWorker?.close();
        await writer?.close();
        await checkpointer?.stop();
        await database.close();
      },
    };
  } catch (err) {
    await cryptoWorker?.close().catch(() => {});
    await writer?.close().catch(() => {});
    await checkpointer?.stop().catch(() => {});
    await database.close().catch(() => {});
    throw err;
  }
}
