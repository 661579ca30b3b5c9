// Benchmark server process: densho on PORT and hono's hello-world on BASELINE_PORT in the SAME process, so the
// baseline and the figure share one event loop and one core budget. Reports its RSS and CPU time over IPC.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/entry-node.ts';

const config = loadConfig(process.env);
const server = await startServer(config);
const realRecord = server.runtime.access.record;
const receiptLike = { pad: 'x'.repeat(2000) };
const hello = new Hono()
  .get('/', (c) => c.text('Hello Hono!'))
  // Control for the HTTP layer alone: read a JWS-sized body, answer a receipt-sized JSON.
  .post('/echo', async (c) => {
    await c.req.text();
    return c.json(receiptLike, 201);
  });
const baselinePort = Number(process.env.BASELINE_PORT);
const baseline = serve({ fetch: hello.fetch, port: baselinePort, hostname: '127.0.0.1' });

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

process.on('message', async (m: { cmd: string }) => {
  if (m.cmd === 'rss') process.send?.({ rss: process.memoryUsage().rss, peakRss });
  // CPU time of the whole server (every thread, and every HTTP worker process with DENSHO_HTTP_WORKERS), µs:
  // per-request cost that other load on the box distorts less.
  if (m.cmd === 'cpu') process.send?.({ cpu: await server.cpuMicros() });
  if (m.cmd === 'reset-peak') {
    peakRss = process.memoryUsage().rss;
    process.send?.({ ok: true });
  }
  // The append-overhead control (harness.ts setAccessAppends): swap the access log's record() for one that writes
  // nothing, and back. Same process, same caches, same run — the only difference is the durable append.
  if (m.cmd === 'access-appends-off') {
    server.runtime.access.record = async () => ({ index: -1, at: Date.now() });
    process.send?.({ ok: true });
  }
  if (m.cmd === 'access-appends-on') {
    server.runtime.access.record = realRecord;
    process.send?.({ ok: true });
  }
  if (m.cmd === 'stop') {
    clearInterval(sampler);
    baseline.close();
    await server.close();
    process.exit(0);
  }
});
process.send?.({ ready: true, url: server.url });
