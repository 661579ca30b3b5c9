// htmx 4 awareness: tell fragment requests from page loads, mark responses as varying on it, and render the
// fragment or the full page from the same view (htmx 4 headers: HX-Request, HX-Request-Type: full|partial).
import type { Context, MiddlewareHandler } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { renderDocument, renderToString } from '../../views/render.ts';
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

const HTML_HEADERS = { 'content-type': 'text/html; charset=UTF-8' };
const encoder = new TextEncoder();

/**
 * An HTML answer as its UTF-8 bytes. Why bytes: given a string, @hono/node-server measures it (Buffer.byteLength,
 * a full walk of the page) and Node then encodes it again to write it; encoding once saves the first walk.
 */
function htmlResponse(c: Context, html: string, status: ContentfulStatusCode = 200): Response {
  // encode() always returns a fresh ArrayBuffer-backed array (workerd's types just do not say so).
  return c.body(encoder.encode(html) as Uint8Array<ArrayBuffer>, status, HTML_HEADERS);
}

export interface Views {
  /** The full page (a <Layout>). */
  page: JSX.Element;
  /** The part of the page htmx swaps in. */
  fragment: JSX.Element;
}

/**
 * The fragment for htmx fragment requests, the full page otherwise — one route, one view file, both shapes.
 * (Forms inside either get the CSRF token as a prop from the route: <CsrfField token={…} />.)
 */
export function render(c: Context<WebEnv>, views: Views, status: ContentfulStatusCode = 200): Response {
  if (isHtmx(c)) return htmlResponse(c, renderToString(views.fragment), status);
  return htmlResponse(c, renderDocument(views.page), status);
}

/** A full page only (screens with no fragment, such as the login form). */
export function renderPage(c: Context, page: JSX.Element, status: ContentfulStatusCode = 200): Response {
  return htmlResponse(c, renderDocument(page), status);
}
