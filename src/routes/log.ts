// Log API (public for certs, auditors-only for access — the caller mounts it behind the right guard):
// checkpoint, vkey, C2SP tiles and entry bundles, inclusion and consistency proofs, checkpoint history.
import { Hono } from 'hono';
import { toBase64 } from '../domain/bytes.ts';
import { parseTilePath, TILE_WIDTH } from '../domain/tiles.ts';
import type { TrustLog } from '../services/trust-log.ts';
import { problem } from './problem.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const SHORT = 'public, max-age=5';

export function logRoutes(getLog: () => TrustLog): Hono {
  const app = new Hono();

  app.get('/checkpoint', (c) => {
    c.header('cache-control', SHORT);
    return c.text(getLog().latestCheckpoint.note);
  });

  app.get('/vkey', (c) => {
    c.header('cache-control', 'public, max-age=3600');
    return c.text(`${getLog().vkey}\n`);
  });

  /** Every checkpoint issued after tree size `since` (oldest first), for auditors who keep them all. */
  app.get('/checkpoints', async (c) => {
    const since = intParam(c.req.query('since') ?? '0');
    const limit = intParam(c.req.query('limit') ?? '1000');
    if (since === null || limit === null || limit < 1 || limit > 1000) {
      return problem(
        c,
        400,
        'bad-parameter',
        'since は 0 以上の整数、limit は 1〜1000 の整数にしてください。',
      );
    }
    const list = await getLog().checkpointsSince(since, limit);
    c.header('cache-control', SHORT);
    return c.json({ checkpoints: list });
  });

  app.get('/tile/*', async (c) => {
    const path = c.req.path.slice(c.req.path.indexOf('/tile/') + '/tile/'.length);
    const t = parseTilePath(path);
    if (!t) {
      return problem(
        c,
        404,
        'no-such-tile',
        'タイルのパスは C2SP tlog-tiles の形式（tile/<L>/<N>[.p/<W>]）にしてください。',
      );
    }
    const log = getLog();
    if (t.kind === 'entries') {
      const leaves = await log.entries(t.index, t.width);
      if (!leaves) return problem(c, 404, 'no-such-tile', 'このエントリーバンドルはまだありません。');
      let len = 0;
      for (const l of leaves) len += 2 + l.length;
      const out = new Uint8Array(len);
      let off = 0;
      for (const l of leaves) {
        out[off] = l.length >> 8;
        out[off + 1] = l.length & 0xff;
        out.set(l, off + 2);
        off += 2 + l.length;
      }
      return binary(out, t.width === TILE_WIDTH ? IMMUTABLE : SHORT);
    }
    const bytes = await log.tile(t.level, t.index, t.width);
    if (!bytes) return problem(c, 404, 'no-such-tile', 'このタイルはまだありません。');
    return binary(bytes, t.width === TILE_WIDTH ? IMMUTABLE : SHORT);
  });

  app.get('/proof/inclusion', async (c) => {
    const index = intParam(c.req.query('index'));
    const size = intParam(c.req.query('size'));
    const log = getLog();
    if (index === null || size === null || index >= size || size > log.size) {
      return problem(
        c,
        400,
        'bad-parameter',
        `index と size は 0 ≤ index < size ≤ ${log.size}（現在のログの大きさ）の整数にしてください。`,
      );
    }
    const path = await log.inclusionProof(index, size);
    c.header('cache-control', IMMUTABLE);
    return c.json({ index, size, path: path.map(toBase64) });
  });

  app.get('/proof/consistency', async (c) => {
    const first = intParam(c.req.query('first'));
    const second = intParam(c.req.query('second'));
    const log = getLog();
    if (first === null || second === null || first > second || second > log.size) {
      return problem(
        c,
        400,
        'bad-parameter',
        `first と second は 0 ≤ first ≤ second ≤ ${log.size}（現在のログの大きさ）の整数にしてください。`,
      );
    }
    // The empty tree is consistent with every tree: the proof is empty (RFC 9162 §2.1.4).
    const path = first === 0 ? [] : await log.consistencyProof(first, second);
    c.header('cache-control', IMMUTABLE);
    return c.json({ first, second, path: path.map(toBase64) });
  });

  return app;
}

function binary(bytes: Uint8Array, cacheControl: string): Response {
  // Copy into a fresh ArrayBuffer-backed view: the Response body type wants one.
  return new Response(new Uint8Array(bytes), {
    headers: { 'content-type': 'application/octet-stream', 'cache-control': cacheControl },
  });
}

/** A non-negative safe integer written canonically (no sign, no leading zeros), else null. */
export function intParam(v: string | undefined): number | null {
  if (v === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}
