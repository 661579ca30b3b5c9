// htmx 4 awareness: tell fragment requests from page loads, mark responses as varying on it, and render the
// fragment or the full page from the same view (htmx 4 headers: HX-Request, HX-Request-Type: full|partial).
import type { Context, MiddlewareHandler } from 'hono';
import { jsx } from 'hono/jsx';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { PageContext } from '../../views/context.ts';
import type { WebEnv } from './session.ts';

/**
 * True for an htmx request that will swap part of the page. htmx 4 sends `HX-Request-Type: full` when the
 * target is <body> or hx-select is used (hx-boost): that request wants the whole page, so it is NOT a
 * fragment request.
 */
export function isHtmx(c: Context): boolean {
  return c.req.header('hx-request') === 'true' && c.req.header('hx-request-type') !== 'full';
}

/**
 * Every web response varies on the htmx headers: without Vary, a cache (or the browser's back button) could
 * serve a fragment where a page was asked for, or the reverse.
 */
export const varyOnHtmx: MiddlewareHandler = async function varyOnHtmx(c, next) {
  await next();
  const vary = c.res.headers.get('vary') ?? '';
  const present = new Set(vary.split(',').map((v) => v.trim().toLowerCase()));
  for (const h of ['HX-Request', 'HX-Request-Type']) {
    if (!present.has(h.toLowerCase())) c.res.headers.append('Vary', h);
  }
};

export interface Views {
  /** The full page (a <Layout>). */
  page: JSX.Element;
  /** The part of the page htmx swaps in. */
  fragment: JSX.Element;
}

/**
 * The fragment for htmx fragment requests, the full page otherwise — one route, one view file, both shapes.
 * The fragment gets the same PageContext as the page, so <CsrfField /> works inside it.
 */
export async function render(
  c: Context<WebEnv>,
  views: Views,
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  if (isHtmx(c)) {
    const value = { csrfToken: c.get('csrfToken'), user: c.get('user') };
    const body = await jsx(PageContext.Provider, { value }, views.fragment);
    return c.html(String(body), status);
  }
  return c.html(`<!DOCTYPE html>${String(await views.page)}`, status);
}

/** A full page only (screens with no fragment, such as the login form). */
export async function renderPage(
  c: Context,
  page: JSX.Element,
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  return c.html(`<!DOCTYPE html>${String(await page)}`, status);
}
