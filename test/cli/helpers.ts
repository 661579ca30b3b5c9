// CLI test harness: run `densho …` in-process with captured output, spawn the real CLI for end-to-end cases,
// and snapshot the tables a refused command must leave untouched.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll } from 'vitest';
import { runCli } from '../../src/cli/commands/index.ts';
import type { CliIo } from '../../src/cli/commands/shared.ts';
import { sampleIssueEvent } from '../shared/sample-event.ts';

export const ROOT = join(import.meta.dirname, '../..');

export interface CliResult {
  code: number;
  out: string[];
  err: string[];
  /** stdout joined with newlines. */
  stdout: string;
}

const created: string[] = [];
// Temp data directories go when the test file is done (kept while it runs, so a failing test can be inspected).
// Registered while a test file imports this module, so the hook belongs to that file.
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'densho-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function envFor(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DENSHO_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '18999', ...extra };
}

/** Run one CLI invocation in this process (fast: no process start, no tsx compile). */
export async function cli(env: Record<string, string>, args: string[], stdin = ''): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => stdin,
    promptSecret: async () => null,
    waitForStop: () => new Promise(() => {}),
  };
  const code = await runCli(args, io);
  return { code, out, err, stdout: out.join('\n') };
}

/** Rows of every table an operator command touches, plus log sizes: equal snapshots = nothing written. */
export function snapshot(dataDir: string): string {
  const db = new BetterSqlite3(join(dataDir, 'densho.db'), { readonly: true });
  try {
    const parts = ['organisations', 'surety_keys', 'users', 'access_events', 'certificate_events'].map(
      (t) => `${t}:${JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY 1`).all())}`,
    );
    parts.push(JSON.stringify(db.prepare('SELECT log, count(*) AS n FROM log_entries GROUP BY log').all()));
    parts.push(
      JSON.stringify(db.prepare('SELECT log, max(size) AS n FROM log_checkpoints GROUP BY log').all()),
    );
    return parts.join('\n');
  } finally {
    db.close();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches (rejects if the process exits first or on timeout). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** Spawn the real CLI: `node --import tsx src/cli/main.ts …`. */
export function spawnCli(args: string[], env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (re, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          const m = out.match(re);
          if (m) return resolve(m);
          if (child.exitCode !== null) return reject(new Error(`exited ${child.exitCode}: ${err}`));
          if (Date.now() - started > timeoutMs)
            return reject(new Error(`timeout; stdout=${out} stderr=${err}`));
          setTimeout(tick, 50);
        };
        tick();
      }),
  };
}

/** Run the real CLI to completion. */
export async function runSpawned(
  args: string[],
  env: Record<string, string>,
  stdin = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const s = spawnCli(args, env);
  s.child.stdin!.end(stdin);
  const code = await s.exited;
  return { code, stdout: s.stdout(), stderr: s.stderr() };
}

/** A valid 前払金保証 issue event (the shared sample) with this contract number. */
export function issueEvent(
  contractNumber: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return sampleIssueEvent({ eventId: `ev-${contractNumber}`, contractNumber }, overrides);
}
