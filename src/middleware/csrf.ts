// CSRF protection for every cookie-authenticated (web) request that changes something. Two independent checks
// (architecture.md: hono's csrf() on every cookie-authenticated sub-app): the browser's Origin / Sec-Fetch-Site
// must be our origin, AND the form must echo the per-session token in `_csrf` (or the X-CSRF-Token header) —
// defence in depth for browsers and proxies that strip Origin. Trusts only the configured origin and the token
// the session middleware derived; never anything else in the request.
import type { Context, MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { utf8 } from '../domain/bytes.ts';
import { errorResponse } from '../routes/error-pages.tsx';
import { constantTimeEqual } from '../services/sessions.ts';
import { formBody } from './form-body.ts';
import type { WebEnv } from './session.ts';

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

async function submittedToken(c: Context<WebEnv>): Promise<string | null> {
  const header = c.req.header(CSRF_HEADER);
  if (header) return header;
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) {
    return null;
  }
  // Parsed once per request: the route reads the same form (middleware/form-body.ts).
  const body = await formBody(c);
  const v = body[CSRF_FIELD];
  return typeof v === 'string' ? v : null;
}

export function csrfProtection(
  origin: string,
  opts: { skip?: (c: Context<WebEnv>) => boolean } = {},
): MiddlewareHandler<WebEnv> {
  const originCheck = csrf({ origin });
  return async function csrfProtection(c, next) {
    if (SAFE_METHODS.has(c.req.method) || opts.skip?.(c)) return next();
    // hono's check throws an HTTPException with a bare "Forbidden"; run it alone so we can answer in Japanese.
    let originOk = false;
    try {
      await originCheck(c, async () => {
        originOk = true;
      });
    } catch (err) {
      if (!(err instanceof HTTPException)) throw err;
    }
    if (!originOk) return errorResponse(c, 403, { reason: 'csrf' });

    const expected = c.get('csrfToken');
    let given: string | null;
    try {
      given = await submittedToken(c);
    } catch {
      given = null; // an unparseable body is simply a request without a token
    }
    if (!expected || given === null || !constantTimeEqual(utf8(given), utf8(expected))) {
      return errorResponse(c, 403, { reason: 'csrf' });
    }
    await next();
  };
}
