// An HTTP worker process (DENSHO_HTTP_WORKERS > 0; forked by platform/node/cluster.ts): the same app as the
// single-process server, on the port the workers share. It reads SQLite on its own connection and writes what is
// not in a log (sessions, throttles) there too, but never appends: access events, certificate pushes and the
// console's recompute jobs go to the primary, which owns both logs' sequencers — so there is still exactly one
// appender, indices stay contiguous and timestamps non-decreasing. Like a Workers fetch isolate (platform/workers/
// runtime.ts), it reads the logs through read-only TrustLogs that it reloads when the primary has moved them.
import { serve } from '@hono/node-server';
import { createApp } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import type { AccessEventInput, RecordedAccess } from '../../services/access-log.ts';
import type { IntegrityJobsPort } from '../../services/audit-integrity.ts';
import type { IngestOutcome, IngestRequest } from '../../services/ingest-event.ts';
import { ed25519PublicBytes } from '../../services/platform-keys.ts';
import { type Sequenced, toWireAccessEvent, unwrapSequenced } from '../../services/sequenced.ts';
import { TrustLog } from '../../services/trust-log.ts';
import { systemClock } from '../ports.ts';
import type { Call, CallResults, PrimaryMessage, WorkerMessage } from './cluster-protocol.ts';
import { CryptoWorker } from './crypto-worker.ts';
import { loadOrCreateKeys } from './keys.ts';
import { databaseFile, nodeWebDeps } from './runtime.ts';
import { openDatabase } from './sqlite.ts';

if (!process.send)
  throw new Error('http-worker.ts runs as a cluster worker (DENSHO_HTTP_WORKERS), not on its own');
const send = (m: WorkerMessage) => process.send?.(m);

// --- calls to the primary -------------------------------------------------------------------------------------
let nextId = 1;
const pending = new Map<number, (r: Sequenced<unknown>) => void>();
let stopping = false;

let outbox: { id: number; call: Call }[] = [];
function flushOutbox(): void {
  const calls = outbox;
  outbox = [];
  if (process.connected) send({ t: 'calls', calls });
  else
    for (const { id } of calls)
      pending.get(id)?.({ kind: 'failed', message: 'the sequencer process is gone' });
}

function callPrimary<K extends Call['op']>(call: Extract<Call, { op: K }>): Promise<CallResults[K]> {
  if (!process.connected)
    return Promise.reject(new Error('the sequencer process is gone; nothing was stored'));
  const id = nextId++;
  return new Promise<Sequenced<unknown>>((resolve) => {
    pending.set(id, resolve);
    // Everything this turn of the event loop asks goes in one message (after the I/O callbacks already due).
    if (outbox.push({ id, call }) === 1) setImmediate(flushOutbox);
  }).then((r) => unwrapSequenced(r as Sequenced<CallResults[K]>));
}

// Listen from the first moment: a 'stop' that arrives while this worker is still starting must not be lost.
let started: () => void = () => {};
const ready = new Promise<void>((resolve) => {
  started = resolve;
});
process.on('message', (m: PrimaryMessage) => {
  if (m.t === 'results') {
    for (const { id, result } of m.results) {
      const resolve = pending.get(id);
      pending.delete(id);
      resolve?.(result);
    }
  } else if (m.t === 'stop') {
    void ready.then(() => stop(0));
  } else if (m.t === 'cpu-usage') {
    send({ t: 'cpu-usage', cpu: process.cpuUsage() });
  }
});

// --- the app --------------------------------------------------------------------------------------------------
const config = loadConfig(process.env);
const database = openDatabase(databaseFile(config.dataDir));
const keys = await loadOrCreateKeys(config.dataDir); // the primary created them before forking
const notePublicKey = ed25519PublicBytes(keys.note);
const openReader = (name: 'certs' | 'access') =>
  TrustLog.openReadOnly({
    db: database.db,
    clock: systemClock,
    name,
    notePublicKey,
    appender: 'the primary process',
  });
const logs = { certs: await openReader('certs'), access: await openReader('access') };
const verifier = new CryptoWorker(keys.receipt);

const ingest = {
  submit: (request: IngestRequest): Promise<IngestOutcome> => callPrimary({ op: 'ingest', request }),
};
const access = {
  record: (event: AccessEventInput): Promise<RecordedAccess> =>
    callPrimary({ op: 'record', event: toWireAccessEvent(event) }),
};
const integrity: IntegrityJobsPort = {
  start: (log, who) => callPrimary({ op: 'integrity-start', log, who }),
  get: (id) => callPrimary({ op: 'integrity-job', id }),
  latest: () => callPrimary({ op: 'integrity-latest' }),
};

const app = createApp({
  config,
  db: database.db,
  clock: systemClock,
  keys,
  verifier,
  logs,
  ingest,
  access,
  integrity,
  ...nodeWebDeps(database.db),
});

// --- keeping the read-only logs current -----------------------------------------------------------------------
// Before each request, one read of both logs' stored sizes (two index seeks). A log the primary has moved is
// reloaded — the certs log always (pages show its checkpoint, /log/certs serves it), the access log only for the
// paths that read it, since the access log moves with nearly every request and its reload is not free.
const sizes = database.sqlite.prepare(
  `SELECT (SELECT max(size) FROM log_checkpoints WHERE log = 'certs') AS certs,
          (SELECT max(size) FROM log_checkpoints WHERE log = 'access') AS access`,
);
const reloading: Partial<Record<'certs' | 'access', Promise<unknown>>> = {};
function reload(name: 'certs' | 'access'): Promise<unknown> {
  // One reload at a time per log: concurrent requests wait for the same one.
  reloading[name] ??= logs[name].refresh().finally(() => {
    reloading[name] = undefined;
  });
  return reloading[name];
}
async function adoptStoredLogs(path: string): Promise<void> {
  const stored = sizes.get() as { certs: number | null; access: number | null };
  const work: Promise<unknown>[] = [];
  if ((stored.certs ?? 0) !== logs.certs.size) work.push(reload('certs'));
  const readsAccess = path.startsWith('/audit') || path === '/healthz';
  if (readsAccess && (stored.access ?? 0) !== logs.access.size) work.push(reload('access'));
  if (work.length > 0) await Promise.all(work);
}

const server = serve(
  {
    // `bindings` is node-server's { incoming, outgoing }: the app reads the client address from it (clientIp).
    fetch: async (request: Request, bindings: unknown) => {
      const url = request.url;
      const start = url.indexOf('/', url.indexOf('//') + 2);
      const end = url.indexOf('?', start);
      await adoptStoredLogs(end === -1 ? url.slice(start) : url.slice(start, end));
      const response = await app.fetch(request, bindings);
      // Stopping: answer, then close the connection, so keep-alive clients move to a worker that is not leaving.
      if (stopping) response.headers.set('connection', 'close');
      return response;
    },
    port: config.port,
    hostname: config.host,
  },
  () => started(),
);

// --- shutdown ---------------------------------------------------------------------------------------------------
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Stop accepting; idle keep-alive connections close, requests in progress finish (their appends still reach the
  // primary, which keeps its sequencers open until every worker has exited).
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() ends the connections idle at that moment; those busy then are ended as they fall idle.
  const sweeper = setInterval(
    () => (server as { closeIdleConnections?: () => void }).closeIdleConnections?.(),
    50,
  );
  await closed;
  clearInterval(sweeper);
  await verifier.close();
  await database.close();
  if (process.connected) send({ t: 'stopped' });
  process.exit(code);
}

// The primary gone without a 'stop' (killed, crashed): nothing can be appended any more. Answer what waits with
// an error (nothing was stored for it) and exit at once, so no orphan keeps the port.
process.on('disconnect', () => {
  for (const resolve of pending.values()) {
    resolve({ kind: 'failed', message: 'the sequencer process is gone' });
  }
  pending.clear();
  if (!stopping) process.exit(1);
});
// Ctrl-C in a terminal reaches the whole process group: the primary coordinates the shutdown.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
