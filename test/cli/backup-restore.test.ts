// backup → restore round trip (the restored instance starts and verifies), and every refusal leaving the live
// data directory as it was: lock held by a server, damaged backup, keys that do not belong to it.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { fillLogs } from '../../bench/fixtures.ts';
import { loadConfig } from '../../src/config.ts';
import { acquireLock } from '../../src/platform/node/lockfile.ts';
import { openRuntime } from '../../src/platform/node/runtime.ts';
import { cli, envFor, snapshot, tempDir } from './helpers.ts';

let dir: string;
let source: string;
let backupFile: string;

beforeAll(async () => {
  dir = tempDir();
  source = join(dir, 'source');
  const runtime = await openRuntime(loadConfig(envFor(source)));
  await fillLogs(runtime, { certs: 300, access: 40 }, { batch: 64 });
  await runtime.close();
  backupFile = join(dir, 'densho-backup.db');
});

describe('backup', () => {
  it('writes the database and FILE.keys.json (0600)', async () => {
    const r = await cli(envFor(source), ['backup', '--to', backupFile]);
    expect(r.code, r.err.join()).toBe(0);
    expect(r.out[0]).toMatch(/^backup: .*densho-backup\.db \(\d+ bytes; access 40, certs 300 entries\)/);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(statSync(`${backupFile}.keys.json`).mode & 0o777).toBe(0o600);
    const keys = JSON.parse(readFileSync(`${backupFile}.keys.json`, 'utf8')) as {
      files: Record<string, string>;
    };
    expect(Object.keys(keys.files)).toEqual(
      expect.arrayContaining(['note.jwk', 'receipt-current', 'secrets.json']),
    );
  });

  it('refuses to overwrite without --force, and a missing database', async () => {
    const again = await cli(envFor(source), ['backup', '--to', backupFile]);
    expect(again.code).toBe(1);
    expect(again.err[0]).toMatch(/exists — choose another --to, or add --force/);
    const none = await cli(envFor(join(dir, 'empty')), ['backup', '--to', join(dir, 'x.db')]);
    expect(none.err[0]).toMatch(/no database at/);
  });
});

describe('restore', () => {
  it('round trip: the restored instance starts and verify-log passes; the old database is kept', async () => {
    const target = join(dir, 'target');
    // Something to be replaced: a different live instance.
    const other = await openRuntime(loadConfig(envFor(target)));
    await fillLogs(other, { certs: 3, access: 3 });
    await other.close();

    const r = await cli(envFor(target), ['restore', '--from', backupFile]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toMatch(/^certs: 300 leaves/);
    expect(r.out.join('\n')).toMatch(/previous database kept as .*densho\.db\.before-restore-\d{8}T\d{6}Z/);
    // The backed-up database, with one access event more on each side: the source recorded its backup (after the
    // copy), the restored instance its restore. Everything else is identical.
    const lastAction = (d: string) => {
      const db = new BetterSqlite3(join(d, 'densho.db'), { readonly: true });
      try {
        return db
          .prepare('SELECT log_index, action FROM access_events ORDER BY log_index DESC LIMIT 1')
          .get();
      } finally {
        db.close();
      }
    };
    expect(lastAction(source)).toEqual({ log_index: 40, action: 'admin.backup' });
    expect(lastAction(target)).toEqual({ log_index: 40, action: 'admin.restore' });
    const withoutAccess = (d: string) =>
      snapshot(d)
        .split('\n')
        .filter((l) => !l.startsWith('access_events:'));
    expect(withoutAccess(target)).toEqual(withoutAccess(source));

    const started = await openRuntime(loadConfig(envFor(target)));
    expect(started.logs.certs.size).toBe(300);
    await started.close();
    const v = await cli(envFor(target), ['verify-log']);
    expect(v.code, v.err.join()).toBe(0);
    expect(v.out[0]).toMatch(/^certs: 300 leaves/);
  });

  it('restores into an empty data directory', async () => {
    const fresh = join(dir, 'fresh');
    const r = await cli(envFor(fresh), ['restore', '--from', backupFile]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect((await cli(envFor(fresh), ['verify-log'])).code).toBe(0);
  });

  it('is refused while a server holds the lock, leaving everything as it was', async () => {
    const live = join(dir, 'target');
    const before = snapshot(live);
    const lock = acquireLock(live, 'serve');
    try {
      const r = await cli(envFor(live), ['restore', '--from', backupFile]);
      expect(r.code).toBe(1);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(
        /^densho: the data directory is in use by `densho serve` \(pid \d+.*stop that process first/,
      );
    } finally {
      lock.release();
    }
    expect(snapshot(live)).toBe(before);
  });

  it('refuses a damaged backup and keys that do not belong to it', async () => {
    const live = join(dir, 'target');
    const before = snapshot(live);
    const damaged = join(dir, 'damaged.db');
    const bytes = readFileSync(backupFile);
    bytes.fill(0x41, 20_000, 60_000);
    writeFileSync(damaged, bytes);
    writeFileSync(`${damaged}.keys.json`, readFileSync(`${backupFile}.keys.json`));
    const r = await cli(envFor(live), ['restore', '--from', damaged]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/^densho: restore refused: .*damaged\.db .*nothing was changed/);

    // The right database with another instance's keys: its checkpoints don't verify.
    const wrongKeys = join(dir, 'other-keys.db');
    writeFileSync(wrongKeys, readFileSync(backupFile));
    const otherBackup = join(dir, 'other.db');
    expect((await cli(envFor(join(dir, 'fresh')), ['keys', 'rotate'])).code).toBe(0);
    const fresh2 = join(dir, 'fresh2');
    const rt = await openRuntime(loadConfig(envFor(fresh2)));
    await rt.close();
    expect((await cli(envFor(fresh2), ['backup', '--to', otherBackup])).code).toBe(0);
    writeFileSync(`${wrongKeys}.keys.json`, readFileSync(`${otherBackup}.keys.json`));
    const w = await cli(envFor(live), ['restore', '--from', wrongKeys]);
    expect(w.code).toBe(1);
    expect(w.err[0]).toMatch(/restore refused: .*does not pass the startup self-check .*nothing was changed/);

    const missing = await cli(envFor(live), ['restore', '--from', join(dir, 'nope.db')]);
    expect(missing.err[0]).toMatch(/no backup at/);
    expect(snapshot(live)).toBe(before);
    expect(existsSync(join(live, 'densho.lock'))).toBe(false);
  });
});
