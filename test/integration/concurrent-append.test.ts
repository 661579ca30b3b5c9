// Two processes appending to the access log: a running server under a stream of access events, and operator CLI
// processes (`user add`, `org add`) committing their admin events meanwhile. TrustLog's optimistic concurrency must
// keep indices contiguous, lose nothing, keep times non-decreasing, and leave a log that passes the startup
// self-check and `densho verify-log`. `restore` still refuses while the server runs.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type RunningServer, startServer } from '../../src/entry-node.ts';
import { acquireLock, type HeldLock } from '../../src/platform/node/lockfile.ts';
import { openRuntime } from '../../src/platform/node/runtime.ts';
import { cli, envFor, freePort, runSpawned, tempDir } from '../cli/helpers.ts';

let dataDir: string;
let env: Record<string, string>;
let server: RunningServer | null = null;
let lock: HeldLock | null = null;

beforeAll(async () => {
  dataDir = join(tempDir('densho-concurrent-'), 'data');
  env = envFor(dataDir, { PORT: String(await freePort()), DENSHO_DEBUG: '1' });
  expect((await cli(env, ['migrate'])).code).toBe(0);
  const org = await cli(env, [
    'org',
    'add',
    '--kind',
    'orderer',
    '--code',
    '092134',
    '--name',
    '那須塩原市長',
  ]);
  expect(org.code, org.err.join()).toBe(0);
  server = await startServer(loadConfig(env));
  lock = acquireLock(dataDir, 'serve'); // what `densho serve` holds
});

afterAll(async () => {
  await server?.close();
  lock?.release();
});

describe('server and CLI appending to the access log at once', () => {
  it('keeps indices contiguous and every event, and the log verifies', { timeout: 120_000 }, async () => {
    const running = server!;
    const start = running.runtime.logs.access.size;
    const backupFile = join(dataDir, '..', 'backup.db');

    // The stream: 8 appends in flight through the server's own sequencer until the CLI processes are done.
    let streaming = true;
    const streamed: number[] = [];
    const stream = Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        while (streaming) {
          const r = await running.runtime.access.record({
            action: 'test.stream',
            outcome: 'ok',
            actor: `user:${w}`,
            ip: '127.0.0.1',
          });
          streamed.push(r.index);
        }
      }),
    );

    // Real operator processes, all at once, while the stream runs (a backup too: also an operator action).
    const cliRuns = [
      ...[1, 2, 3].map((i) =>
        runSpawned(
          ['user', 'add', '--org', '092134', '--login', `clerk${i}`, '--role', 'clerk'],
          env,
          'a-long-enough-password-1234\n',
        ),
      ),
      ...[1, 2, 3].map((i) =>
        runSpawned(['org', 'add', '--kind', 'surety', '--code', `surety${i}`, '--name', `保証 ${i}`], env),
      ),
      runSpawned(['backup', '--to', backupFile], env),
    ];
    const results = await Promise.all(cliRuns);
    streaming = false;
    await stream;
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    for (const r of results) expect(r.stderr).not.toMatch(/not in the access log/);

    // The server adopts the CLI's appends at its next batch: its next index is the stored size.
    const next = await running.runtime.access.record({ action: 'test.after', outcome: 'ok', actor: null });

    const db = new BetterSqlite3(join(dataDir, 'densho.db'), { readonly: true });
    try {
      const rows = db
        .prepare('SELECT log_index, at, action FROM access_events WHERE log_index >= ? ORDER BY log_index')
        .all(start) as { log_index: number; at: number; action: string }[];
      const size = (
        db.prepare("SELECT max(size) AS n FROM log_checkpoints WHERE log = 'access'").get() as { n: number }
      ).n;
      const entries = (
        db.prepare("SELECT count(*) AS n FROM log_entries WHERE log = 'access'").get() as { n: number }
      ).n;
      expect(entries).toBe(size);
      expect(next.index).toBe(size - 1);
      // Contiguous: exactly start … size-1.
      expect(rows.map((r) => r.log_index)).toEqual(Array.from({ length: size - start }, (_, i) => start + i));
      // Nothing lost: every streamed event, every admin event.
      const byIndex = new Map(rows.map((r) => [r.log_index, r.action]));
      for (const i of streamed) expect(byIndex.get(i)).toBe('test.stream');
      const admin = rows.filter((r) => r.action.startsWith('admin.'));
      expect(admin.map((r) => r.action).sort()).toEqual([
        'admin.backup',
        'admin.org.add',
        'admin.org.add',
        'admin.org.add',
        'admin.user.add',
        'admin.user.add',
        'admin.user.add',
      ]);
      // Interleaved, not one after the other: some admin event sits between streamed ones.
      expect(admin.some((a) => streamed.some((i) => i > a.log_index))).toBe(true);
      // Times never decrease along the log, across processes.
      for (let i = 1; i < rows.length; i++) expect(rows[i]!.at).toBeGreaterThanOrEqual(rows[i - 1]!.at);
      // A checkpoint for every batch, none skipped: every checkpoint size is one the tree really had.
      const sizes = (
        db.prepare("SELECT size FROM log_checkpoints WHERE log = 'access' AND size > ?").all(start) as {
          size: number;
        }[]
      ).map((r) => r.size);
      expect(sizes[sizes.length - 1]).toBe(size);
    } finally {
      db.close();
    }

    // verify-log while the server still runs, then `restore` refused, then the startup self-check after a stop.
    const v = await cli(env, ['verify-log']);
    expect(v.code, v.err.join('\n')).toBe(0);
    const refused = await cli(env, ['restore', '--from', backupFile]);
    expect(refused.code).toBe(1);
    expect(refused.err.join()).toMatch(/in use by `densho serve`/);
    await running.close();
    server = null;
    const reopened = await openRuntime(loadConfig(env)); // refuses to open on any mismatch
    expect(reopened.logs.access.size).toBe(next.index + 1);
    await reopened.close();
  });
});
