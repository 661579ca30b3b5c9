// Workers runtime for the fetch isolates: D1 through kysely-d1, read-only TrustLog views of both logs (refreshed
// from D1 at every request, since only the LogSequencer Durable Object appends), forwarders that send ingest and
// access events and the console's recompute jobs to that object over RPC, static assets, and the app — built once
// per isolate.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { getConnInfo } from 'hono/cloudflare-workers';
import type { ExpressionBuilder } from 'kysely';
import { createApp } from '../../app.ts';
import { type Config, loadConfig } from '../../config.ts';
import type { Database } from '../../repos/database.ts';
import type { AccessEventInput, RecordedAccess } from '../../services/access-log.ts';
import type {
  IntegrityJob,
  IntegrityJobsPort,
  IntegrityStart,
  LatestJobs,
} from '../../services/audit-integrity.ts';
import type { IngestOutcome, IngestRequest } from '../../services/ingest-event.ts';
import { ed25519PublicBytes } from '../../services/platform-keys.ts';
import { platformKeysFromSecrets } from '../../services/platform-secrets.ts';
import { type Sequenced, toWireAccessEvent, unwrapSequenced } from '../../services/sequenced.ts';
import { createSessions } from '../../services/sessions.ts';
import { createThrottle } from '../../services/throttle.ts';
import { TrustLog } from '../../services/trust-log.ts';
import { systemClock, webCryptoVerifier } from '../ports.ts';
import { d1Kysely } from './d1.ts';
import type { WorkerEnv } from './env.ts';
import { SEQUENCER_NAME } from './sequencer-do.ts';

export interface WorkerRuntime {
  config: Config;
  app: Hono;
  logs: { certs: TrustLog; access: TrustLog };
  /** Adopt what the sequencer committed since the last request (one small D1 read per log). */
  refresh(): Promise<void>;
  /**
   * Access events sent to the sequencer and not yet answered. Some are sent without being awaited (a push's own
   * access event); the fetch handler hands these to ctx.waitUntil so the isolate is not stopped before they land.
   */
  inFlight: Set<Promise<unknown>>;
}

/** The sequencer's one instance (a stub per call: stubs are cheap and never shared across requests). */
export function sequencerStub(env: WorkerEnv) {
  return env.SEQUENCER.get(env.SEQUENCER.idFromName(SEQUENCER_NAME));
}

/** Cache lifetimes as on Node (platform/node/static.ts): vendor files carry their version in the name. */
const CACHE = 'public, max-age=3600';
const VENDOR_CACHE = 'public, max-age=31536000, immutable';

/**
 * /static/* from the ASSETS binding (wrangler.toml [assets], directory static/). The worker runs first for every
 * request, so the files keep the app's security headers and their /static/ path; a miss falls through to the 404.
 */
export function workersStaticFiles(assets: Fetcher): MiddlewareHandler {
  return async function staticFiles(c, next) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const url = new URL(c.req.url);
    url.pathname = url.pathname.replace(/^\/static/, '');
    const res = await assets.fetch(new Request(url, { method: c.req.method, headers: c.req.raw.headers }));
    if (res.status === 404) return next();
    const out = new Response(res.body, res);
    if (res.ok)
      out.headers.set('cache-control', c.req.path.startsWith('/static/vendor/') ? VENDOR_CACHE : CACHE);
    return out;
  };
}

/** The client address Cloudflare's edge puts in CF-Connecting-IP (clients cannot set it: the edge overwrites it). */
function workersClientIp(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

export async function openWorkerRuntime(env: WorkerEnv): Promise<WorkerRuntime> {
  const config = loadConfig({ DENSHO_ORIGIN: env.DENSHO_ORIGIN });
  const keys = platformKeysFromSecrets(env);
  const db = d1Kysely(env.DB);
  // The sequencer creates the logs (and self-checks them) before anything here reads them.
  await sequencerStub(env).ready();
  const notePublicKey = ed25519PublicBytes(keys.note);
  const openReader = (name: 'certs' | 'access') =>
    TrustLog.openReadOnly({
      db,
      clock: systemClock,
      name,
      notePublicKey,
      appender: 'the LogSequencer Durable Object',
    });
  const logs = { certs: await openReader('certs'), access: await openReader('access') };
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    const done = () => inFlight.delete(p);
    p.then(done, done);
    return p;
  };
  const ingest = {
    submit: async (req: IngestRequest): Promise<IngestOutcome> => {
      const call = async (): Promise<Sequenced<IngestOutcome>> => sequencerStub(env).ingest(req);
      return unwrapSequenced(await track(call()));
    },
  };
  const access = {
    record: async (event: AccessEventInput): Promise<RecordedAccess> => {
      const wire = toWireAccessEvent(event);
      const call = async (): Promise<Sequenced<RecordedAccess>> => sequencerStub(env).record(wire);
      return unwrapSequenced(await track(call()));
    },
  };
  // The recompute jobs live in the sequencer (it has the writers' logs and outlives any request); every isolate
  // asks it, so a poll from any isolate sees the job another one started.
  const integrity: IntegrityJobsPort = {
    start: async (log, who) => {
      const call = async (): Promise<Sequenced<IntegrityStart>> =>
        sequencerStub(env).integrityStart(log, who);
      return unwrapSequenced(await call());
    },
    get: async (id): Promise<IntegrityJob | null> => sequencerStub(env).integrityJob(id),
    latest: async (): Promise<LatestJobs> => sequencerStub(env).integrityLatest(),
  };
  const app = createApp({
    config,
    db,
    clock: systemClock,
    keys,
    verifier: webCryptoVerifier(),
    logs,
    ingest,
    access,
    integrity,
    sessions: createSessions(db),
    throttle: createThrottle(db),
    staticFiles: workersStaticFiles(env.ASSETS),
    clientIp: workersClientIp,
  });
  return {
    config,
    app,
    logs,
    inFlight,
    refresh: async () => {
      // One D1 read for both logs (each max() is an index seek); a log reloads only when the sequencer moved it.
      const max = (log: 'certs' | 'access') => (eb: ExpressionBuilder<Database, never>) =>
        eb
          .selectFrom('log_checkpoints')
          .select((e) => e.fn.max('size').as('size'))
          .where('log', '=', log)
          .as(log);
      const stored = await db.selectNoFrom([max('certs'), max('access')]).executeTakeFirstOrThrow();
      await Promise.all(
        (['certs', 'access'] as const)
          .filter((name) => stored[name] !== logs[name].size)
          .map((name) => logs[name].refresh()),
      );
    },
  };
}
