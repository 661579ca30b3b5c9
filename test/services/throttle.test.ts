// The DB-backed throttle (login and 保証確認 use it): fixed windows, lockout after `limit` failures, a fresh count
// after the lock, reset, and one shared count for every process that opens the same database.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/platform/node/migrator.ts';
import { type OpenedDatabase, openDatabase } from '../../src/platform/node/sqlite.ts';
import { createThrottle } from '../../src/services/throttle.ts';
import { tempDataDir } from '../helpers/platform.ts';

const POLICY = { limit: 3, windowMs: 60_000, lockMs: 120_000 };
let dir: string;
let a: OpenedDatabase;
let b: OpenedDatabase;

beforeAll(() => {
  dir = tempDataDir('densho-throttle-');
  a = openDatabase(`${dir}/densho.db`);
  migrate(a.sqlite);
  b = openDatabase(`${dir}/densho.db`); // a second "process" on the same file
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createThrottle', () => {
  it('locks on the limit-th failure inside one window and reports when to retry', async () => {
    const t = createThrottle(a.db);
    const now = 1_000_000;
    expect(await t.check('k1', now)).toEqual({ allowed: true });
    expect(await t.fail('k1', now, POLICY)).toEqual({ lockedNow: false });
    expect(await t.fail('k1', now + 10, POLICY)).toEqual({ lockedNow: false });
    expect(await t.fail('k1', now + 20, POLICY)).toEqual({ lockedNow: true });
    expect(await t.check('k1', now + 20)).toEqual({ allowed: false, retryAfterSeconds: 120, locked: true });
    expect(await t.check('k1', now + 20 + 119_500)).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
      locked: true,
    });
    expect(await t.check('k1', now + 20 + 120_000)).toEqual({ allowed: true });
    // After the lock the count starts again: two more failures do not lock.
    expect(await t.fail('k1', now + 130_000, POLICY)).toEqual({ lockedNow: false });
    expect(await t.fail('k1', now + 130_001, POLICY)).toEqual({ lockedNow: false });
  });

  it('starts a new count when the window has passed', async () => {
    const t = createThrottle(a.db);
    const now = 5_000_000;
    await t.fail('k2', now, POLICY);
    await t.fail('k2', now + 1, POLICY);
    expect(await t.fail('k2', now + POLICY.windowMs, POLICY)).toEqual({ lockedNow: false });
    expect(await t.check('k2', now + POLICY.windowMs)).toEqual({ allowed: true });
  });

  it('forgets a key on reset, and limit 1 locks on the first failure', async () => {
    const t = createThrottle(a.db);
    await t.fail('k3', 0, POLICY);
    await t.fail('k3', 1, POLICY);
    await t.reset('k3');
    expect(await t.fail('k3', 2, POLICY)).toEqual({ lockedNow: false });
    expect(await t.fail('k4', 0, { limit: 1, windowMs: 1000, lockMs: 1000 })).toEqual({ lockedNow: true });
    expect((await t.check('k4', 500)).allowed).toBe(false);
  });

  it('checks several keys in one read, in the order given, and says which have a count to reset', async () => {
    const t = createThrottle(a.db);
    await t.fail('m-locked', 0, { limit: 1, windowMs: 1000, lockMs: 5000 });
    await t.fail('m-counted', 0, POLICY);
    expect(await t.checkMany(['m-none', 'm-locked', 'm-counted'], 1000)).toEqual([
      { allowed: true, tracked: false },
      { allowed: false, retryAfterSeconds: 4, locked: true, tracked: true },
      { allowed: true, tracked: true },
    ]);
    await t.resetMany(['m-locked', 'm-counted']);
    await t.resetMany([]);
    expect((await t.checkMany(['m-locked', 'm-counted'], 1000)).map((c) => c.tracked)).toEqual([
      false,
      false,
    ]);
  });

  it('counts across processes sharing the database', async () => {
    const ta = createThrottle(a.db);
    const tb = createThrottle(b.db);
    await ta.fail('shared', 0, POLICY);
    await tb.fail('shared', 1, POLICY);
    expect(await ta.fail('shared', 2, POLICY)).toEqual({ lockedNow: true });
    expect((await tb.check('shared', 3)).allowed).toBe(false);
  });

  it('counts every concurrent failure (one atomic statement each)', async () => {
    const t = createThrottle(a.db);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.fail('burst', i, { limit: 10, windowMs: 60_000, lockMs: 1000 })),
    );
    expect(results.filter((r) => r.lockedNow).length).toBe(1);
  });
});
