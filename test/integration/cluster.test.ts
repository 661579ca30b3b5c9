// The Node server with HTTP worker processes (DENSHO_HTTP_WORKERS=2), as `densho serve` runs it: the shared
// behaviour tests (ingest, retries, concurrent sequencing, 保証確認, the console, a recompute started in one worker
// and polled from others) over real HTTP, then what only this mode can get wrong — a worker that dies is replaced,
// and SIGTERM under load answers and stores everything it accepted, leaving no process behind. (The crash test
// kills the primary of such a server: test/integration/crash.test.ts.)
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseFile } from '../../src/platform/node/runtime.ts';
import { type OpenedDatabase, openDatabase } from '../../src/platform/node/sqlite.ts';
import { childPids, freePort, processAlive, pushUntilStopped, tempDataDir } from '../helpers/platform.ts';
import { issueEvent, platformBehaviour, type Seeded, seed } from '../shared/platform-behaviour.ts';

const root = join(import.meta.dirname, '../..');
const dataDir = tempDataDir('densho-cluster-');
let server: ChildProcess | null = null;
let output = '';
let opened: OpenedDatabase | null = null;
let url = '';

afterAll(async () => {
  server?.kill('SIGKILL');
  await opened?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}\n${output}`);
}

async function startServer(): Promise<void> {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  output = '';
  server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      DENSHO_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      DENSHO_HTTP_WORKERS: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (d) => {
    output += String(d);
  });
  server.stderr?.on('data', (d) => {
    output += String(d);
  });
  await until('the server to answer /healthz', async () => {
    if (server?.exitCode !== null) throw new Error(`server exited (${server?.exitCode}):\n${output}`);
    return fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
  });
}

platformBehaviour('Node + SQLite, two HTTP worker processes', async () => {
  await startServer();
  opened = openDatabase(databaseFile(dataDir));
  return { origin: url, fetch: (request) => fetch(request), db: opened.db };
});

describe('HTTP worker processes', () => {
  let seeded: Seeded;

  it('serves from two worker processes beside the primary', async () => {
    expect(childPids(server!.pid!)).toHaveLength(2);
    seeded = await seed(opened!.db);
  });

  it('records the client address the worker saw (throttling per IP and the audit trail depend on it)', () => {
    const logins = opened!.sqlite
      .prepare("SELECT ip FROM access_events WHERE action = 'auth.login'")
      .all() as { ip: string | null }[];
    expect(logins.length).toBeGreaterThan(0);
    expect(new Set(logins.map((r) => r.ip))).toEqual(new Set(['127.0.0.1']));
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const [victim, other] = childPids(server!.pid!);
    process.kill(victim!, 'SIGKILL');
    // Its connections die with it; once the primary has noticed, the port (the primary holds it) is served by the
    // other worker alone, then by both again.
    await until('the primary to notice', () => output.includes(`HTTP worker ${victim} exited (SIGKILL)`));
    for (let i = 0; i < 20; i++) {
      expect((await fetch(`${url}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);
    }
    await until('a replacement worker', () => new RegExp(`serving in place of ${victim}`).test(output));
    const now = childPids(server!.pid!);
    expect(now).toHaveLength(2);
    expect(now).toContain(other);
    expect(now).not.toContain(victim);
  });

  it('on SIGTERM under load answers or refuses every push, stores every receipted one, and leaves no process', async () => {
    const jwss = await Promise.all(Array.from({ length: 400 }, () => seeded.sign(issueEvent())));
    const workers = childPids(server!.pid!);
    const { receipts, done } = pushUntilStopped(url, jwss, 16);
    await until('the first receipts', () => receipts.length >= 50);
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    const t0 = Date.now();
    server!.kill('SIGTERM');
    await done;
    expect(await exited).toBe(0);
    // Nothing waited for the 15 s kill timeout: every worker finished by itself.
    expect(Date.now() - t0).toBeLessThan(10_000);
    server = null;
    expect(workers.filter(processAlive)).toEqual([]);
    expect(receipts.length).toBeGreaterThanOrEqual(50);
    const stored = opened!.sqlite.prepare(
      'SELECT contract_number FROM certificate_events WHERE log_index = ?',
    );
    for (const r of receipts) expect(stored.get(r.log.index)).toEqual({ contract_number: r.contractNumber });
  });
});
