// The full recompute from the auditor console: clean logs pass; COPIES of the data directory with one leaf, one
// domain row, one hash tile or one old checkpoint altered (triggers dropped on the copy — damage the startup
// self-check cannot see, as it reads only the right edge) are caught, and the page says which. The job runs in
// chunks that yield to the event loop, reports progress, and its result is an access event.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { fillLogs } from '../../bench/fixtures.ts';
import { IntegrityJobs, recomputeLog } from '../../src/services/audit-integrity.ts';
import { ensurePlatformOrg, PLATFORM_ORG, recordEvents } from '../helpers/audit.ts';
import { startTestPlatform, type TestPlatform, tempDataDir } from '../helpers/platform.ts';
import { addUser, HTMX, pushIssue, WebClient } from '../helpers/web-certs.ts';

let base: string;
/** An access leaf well inside the first full tile, and a certificate leaf, to tamper with. */
let accessVictim: number;
let certVictim: { idx: number; contractNumber: string };
let oldCheckpointSize: number;

beforeAll(async () => {
  const p = await startTestPlatform({ keepDataDir: true });
  base = p.dataDir;
  await ensurePlatformOrg(p);
  await addUser(p, { orgCode: PLATFORM_ORG, login: 'pa', role: 'auditor' });
  for (let i = 0; i < 3; i++) await pushIssue(p);
  // Enough leaves for full tiles at level 0 (and batches of 100: many checkpoints inside them).
  await fillLogs(p.server.runtime, { certs: 300, access: 700 }, { batch: 100 });
  await recordEvents(p, [
    { action: 'certificate.view', outcome: 'success', actor: 'user:1', orgCode: '092134' },
    // JSON escapes and non-ASCII in a leaf: the fast SQL comparison declines them, the precise pass must accept them.
    { action: 'certificate.verify', outcome: 'unknown_number', actor: 'user:テスト', target: 'A"B\\C\u0001' },
  ]);
  const db = p.server.runtime.database.db;
  accessVictim = (
    await db
      .selectFrom('access_events')
      .select('log_index')
      .where('action', '=', 'login')
      .orderBy('log_index')
      .offset(20)
      .limit(1)
      .executeTakeFirstOrThrow()
  ).log_index;
  const cert = await db
    .selectFrom('certificate_events')
    .select(['log_index', 'contract_number'])
    .where('log_index', '=', 1)
    .executeTakeFirstOrThrow();
  certVictim = { idx: cert.log_index, contractNumber: cert.contract_number };
  oldCheckpointSize = (
    await db
      .selectFrom('log_checkpoints')
      .select('size')
      .where('log', '=', 'access')
      .where('size', '>', 0)
      .where('size', '<', 300)
      .orderBy('size')
      .limit(1)
      .executeTakeFirstOrThrow()
  ).size;
  expect(accessVictim).toBeLessThan(256);
  await p.close();
});

/** A copy of the base data directory (database and keys) with `sql` applied to the database. */
function tampered(sql: string): string {
  const copy = join(tempDataDir('densho-audit-tamper-'), 'data');
  cpSync(base, copy, { recursive: true });
  const sqlite = new BetterSqlite3(join(copy, 'densho.db'));
  sqlite.exec(sql);
  sqlite.close();
  return copy;
}

interface JobOutcome {
  html: string;
  polls: number;
}

/** Start a recompute as the platform auditor and poll its progress fragment (as htmx does) until it ends. */
async function recompute(p: TestPlatform, log: 'certs' | 'access'): Promise<JobOutcome> {
  const w = new WebClient(p.url);
  await w.login('pa');
  const res = await w.post('/audit/integrity/recompute', { log }, { from: '/audit/integrity' });
  expect(res.status).toBe(303);
  const location = res.headers.get('location')!;
  expect(location).toMatch(/^\/audit\/integrity\/jobs\/[0-9a-f-]{36}$/);
  const page = await w.get(location);
  expect(page.status).toBe(200);
  expect(page.body.startsWith('<!DOCTYPE html>')).toBe(true);
  let polls = 0;
  for (;;) {
    const frag = await w.get(location, HTMX);
    expect(frag.body.startsWith('<div id="job-')).toBe(true);
    polls++;
    if (!frag.body.includes('hx-trigger="every 1s"')) return { html: frag.body, polls };
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function onCopy(
  sql: string,
  log: 'certs' | 'access',
): Promise<{ html: string; events: { outcome: string; detail: string | null }[] }> {
  const p = await startTestPlatform({ dataDir: tampered(sql) });
  try {
    const { html } = await recompute(p, log);
    const events = await p.server.runtime.database.db
      .selectFrom('access_events')
      .select(['outcome', 'detail'])
      .where('action', '=', 'audit.integrity')
      .orderBy('log_index')
      .execute();
    return { html, events };
  } finally {
    await p.close();
  }
}

describe('full recompute from the console', () => {
  it('passes on the untouched logs, both of them, and records the start and the result', async () => {
    for (const log of ['access', 'certs'] as const) {
      const { html, events } = await onCopy('SELECT 1', log);
      expect(html).toContain('検証成功');
      expect(html).not.toContain('検証失敗');
      expect(events.map((e) => e.outcome)).toEqual(['started', 'ok']);
      const detail = JSON.parse(events[1]!.detail!) as Record<string, unknown>;
      expect(detail).toMatchObject({ check: 'recompute', log, finding: null });
      expect(detail.leaves).toBe(detail.size);
    }
  });

  it('finds an altered access leaf and names it', async () => {
    const { html, events } = await onCopy(
      `DROP TRIGGER log_entries_no_update;
       UPDATE log_entries SET leaf = CAST(replace(CAST(leaf AS TEXT), '"action":"login"', '"action":"logon"') AS BLOB)
       WHERE log = 'access' AND idx = ${accessVictim};`,
      'access',
    );
    expect(html).toContain('検証失敗');
    expect(html).toContain(`ログ番号 ${accessVictim}）`);
    expect(html).toContain(`ログ番号 ${accessVictim} のリーフが access_events の行と一致しません`);
    expect(html).toContain('action：行は &quot;login&quot;、リーフは &quot;logon&quot;');
    expect(events.map((e) => e.outcome)).toEqual(['started', 'failed']);
    expect(JSON.parse(events[1]!.detail!).finding).toMatchObject({
      kind: 'leaf',
      where: String(accessVictim),
    });
  });

  it('finds an altered access_events row (the leaf intact)', async () => {
    const { html } = await onCopy(
      `DROP TRIGGER access_events_leaf_fields_frozen;
       UPDATE access_events SET actor = 'operator:mallory' WHERE log_index = ${accessVictim};`,
      'access',
    );
    expect(html).toContain(`ログ番号 ${accessVictim} のリーフが access_events の行と一致しません`);
    expect(html).toContain('actor：行は &quot;operator:mallory&quot;');
  });

  it('finds an altered hash tile', async () => {
    const { html, events } = await onCopy(
      `DROP TRIGGER log_tiles_only_grow;
       UPDATE log_tiles SET hashes = CAST(substr(hashes, 1, 32 * 17) || zeroblob(32) || substr(hashes, 32 * 18 + 1) AS BLOB)
       WHERE log = 'access' AND level = 0 AND idx = 0;`,
      'access',
    );
    expect(html).toContain('タイル 0/000');
    expect(html).toContain('タイル 0/000 の 17 番目のハッシュが、リーフから計算し直した値と一致しません');
    expect(JSON.parse(events[1]!.detail!).finding).toMatchObject({ kind: 'tile', where: '0/000' });
  });

  it('finds an old checkpoint whose root column was altered', async () => {
    const { html } = await onCopy(
      `DROP TRIGGER log_checkpoints_no_update;
       UPDATE log_checkpoints SET root = zeroblob(32) WHERE log = 'access' AND size = ${oldCheckpointSize};`,
      'access',
    );
    expect(html).toContain(`木の大きさ ${oldCheckpointSize} のチェックポイント`);
    expect(html).toContain('root 列');
  });

  it('finds an old checkpoint whose signed note was altered', async () => {
    // Flip one base64 character of the signature (the last line): a forged signature on a genuine body.
    const { html, events } = await onCopy(
      `DROP TRIGGER log_checkpoints_no_update;
       UPDATE log_checkpoints
       SET note = substr(note, 1, length(note) - 6) ||
                  CASE substr(note, length(note) - 5, 1) WHEN 'A' THEN 'B' ELSE 'A' END || substr(note, length(note) - 4)
       WHERE log = 'access' AND size = ${oldCheckpointSize};`,
      'access',
    );
    expect(html).toContain(`木の大きさ ${oldCheckpointSize} のチェックポイントの署名を検証できません`);
    expect(JSON.parse(events[1]!.detail!).finding).toMatchObject({
      kind: 'checkpoint',
      where: String(oldCheckpointSize),
    });
  });

  it('finds an altered certificate leaf in the certs log', async () => {
    const { html } = await onCopy(
      `DROP TRIGGER log_entries_no_update;
       UPDATE log_entries SET leaf = CAST(replace(CAST(leaf AS TEXT), '${certVictim.contractNumber}', 'X${certVictim.contractNumber.slice(1)}') AS BLOB)
       WHERE log = 'certs' AND idx = ${certVictim.idx};`,
      'certs',
    );
    expect(html).toContain(`ログ番号 ${certVictim.idx} のリーフが certificate_events の行と一致しません`);
    expect(html).toContain('contractNumber：行は');
  });

  it('runs in chunks: progress moves and timers run between chunks; one job per log at a time', async () => {
    const p = await startTestPlatform({ dataDir: tampered('SELECT 1') });
    try {
      const rt = p.server.runtime;
      const progress: number[] = [];
      let ticks = 0;
      const timer = setInterval(() => {
        ticks++;
      }, 0);
      const report = await recomputeLog(rt.database.db, rt.logs.access, {
        chunk: 100,
        onProgress: (done) => progress.push(done),
      });
      clearInterval(timer);
      expect(report.finding).toBeNull();
      expect(progress.length).toBe(Math.ceil(report.size / 100));
      expect(progress[progress.length - 1]).toBe(report.size);
      expect(ticks).toBeGreaterThan(0);
      // A second start while one runs returns the running job.
      const jobs = new IntegrityJobs(
        { db: rt.database.db, logs: rt.logs, access: rt.access, clock: { now: () => Date.now() } },
        { chunk: 50 },
      );
      const who = {
        actor: 'user:1',
        orgCode: PLATFORM_ORG,
        meta: { ip: null, userAgent: null, requestId: null },
      };
      const a = await jobs.start('access', who);
      const b = await jobs.start('access', who);
      expect(a.kind).toBe('started');
      expect(b.kind).toBe('already-running');
      expect(b.job.id).toBe(a.job.id);
      await jobs.settle();
      expect(jobs.get(a.job.id)?.status).toBe('done');
      expect(jobs.get(a.job.id)?.report?.finding).toBeNull();
    } finally {
      await p.close();
    }
  });
});
