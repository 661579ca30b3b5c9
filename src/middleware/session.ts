// Session middleware: reads the `densho_session` cookie, validates it (services/sessions.ts) and puts the user,
// session id and CSRF token on the context; `requireUser` guards pages. Trusts only what the session row says —
// never a role or organisation from the request.
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { errorResponse } from '../routes/error-pages.tsx';
import type { AccessEventInput } from '../services/access-log.ts';
import type { Sessions, SessionUser } from '../services/sessions.ts';
import { isHtmx } from './htmx.ts';

export type { SessionUser } from '../services/sessions.ts';

export type WebEnv = {
  Variables: {
    requestId: string;
    user: SessionUser | null;
    sessionId: string | null;
    /** The token every POST form must echo in `_csrf` (see <CsrfField />); '' when none is issued yet. */
    csrfToken: string;
    /** The connection's address as the runtime adapter reports it (for throttles and access events). */
    clientIp: string | null;
    /** True when this request carried a session that had just timed out (the login page says so). */
    sessionExpired: boolean;
  };
};

export const SESSION_COOKIE = 'densho_session';
/** Pre-login CSRF token for the login form (double-submit: the form field must equal this cookie). */
export const ANON_CSRF_COOKIE = 'densho_csrf';
const ANON_CSRF_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Copenhagen Book cookie attributes: HttpOnly (no script can read it), SameSite=Lax (not sent on cross-site
 * POSTs), Path=/, and Secure — except on http://localhost and http://127.0.0.1, where browsers would drop a
 * Secure cookie and local development could not sign in. No Max-Age: the cookie ends with the browser (shared
 * office PCs); the server enforces the idle and absolute limits either way.
 */
export function cookieOptions(origin: string): CookieOptions {
  const u = new URL(origin);
  const local = u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  return { httpOnly: true, secure: !local, sameSite: 'Lax', path: '/' };
}

export function setSessionCookie(c: Context, origin: string, token: string): void {
  setCookie(c, SESSION_COOKIE, token, cookieOptions(origin));
}

export function clearSessionCookie(c: Context, origin: string): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(origin));
}

/** The CSRF token for a visitor without a session: reuse the cookie's, or issue one (login form only). */
export function ensureAnonymousCsrf(c: Context<WebEnv>, origin: string): string {
  const existing = c.get('csrfToken');
  if (existing) return existing;
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  setCookie(c, ANON_CSRF_COOKIE, token, cookieOptions(origin));
  c.set('csrfToken', token);
  return token;
}

/** ip / user agent / request id for access events and throttles, from what the middleware put on the context. */
export function requestMeta(c: Context<WebEnv>): {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
} {
  return {
    ip: c.get('clientIp') ?? null,
    userAgent: c.req.header('user-agent') ?? null,
    requestId: c.get('requestId') ?? null,
  };
}

export interface SessionMiddlewareDeps {
  sessions: Sessions;
  access: { record(event: AccessEventInput): Promise<unknown> };
  clock: { now(): number };
  origin: string;
  clientIp: (c: Context) => string | null;
}

export function sessionMiddleware(deps: SessionMiddlewareDeps): MiddlewareHandler<WebEnv> {
  return async function session(c, next) {
    c.set('clientIp', deps.clientIp(c));
    c.set('user', null);
    c.set('sessionId', null);
    c.set('sessionExpired', false);
    const anon = getCookie(c, ANON_CSRF_COOKIE);
    c.set('csrfToken', anon && ANON_CSRF_RE.test(anon) ? anon : '');

    const token = getCookie(c, SESSION_COOKIE);
    if (token !== undefined) {
      const v = await deps.sessions.validate(token, deps.clock.now());
      if (v.kind === 'valid') {
        c.set('user', v.user);
        c.set('sessionId', v.sessionId);
        c.set('csrfToken', v.csrfToken);
      } else {
        if (v.kind === 'expired') {
          c.set('sessionExpired', true);
          // Logged before served: the auditor sees the timeout even if the browser never comes back.
          await deps.access.record({
            action: 'auth.session_expired',
            outcome: v.reason,
            actor: `user:${v.user.id}`,
            orgCode: v.user.orgCode,
            ...requestMeta(c),
            detail: { login: v.user.login },
          });
        }
        clearSessionCookie(c, deps.origin);
      }
    }

    await next();

    // Pages of a signed-in user must not be kept by the browser or a proxy (back button after logout on a
    // shared PC); public pages may be stored but must be revalidated, as the header differs once signed in.
    if (!c.res.headers.has('cache-control')) {
      c.res.headers.set('cache-control', c.get('user') || token !== undefined ? 'no-store' : 'no-cache');
    }
  };
}

/** Where to come back to after signing in: the page asked for (GET), else just its path. */
function returnPath(c: Context): string {
  const url = new URL(c.req.url);
  return c.req.method === 'GET' ? `${url.pathname}${url.search}` : url.pathname;
}

/**
 * Guard for signed-in pages. No session → 303 to /login?next=<path> (htmx: 200 + HX-Redirect, because htmx
 * would otherwise swap the login page into the middle of this one). Wrong role → the 403 page.
 */
export function requireUser(roles?: SessionUser['role'][]): MiddlewareHandler<WebEnv> {
  return async function requireUser(c, next) {
    const user = c.get('user');
    if (!user) {
      const params = new URLSearchParams({ next: returnPath(c) });
      if (c.get('sessionExpired')) params.set('expired', '1');
      const location = `/login?${params.toString()}`;
      if (isHtmx(c)) {
        c.header('HX-Redirect', location);
        return c.body(null, 200);
      }
      return c.redirect(location, 303);
    }
    if (roles && !roles.includes(user.role)) return errorResponse(c, 403);
    await next();
  };
}
