// `densho retention apply`: clears the clear IP and user agent of access events older than the retention period
// (config default or --days), keeps newer ones, records itself, and leaves a log that verify-log accepts — while
// verify-log still finds a tampered row and the database still refuses any other change to an event row.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openRuntime } from '../../src/platform/node/runtime.ts';
import { cli, envFor, tempDir } from './helpers.ts';

const DAY = 86_400_000;
let dataDir: string;

/** Events at 400, 200, 100 and 10 days ago (two each), every one with an IP and a user agent. */
beforeAll(async () => {
  dataDir = join(tempDir('densho-retention-'), 'data');
  let now = Date.now() - 400 * DAY;
  const runtime = await openRuntime(loadConfig(envFor(dataDir)), { clock: { now: () => now } });
  for (const age of [400, 200, 100, 10]) {
    now = Date.now() - age * DAY;
    for (const i of [1, 2]) {
      await runtime.access.record({
        action: 'certificate.view',
        outcome: 'success',
        actor: `user:${i}`,
        ip: `192.0.2.${i}`,
        userAgent: `Mozilla/5.0 (age ${age})`,
        detail: { age },
      });
    }
  }
  await runtime.close();
});

function rows(): { log_index: number; ip: string | null; user_agent: string | null; age: number | null }[] {
  const db = new BetterSqlite3(join(dataDir, 'densho.db'), { readonly: true });
  try {
    return db
      .prepare(
        "SELECT log_index, ip, user_agent, json_extract(detail, '$.age') AS age FROM access_events WHERE action = 'certificate.view' ORDER BY log_index",
      )
      .all() as never;
  } finally {
    db.close();
  }
}

describe('retention apply', () => {
  it('clears IP and user agent older than the configured days (default 180), keeps newer ones', async () => {
    const r = await cli(envFor(dataDir), ['retention', 'apply']);
    expect(r.code, r.err.join()).toBe(0);
    expect(r.stdout).toMatch(
      /cleared the IP address and user agent of 4 access events before .* \(180 days\)/,
    );
    for (const row of rows()) {
      const old = (row.age ?? 0) > 180;
      expect(row.ip === null, `age ${row.age}`).toBe(old);
      expect(row.user_agent === null, `age ${row.age}`).toBe(old);
    }
    const v = await cli(envFor(dataDir), ['verify-log']);
    expect(v.code, v.err.join()).toBe(0);
  });

  it('takes --days and DENSHO_ACCESS_RETENTION_DAYS; a second run clears nothing more', async () => {
    const env = envFor(dataDir, { DENSHO_ACCESS_RETENTION_DAYS: '150' });
    const r = await cli(env, ['retention', 'apply']);
    expect(r.stdout).toMatch(/of 0 access events .*\(150 days\)/);
    const d = await cli(env, ['retention', 'apply', '--days', '50']);
    expect(d.code, d.err.join()).toBe(0);
    expect(d.stdout).toMatch(/of 2 access events .*\(50 days\)/);
    for (const row of rows()) expect(row.ip === null, `age ${row.age}`).toBe((row.age ?? 0) > 50);
    const bad = await cli(env, ['retention', 'apply', '--days', '0']);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/--days must be a whole number of days from 1 to 36500/);
    const badEnv = await cli(envFor(dataDir, { DENSHO_ACCESS_RETENTION_DAYS: 'soon' }), [
      'retention',
      'apply',
    ]);
    expect(badEnv.code).toBe(1);
    expect(badEnv.err.join()).toMatch(/DENSHO_ACCESS_RETENTION_DAYS must be a whole number/);
  });

  it('is itself an access event, and verify-log still passes', async () => {
    const db = new BetterSqlite3(join(dataDir, 'densho.db'), { readonly: true });
    const runs = db
      .prepare(
        "SELECT outcome, detail FROM access_events WHERE action = 'admin.retention.apply' ORDER BY log_index",
      )
      .all() as { outcome: string; detail: string }[];
    db.close();
    expect(runs.map((r) => JSON.parse(r.detail).cleared)).toEqual([4, 0, 2]);
    expect(runs.every((r) => r.outcome === 'ok')).toBe(true);
    expect((await cli(envFor(dataDir), ['verify-log'])).code).toBe(0);
  });

  it('the database refuses any other change; verify-log still finds a tampered cleared row', async () => {
    const db = new BetterSqlite3(join(dataDir, 'densho.db'));
    try {
      const cleared = rows().find((r) => r.ip === null)!;
      expect(() =>
        db.prepare("UPDATE access_events SET ip = '203.0.113.9' WHERE log_index = ?").run(cleared.log_index),
      ).toThrow(/only ip and user_agent may be cleared/);
      expect(() =>
        db.prepare("UPDATE access_events SET outcome = 'failure' WHERE log_index = ?").run(cleared.log_index),
      ).toThrow(/only ip and user_agent may be cleared/);
      // Someone with write access to the file drops the guard and edits the row: verify-log names it.
      db.exec('DROP TRIGGER access_events_leaf_fields_frozen');
      db.prepare("UPDATE access_events SET outcome = 'failure' WHERE log_index = ?").run(cleared.log_index);
    } finally {
      db.close();
    }
    const v = await cli(envFor(dataDir), ['verify-log']);
    expect(v.code).toBe(1);
    expect(v.err.join()).toMatch(/access: .*outcome is "failure" in the row but "success" in the leaf/);
  });
});
