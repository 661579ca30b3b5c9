// HTML error responses for the web app (403, 404, 413, 500) — one place, used by the middleware, the app's
// notFound/onError and the routes. The API keeps its problem+json (src/routes/problem.ts).
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ErrorMessage, ErrorPage, type ErrorReason, type ErrorViewProps } from '../../views/error.tsx';
import { render } from '../middleware/htmx.ts';
import type { WebEnv } from '../middleware/session.ts';

const DEFAULT_REASON: Record<number, ErrorReason> = {
  403: 'role',
  404: 'not-found',
  413: 'too-large',
  500: 'internal',
};

export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  opts: { reason?: ErrorReason } = {},
): Response {
  // Works on any context: variables the session middleware did not set (it may not have run) read as absent.
  const web = c as Context<WebEnv>;
  const props: ErrorViewProps = {
    status,
    reason: opts.reason ?? DEFAULT_REASON[status] ?? 'not-found',
    user: web.get('user') ?? null,
    csrfToken: web.get('csrfToken') ?? '',
    requestId: web.get('requestId') ?? null,
  };
  web.header('cache-control', 'no-store');
  return render(web, { page: <ErrorPage {...props} />, fragment: <ErrorMessage {...props} /> }, status);
}

/** Browsers ask for HTML; API clients and scripts get problem+json. */
export function wantsHtml(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes('text/html');
}
