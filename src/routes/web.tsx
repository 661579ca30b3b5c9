// The orderer web app (cookie sessions, HTML): static files, session + CSRF middleware, sign-in, public pages
// and — in the marked section — the certificate screens. Mounted by src/app.ts AFTER the API and log routes.
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { AppDeps } from '../app.ts';
import { limitBodySize } from '../middleware/body-size.ts';
import { csrfProtection } from '../middleware/csrf.ts';
import { varyOnHtmx } from '../middleware/htmx.ts';
import { sessionMiddleware, type WebEnv } from '../middleware/session.ts';
import { auditRoutes } from './audit.tsx';
import { authRoutes } from './auth.tsx';
import { certificateRoutes } from './certificates.tsx';
import { errorResponse } from './error-pages.tsx';
import { publicRoutes } from './public.tsx';
import { verifyRoutes } from './verify.tsx';

/** Paths owned by the machine-facing API and logs: no cookies, no HTML, no CSRF token — problem+json. */
const MACHINE_PREFIXES = ['/api/', '/log/', '/.well-known/'];

export function isMachinePath(path: string): boolean {
  return path === '/api' || path === '/healthz' || MACHINE_PREFIXES.some((p) => path.startsWith(p));
}

/** Run a web middleware only for web paths (the `*` middlewares here also see unmatched API paths). */
function webOnly<E extends WebEnv>(mw: MiddlewareHandler<E>): MiddlewareHandler<E> {
  return async function webOnly(c, next) {
    if (isMachinePath(c.req.path)) return next();
    return mw(c, next);
  };
}

/** Forms are small; anything bigger is a mistake or an attack (413 page). */
const MAX_FORM_BYTES = 64 * 1024;

export function webRoutes(deps: AppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const origin = deps.config.origin;
  // Compute the dummy password hash now, so the first unknown-login attempt costs what every other one does.

  app.use('/static/*', deps.staticFiles);
  app.use('*', webOnly(varyOnHtmx));
  app.use(
    '*',
    webOnly(
      sessionMiddleware({
        sessions: deps.sessions,
        access: deps.access,
        clock: deps.clock,
        origin,
        clientIp: deps.clientIp,
      }),
    ),
  );
  const formBodyLimit = limitBodySize(MAX_FORM_BYTES, (ctx: Context) => errorResponse(ctx, 413));
  app.use(
    '*',
    webOnly(async (c, next) => {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
      return formBodyLimit(c, next);
    }),
  );
  // Every state-changing web request: Origin/Sec-Fetch-Site AND the `_csrf` token. POST /logout without a
  // session changes nothing (there is no session to end), so a stale page's logout button just works.
  app.use(
    '*',
    webOnly(csrfProtection(origin, { skip: (c) => c.req.path === '/logout' && c.get('user') === null })),
  );

  app.route('/', authRoutes(deps));
  app.route('/', publicRoutes(deps));

  // ---------------------------------------------------------------------------------------------------------
  // Certificate screens (helper-6): mount ONE line each here, e.g.
  //   app.route('/', verifyRoutes(deps));        // 保証確認            src/routes/verify.tsx
  //   app.route('/', certificateRoutes(deps));   // 保証証書・一覧・写し・受領/返戻  src/routes/certificates.tsx
  // Guard pages with requireUser([...roles]) from src/middleware/session.ts; wrap the page in <Layout> and use
  // render(c, { page, fragment }) from src/middleware/htmx.ts; POST forms carry <CsrfField />.
  // ---------------------------------------------------------------------------------------------------------
  app.route('/', verifyRoutes(deps));
  app.route('/', certificateRoutes(deps));
  app.route('/', auditRoutes(deps)); // 監査 (auditor console)            src/routes/audit.tsx

  // Read by hono when src/app.ts mounts this sub-app, so it must be set before returning.
  app.onError((err, c) => {
    console.error(`[densho] ${c.get('requestId')} ${c.req.method} ${c.req.path}:`, err);
    return errorResponse(c, 500);
  });
  return app;
}
