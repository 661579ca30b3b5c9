// Node adapter: serves /static/* (CSS, vendored htmx, icons) from the project's static/ directory, resolved
// from this file (not the working directory), with cache lifetimes that match how each file changes.
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { MiddlewareHandler } from 'hono';

export const STATIC_DIR = fileURLToPath(new URL('../../../static/', import.meta.url));

/** An hour: CSS and icons change on deploy. The vendor files carry their version in the name, so a year. */
const CACHE = 'public, max-age=3600';
const VENDOR_CACHE = 'public, max-age=31536000, immutable';

export function nodeStaticFiles(root: string = STATIC_DIR): MiddlewareHandler {
  const serve = serveStatic({
    root,
    rewriteRequestPath: (path) => path.replace(/^\/static/, ''),
    // Not found: fall through to the app's 404, which must not be cached for an hour.
    onNotFound: (_path, c) => {
      c.header('Cache-Control', undefined);
    },
  });
  return async function staticFiles(c, next) {
    c.header('Cache-Control', c.req.path.startsWith('/static/vendor/') ? VENDOR_CACHE : CACHE);
    return serve(c, next);
  };
}
