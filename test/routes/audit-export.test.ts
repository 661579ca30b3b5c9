// The CSV export at scale: 100,000 access events (written in batches straight through TrustLog.append, as the
// benchmark fixtures do) stream out over HTTP with flat memory — the V8 heap, measured after forced collections
// while the response is being read, stays within a few MB of where it started — and parse back completely.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillLogs } from '../../bench/fixtures.ts';
import { CsvParser, ensurePlatformOrg, PLATFORM_ORG } from '../helpers/audit.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { WebClient as SessionClient, TEST_PASSWORD } from '../helpers/web.ts';
import { addUser } from '../helpers/web-certs.ts';

const EVENTS = 100_000;
let p: TestPlatform;

/** A full collection: global.gc when node runs with --expose-gc, else the same function fetched through V8 flags. */
function gcFunction(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

beforeAll(async () => {
  p = await startTestPlatform();
  await ensurePlatformOrg(p);
  await addUser(p, { orgCode: PLATFORM_ORG, login: 'pa-export', role: 'auditor' });
  const t0 = performance.now();
  await fillLogs(p.server.runtime, { certs: 0, access: EVENTS });
  console.log(
    `[audit-export] seeded ${EVENTS} access events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}, 180_000);

afterAll(async () => {
  await p?.close();
});

describe('CSV export of 100k events', () => {
  it('streams with flat memory and parses back to every row', async () => {
    const gc = gcFunction();
    const w = new SessionClient(p.url);
    await w.login('pa-export', TEST_PASSWORD);
    const size = p.server.runtime.logs.access.size;

    gc();
    const baseline = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const res = await w.get('/audit/events.csv');
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let rows = 0;
    let last = Number.POSITIVE_INFINITY;
    let header: string[] | null = null;
    let columns = 0;
    const parser = new CsvParser((r) => {
      if (header === null) {
        header = r;
        columns = r.length;
        return;
      }
      const index = Number(r[0]);
      // newest first, strictly decreasing, every column present
      if (!(index < last) || r.length !== columns) throw new Error(`bad row ${rows}: ${r.join('|')}`);
      last = index;
      rows++;
    });
    let chunks = 0;
    let bytes = 0;
    let peak = 0;
    let first = true;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks++;
      bytes += value.length;
      let text = decoder.decode(value, { stream: true });
      if (first) {
        expect(text.charCodeAt(0)).toBe(0xfeff);
        text = text.slice(1);
        first = false;
      }
      parser.push(text);
      if (chunks % 10 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    }
    parser.end();
    const seconds = (performance.now() - t0) / 1000;
    gc();
    const after = process.memoryUsage().heapUsed - baseline;
    console.log(
      `[audit-export] ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB in ${chunks} chunks, ${seconds.toFixed(2)} s ` +
        `(${Math.round(rows / seconds)} rows/s); heap growth while streaming: peak ${(peak / 1e6).toFixed(2)} MB, ` +
        `after ${(after / 1e6).toFixed(2)} MB`,
    );
    // Every event that existed when the export started (the export's own event is the next index).
    expect(rows).toBe(size);
    expect(last).toBe(0);
    expect(bytes).toBeGreaterThan(15_000_000);
    // The whole CSV would be > 15 MB as bytes and more as strings and row objects; one page is well under 4 MB.
    expect(peak).toBeLessThan(8_000_000);
  }, 120_000);
});
