// Workers figures (issue #5): the bundle `wrangler deploy` would upload, the worker's cold start under
// `wrangler dev` (local workerd + D1, offline), and durable signed ingest through `wrangler dev` with the
// LogSequencer Durable Object as the single writer. wrangler dev is a development proxy (Node in front of
// workerd, D1 as a local SQLite file): these are figures for this box, not Cloudflare's production speed.
// Usage: npx tsx bench/workers-ingest.ts [--events 1500] [--connections 32] [--rounds 3]
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { demoSeedSql } from '../scripts/cf-demo.ts';
import { devVarsText } from '../scripts/cf-dev-vars.ts';
import { sampleIssueEvent } from '../test/shared/sample-event.ts';

const ROOT = join(import.meta.dirname, '..');
const ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' };
/** Target from the issue: none for dev-proxy speed; the bundle must fit Workers' 3 MiB (free) gzip limit. */
const BUNDLE_LIMIT_GZIP = 3 * 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1500' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
  },
});
const EVENTS = Number(args.events);
const CONNECTIONS = Number(args.connections);
const ROUNDS = Number(args.rounds);

function wrangler(argv: string[]): string {
  const r = spawnSync('npx', ['wrangler', ...argv], { cwd: ROOT, encoding: 'utf8', env: ENV });
  if (r.status !== 0) throw new Error(`wrangler ${argv.join(' ')} failed:\n${r.stderr || r.stdout}`);
  return r.stdout;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function bundle(): { files: { name: string; bytes: number }[]; js: number; gzip: number } {
  const out = mkdtempSync(join(tmpdir(), 'densho-bundle-'));
  try {
    wrangler(['deploy', '--dry-run', '--outdir', out]);
    const files = readdirSync(out).map((name) => ({ name, bytes: statSync(join(out, name)).size }));
    const js = files.filter((f) => f.name.endsWith('.js'));
    const all = Buffer.concat(js.map((f) => readFileSync(join(out, f.name))));
    return { files, js: all.length, gzip: gzipSync(all, { level: 9 }).length };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

interface Dev {
  child: ChildProcess;
  url: string;
  /** Spawn → the port accepts connections (wrangler bundles, starts workerd and its proxy). */
  readyMs: number;
  /** The first request: isolate start, runtime wiring, the Durable Object opening both logs with their self-check. */
  firstMs: number;
  /** Median of 20 later GET /healthz. */
  warmMs: number;
}

async function startDev(state: string, vars: string): Promise<Dev> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      state,
      '--env-file',
      vars,
      '--var',
      `DENSHO_ORIGIN:${url}`,
      '--show-interactive-dev-session=false',
      '--log-level',
      'error',
    ],
    { cwd: ROOT, env: ENV, detached: true, stdio: 'ignore' },
  );
  while (!(await listening(port))) {
    if (performance.now() - t0 > 120_000) throw new Error('wrangler dev did not start within 120 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = performance.now() - t0;
  const t1 = performance.now();
  const first = await fetch(`${url}/healthz`);
  await first.text();
  const firstMs = performance.now() - t1;
  if (first.status !== 200) throw new Error(`first request answered ${first.status}`);
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await (await fetch(`${url}/healthz`)).text();
    warm.push(performance.now() - t);
  }
  return { child, url, readyMs, firstMs, warmMs: median(warm) };
}

function stopDev(dev: Dev): Promise<void> {
  return new Promise((resolve) => {
    if (!dev.child.pid || dev.child.exitCode !== null) return resolve();
    dev.child.once('exit', () => resolve());
    process.kill(-dev.child.pid, 'SIGTERM');
  });
}

let seq = 0;
function issueEvent(): Record<string, unknown> {
  seq += 1;
  const n = `W${process.pid}-${String(seq).padStart(7, '0')}`;
  return sampleIssueEvent({ eventId: `bench-${n}`, contractNumber: n });
}

/** Closed loop: CONNECTIONS clients, each posting its next body when its receipt arrives. */
async function load(
  send: (i: number) => Promise<Response>,
  count: number,
  ok: number,
): Promise<{ perSecond: number; p50: number; p99: number; errors: number }> {
  let next = 0;
  let errors = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        const res = await send(i);
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        if (res.status !== ok) errors += 1;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    perSecond: count / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const b = bundle();
  console.log(
    `bundle (wrangler deploy --dry-run): ${b.files.map((f) => `${f.name} ${fmt(f.bytes / 1024)} KiB`).join(', ')}; ` +
      `JS ${fmt(b.js / 1024)} KiB, gzip ${fmt(b.gzip / 1024)} KiB — limit ${BUNDLE_LIMIT_GZIP / 1024 / 1024} MiB gzip: ` +
      `${b.gzip <= BUNDLE_LIMIT_GZIP ? 'met' : 'MISSED'}`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'densho-workers-bench-'));
  const state = join(dir, 'state');
  const vars = join(dir, 'dev.vars');
  writeFileSync(vars, await devVarsText(), { mode: 0o600 });
  wrangler(['d1', 'migrations', 'apply', 'densho', '--local', '--persist-to', state]);
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const seed = join(dir, 'seed.sql');
  writeFileSync(seed, await demoSeedSql(jwk, kid));
  wrangler(['d1', 'execute', 'densho', '--local', '--persist-to', state, '--file', seed]);

  let dev = await startDev(state, vars);
  try {
    console.log(
      `cold start, new database: wrangler dev ready ${fmt(dev.readyMs)} ms; first request (isolate + ` +
        `Durable Object opening both logs) ${dev.firstMs.toFixed(1)} ms; warm GET /healthz median ${dev.warmMs.toFixed(1)} ms`,
    );
    const healthz = await load(() => fetch(`${dev.url}/healthz`), 2000, 200);
    console.log(
      `baseline GET /healthz (one D1 read: both logs' sizes), ${CONNECTIONS} conns: ${fmt(healthz.perSecond)} req/s, ` +
        `p50 ${healthz.p50.toFixed(1)} ms, p99 ${healthz.p99.toFixed(1)} ms`,
    );
    const rates: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const bodies = await Promise.all(
        Array.from({ length: EVENTS }, () =>
          new CompactSign(new TextEncoder().encode(JSON.stringify(issueEvent())))
            .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'densho-event+jws' })
            .sign(privateKey),
        ),
      );
      const r = await load(
        (i) =>
          fetch(`${dev.url}/api/v1/certificates`, {
            method: 'POST',
            headers: { 'content-type': 'application/jose' },
            body: bodies[i]!,
          }),
        EVENTS,
        201,
      );
      rates.push(r.perSecond);
      console.log(
        `ingest round ${round}: ${EVENTS} events, ${CONNECTIONS} conns: ${fmt(r.perSecond)} events/s, ` +
          `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.errors} not 201`,
      );
      if (r.errors > 0) throw new Error('some pushes were not accepted: the figure would be meaningless');
    }
    const health = (await (await fetch(`${dev.url}/healthz`)).json()) as { certs: number };
    console.log(
      `ingest through wrangler dev (median of ${ROUNDS}): ${fmt(median(rates))} events/s ` +
        `(${rates.map(fmt).join(' / ')}); certs log size ${health.certs}`,
    );
    await stopDev(dev);
    dev = await startDev(state, vars);
    console.log(
      `cold start, ${fmt(health.certs)} certificates in the log: wrangler dev ready ${fmt(dev.readyMs)} ms; first request ` +
        `${dev.firstMs.toFixed(1)} ms; warm median ${dev.warmMs.toFixed(1)} ms`,
    );
  } finally {
    await stopDev(dev);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
