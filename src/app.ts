// Builds the Hono app from injected dependencies (database, clock, logs, keys, config). Runtime-neutral:
// the Node entry and the Workers entry both call createApp with their own adapters.
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { Kysely } from 'kysely';
import type { Config } from './config.ts';
import type { Clock, SignatureVerifier } from './platform/ports.ts';
import type { Database } from './repos/database.ts';
import { apiDocsRoutes } from './routes/api-docs.tsx';
import { apiV1Routes } from './routes/api-v1.ts';
import { errorResponse, wantsHtml } from './routes/error-pages.tsx';
import { logRoutes } from './routes/log.ts';
import { problem } from './routes/problem.ts';
import { isMachinePath, webRoutes } from './routes/web.tsx';
import type { AccessLog } from './services/access-log.ts';
import type { IntegrityJobsPort } from './services/audit-integrity.ts';
import type { CertificateIngest } from './services/ingest-event.ts';
import type { PlatformKeys } from './services/platform-keys.ts';
import type { Sessions } from './services/sessions.ts';
import type { Throttle } from './services/throttle.ts';
import type { TrustLog } from './services/trust-log.ts';

export interface AppDeps {
  config: Config;
  db: Kysely<Database>;
  clock: Clock;
  keys: PlatformKeys;
  /** Checks surety JWS signatures (runtime-specific: see platform/). */
  verifier: SignatureVerifier;
  logs: { certs: TrustLog; access: TrustLog };
  /** The ingest path: CertificateIngest on Node; on Workers a forwarder to the LogSequencer Durable Object. */
  ingest: Pick<CertificateIngest, 'submit'>;
  /** Access events: AccessLog on Node; on Workers a forwarder to the LogSequencer Durable Object. */
  access: Pick<AccessLog, 'record'>;
  /** Full recompute jobs: in the server's memory on Node; on Workers in the LogSequencer Durable Object. */
  integrity: IntegrityJobsPort;
  /** Web sign-in sessions (services/sessions.ts). */
  sessions: Sessions;
  /** DB-backed failure counters for login and 保証確認 (services/throttle.ts). */
  throttle: Throttle;
  /** Serves /static/* (runtime-specific: files on Node, assets on Workers). */
  staticFiles: MiddlewareHandler;
  /** The client address as the runtime sees the connection (never a client-supplied header). */
  clientIp: (c: Context) => string | null;
}

/**
 * The CSP source for our scripts: the public origin's /static/ path ('self' cannot be narrowed to a path), so
 * no other same-origin URL can ever be loaded as a script. An IPv6 literal cannot be written as a CSP host, so
 * such an origin keeps 'self' (every script is still served from /static).
 */
export function staticScriptSource(origin: string): string {
  const u = new URL(origin);
  return u.hostname.startsWith('[') ? "'self'" : `${u.origin}/static/`;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.use('*', requestId());
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        // Exactly what the pages use: scripts (vendored htmx) only from /static, styles from ourselves, htmx's
        // fetch() to ourselves, the icon from ourselves (QR codes are inline SVG). Nothing inline, nothing external.
        defaultSrc: ["'none'"],
        scriptSrc: [staticScriptSource(deps.config.origin)],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'same-origin',
      crossOriginResourcePolicy: 'same-site',
    }),
  );

  app.route('/api/v1', apiV1Routes(deps));
  app.route('/api', apiDocsRoutes(deps));
  app.route(
    '/log/certs',
    logRoutes(() => deps.logs.certs),
  );

  app.get('/.well-known/jwks.json', (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json({ keys: deps.keys.receiptPublic });
  });

  app.get('/healthz', (c) =>
    c.json({ ok: true, certs: deps.logs.certs.size, access: deps.logs.access.size }, 200, {
      'cache-control': 'no-store',
    }),
  );

  // The web app last: its `*` middlewares (session, CSRF) must never run before an API or log route.
  app.route('/', webRoutes(deps));

  // Browsers get the Japanese HTML page; the API, the logs and scripts keep problem+json.
  app.notFound((c) =>
    !isMachinePath(c.req.path) && wantsHtml(c)
      ? errorResponse(c, 404)
      : problem(c, 404, 'not-found', `${c.req.path} はありません。/api/docs を参照してください。`),
  );
  app.onError((err, c) => {
    // Generic to the client (no internals), specific in the server log with the request id to correlate.
    console.error(`[densho] ${c.get('requestId')} ${c.req.method} ${c.req.path}:`, err);
    if (!isMachinePath(c.req.path) && wantsHtml(c)) return errorResponse(c, 500);
    return problem(c, 500, 'internal', 'サーバーで問題が発生しました。時間をおいて再送してください。');
  });
  return app;
}
