// The data-directory lock: exclusive, released on demand, stale locks of dead processes taken over.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { acquireLock, LockHeldError, lockPath, readLock } from '../../src/platform/node/lockfile.ts';
import { tempDir } from './helpers.ts';

describe('lockfile', () => {
  it('is exclusive while held and free after release', () => {
    const dir = tempDir();
    const lock = acquireLock(dir, 'serve');
    expect(readLock(dir)?.pid).toBe(process.pid);
    expect(() => acquireLock(dir, 'restore')).toThrow(LockHeldError);
    try {
      acquireLock(dir, 'restore');
    } catch (e) {
      expect((e as Error).message).toMatch(/in use by `densho serve` \(pid \d+/);
      expect((e as Error).message).toMatch(/stop that process first/);
    }
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(lockPath(dir))).toBe(false);
    expect(readLock(dir)).toBeNull();
    acquireLock(dir, 'restore').release();
  });

  it('takes over the lock of a dead process', () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const pid = Number(dead.stdout.toString());
    writeFileSync(
      lockPath(dir),
      JSON.stringify({ pid, purpose: 'serve', host: hostname(), startedAt: 'then', token: 'x' }),
    );
    expect(readLock(dir)).toBeNull();
    const lock = acquireLock(dir, 'demo');
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over an unreadable lock file', () => {
    const dir = tempDir();
    writeFileSync(lockPath(dir), 'garbage');
    acquireLock(dir, 'serve').release();
  });

  it('does not remove a lock that someone else took over', () => {
    const dir = tempDir();
    const lock = acquireLock(dir, 'serve');
    writeFileSync(
      lockPath(dir),
      JSON.stringify({ pid: process.pid, purpose: 'other', host: hostname(), token: 'theirs' }),
    );
    lock.release();
    expect(existsSync(lockPath(dir))).toBe(true);
  });
});
