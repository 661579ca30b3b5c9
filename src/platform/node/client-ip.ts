// Node adapter: the client address of the TCP connection (@hono/node-server). Trusts the socket only — never
// X-Forwarded-For, which any client can set; a deployment behind a proxy must supply its own adapter.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export function nodeClientIp(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    // app.request() in tests has no socket.
    return null;
  }
}
