// Benchmark plumbing: a prepared data dir with a registered surety, the server child, the load child, medians.
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { migrate } from '../../src/platform/node/migrator.ts';
import { databaseFile } from '../../src/platform/node/runtime.ts';
import { openDatabase } from '../../src/platform/node/sqlite.ts';
import { insertOrganisation } from '../../src/repos/organisations.ts';
import { insertSuretyKey } from '../../src/repos/surety-keys.ts';
import { sampleIssueEvent } from '../../test/shared/sample-event.ts';

export const ROOT = join(import.meta.dirname, '../..');

export interface PreparedSurety {
  kid: string;
  sign(payload: unknown): Promise<string>;
}

/** A data dir with the three seed orderers and one surety key registered (as the operator CLI would). */
export async function prepareDataDir(): Promise<{ dataDir: string; surety: PreparedSurety }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'densho-bench-'));
  const opened = openDatabase(databaseFile(dataDir));
  migrate(opened.sqlite);
  const now = Date.now();
  for (const [code, name] of [
    ['092134', '那須塩原市長'],
    ['090000', '栃木県知事'],
    ['2000012100001', '国土交通省'],
  ] as const) {
    await insertOrganisation(opened.db, {
      kind: 'orderer',
      code,
      name,
      acceptsEsurety: true,
      acceptsSince: null,
      now,
    });
  }
  const suretyId = await insertOrganisation(opened.db, {
    kind: 'surety',
    code: 'ejcs',
    name: '東日本建設業保証株式会社',
    acceptsEsurety: false,
    acceptsSince: null,
    now,
  });
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  await insertSuretyKey(opened.db, { kid, suretyId, publicJwk: JSON.stringify(jwk), alg: 'EdDSA', now });
  await opened.close();
  return {
    dataDir,
    surety: {
      kid,
      sign: (payload) =>
        new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
          .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'densho-event+jws' })
          .sign(privateKey),
    },
  };
}

let counter = 0;
/** A distinct, valid 前払金保証 issue event (the seed certificate's shape). */
export function benchIssueEvent(): Record<string, unknown> {
  counter += 1;
  const n = String(counter).padStart(8, '0');
  return sampleIssueEvent({
    eventId: `bench-${process.pid}-${n}`,
    contractNumber: `B${process.pid % 1000}-${n}`,
  });
}

export async function writeSignedBodies(surety: PreparedSurety, count: number, file: string): Promise<void> {
  const out: string[] = [];
  for (let i = 0; i < count; i += 1000) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(1000, count - i) }, () => surety.sign(benchIssueEvent())),
    );
    out.push(...chunk);
  }
  writeFileSync(file, `${out.join('\n')}\n`);
}

export interface ServerChild {
  url: string;
  baselineUrl: string;
  rss(): Promise<{ rss: number; peakRss: number }>;
  /** CPU time the server process has used so far (user + system, all threads), in ms. */
  cpuMs(): Promise<number>;
  resetPeak(): Promise<void>;
  /**
   * Control only (the append-overhead figure): with `false` the server's access events are not appended at all —
   * record() resolves at once, nothing is written — so a page's cost without its durable append can be measured in
   * the same process and run. Never do this outside a benchmark.
   */
  setAccessAppends(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

export async function startServerChild(
  dataDir: string,
  port: number,
  baselinePort: number,
): Promise<ServerChild> {
  const child: ChildProcess = fork(join(ROOT, 'bench/lib/server-child.ts'), [], {
    cwd: ROOT,
    execArgv: [
      '--import',
      'tsx',
      // The server's V8 flags as `npm start` sets them (package.json); BENCH_NODE_FLAGS replaces them for A/B runs.
      ...(process.env.BENCH_NODE_FLAGS !== undefined
        ? process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean)
        : ['--max-semi-space-size=32']),
      ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []),
    ],
    env: {
      ...process.env,
      DENSHO_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      BASELINE_PORT: String(baselinePort),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(cmd: string, key: string) =>
    new Promise<T>((resolve) => {
      const on = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off('message', on);
          resolve(m as T);
        }
      };
      child.on('message', on);
      child.send({ cmd });
    });
  const ready = await new Promise<{ url: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string }));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    url: ready.url,
    baselineUrl: `http://127.0.0.1:${baselinePort}/`,
    rss: () => ask('rss', 'rss'),
    cpuMs: async () => {
      const { cpu } = await ask<{ cpu: number }>('cpu', 'cpu');
      return cpu / 1000;
    },
    resetPeak: async () => {
      await ask('reset-peak', 'ok');
    },
    setAccessAppends: async (on) => {
      await ask(on ? 'access-appends-on' : 'access-appends-off', 'ok');
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send({ cmd: 'stop' });
      }),
  };
}

export interface LoadResult {
  rps: number;
  total: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p90: number; p99: number; max: number };
  used: number;
}

/** Run the load generator in its own process (never in the server's). */
export function runLoad(opts: {
  url: string;
  connections: number;
  duration: number;
  bodiesFile?: string;
  pathsFile?: string;
  overallRate?: number;
}): LoadResult {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/lib/load.ts'), JSON.stringify(opts)],
    {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (r.status !== 0) throw new Error(`load generator failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as LoadResult;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function verdict(ok: boolean): string {
  return ok ? 'MEETS TARGET' : 'BELOW TARGET';
}

export interface WrkResult {
  /** Requests per second that got the expected answer (201 for ingest, any for plain GETs). */
  rps: number;
  requests: number;
  errors: number;
  other: number;
  p50: number;
  p90: number;
  p99: number;
}

interface WrkOptions {
  url: string;
  connections: number;
  duration: number;
  bodiesFile?: string;
  threads?: number;
}

function wrkArgs(opts: WrkOptions): string[] {
  const script = join(ROOT, opts.bodiesFile ? 'bench/lib/wrk-bodies.lua' : 'bench/lib/wrk-plain.lua');
  const args = [
    '-t',
    String(opts.threads ?? 1),
    '-c',
    String(opts.connections),
    '-d',
    `${opts.duration}s`,
    '--timeout',
    '10s',
    '-s',
    script,
    opts.url,
  ];
  if (opts.bodiesFile) args.push('--', opts.bodiesFile);
  return args;
}

/** The JSON line the wrk scripts print last (their done() summary). */
function wrkSummary(status: number | null, stdout: string, stderr: string): Record<string, number> {
  if (status !== 0) throw new Error(`wrk failed (is it installed? apt-get install wrk): ${stderr}`);
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new Error(`wrk printed no summary: ${stdout}`);
  return JSON.parse(line) as Record<string, number>;
}

function wrkResult(opts: WrkOptions, status: number | null, stdout: string, stderr: string): WrkResult {
  const j = wrkSummary(status, stdout, stderr);
  const ok = opts.bodiesFile ? j.created! : j.requests!;
  return {
    rps: ok / j.seconds!,
    requests: j.requests!,
    errors: j.errors!,
    other: j.other ?? 0,
    p50: j.p50!,
    p90: j.p90 ?? j.p50!,
    p99: j.p99!,
  };
}

function wrkEnv(threads = 1): NodeJS.ProcessEnv {
  return { ...process.env, WRK_THREADS: String(threads) };
}

/** wrk as a child that does not block this process's event loop (for a server in this process). */
function spawnWrk(
  args: string[],
  threads?: number,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('wrk', args, { env: wrkEnv(threads) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * Run Debian's wrk (C, far lighter than autocannon on a 2-core box: more of the CPU goes to the server under
 * test). With bodiesFile, POSTs each pre-signed body once; otherwise plain GETs.
 */
export function runWrk(opts: WrkOptions): WrkResult {
  const r = spawnSync('wrk', wrkArgs(opts), { encoding: 'utf8', env: wrkEnv(opts.threads) });
  return wrkResult(opts, r.status, r.stdout, r.stderr);
}

/** runWrk for a server in THIS process (its event loop must keep turning while wrk runs). */
export async function runWrkAsync(opts: WrkOptions): Promise<WrkResult> {
  const r = await spawnWrk(wrkArgs(opts), opts.threads);
  return wrkResult(opts, r.status, r.stdout, r.stderr);
}

export interface WrkSessionResult {
  /** Answers per second by status, over the run's wall time. */
  rps303: number;
  rps200: number;
  requests: number;
  /** Answers that were neither 303 nor 200 (firstOther: the first such status seen). */
  other: number;
  firstOther: number;
  errors: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

/**
 * Run wrk with bench/lib/wrk-verify.lua: signed-in clerks' requests built from a tuples file
 * (cookie, csrf, number, key), in one of its modes (verify | show | view | mixed | list | search).
 */
export interface WrkSessionOptions {
  url: string;
  origin: string;
  connections: number;
  duration: number;
  tuplesFile: string;
  mode: 'verify' | 'show' | 'view' | 'mixed' | 'list' | 'search';
  threads?: number;
}

function wrkSessionArgs(opts: WrkSessionOptions): string[] {
  return [
    '-t',
    String(opts.threads ?? 1),
    '-c',
    String(opts.connections),
    '-d',
    `${opts.duration}s`,
    '--timeout',
    '10s',
    '-s',
    join(ROOT, 'bench/lib/wrk-verify.lua'),
    opts.url,
    '--',
    opts.tuplesFile,
    opts.mode,
    opts.origin,
  ];
}

function wrkSessionResult(status: number | null, stdout: string, stderr: string): WrkSessionResult {
  const j = wrkSummary(status, stdout, stderr);
  return {
    rps303: j.s303! / j.seconds!,
    rps200: j.s200! / j.seconds!,
    requests: j.requests!,
    other: j.other!,
    firstOther: j.firstOther!,
    errors: j.errors!,
    p50: j.p50!,
    p90: j.p90!,
    p95: j.p95!,
    p99: j.p99!,
  };
}

/** Signed-in clerks' requests through bench/lib/wrk-verify.lua (see its header for the modes). */
export function runWrkSessions(opts: WrkSessionOptions): WrkSessionResult {
  const r = spawnSync('wrk', wrkSessionArgs(opts), { encoding: 'utf8', env: wrkEnv(opts.threads) });
  return wrkSessionResult(r.status, r.stdout, r.stderr);
}

/** runWrkSessions for a server in THIS process. */
export async function runWrkSessionsAsync(opts: WrkSessionOptions): Promise<WrkSessionResult> {
  const r = await spawnWrk(wrkSessionArgs(opts), opts.threads);
  return wrkSessionResult(r.status, r.stdout, r.stderr);
}

export interface PacedResult {
  sent: number;
  statusErrors: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Open-loop paced load in its own process (bench/lib/paced.ts): signed JWS POSTs, or signed-in GETs. */
export function runPaced(opts: {
  url: string;
  rate: number;
  duration: number;
  bodiesFile?: string;
  getsFile?: string;
}): PacedResult {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/lib/paced.ts'), JSON.stringify(opts)],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`paced load failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PacedResult;
}
