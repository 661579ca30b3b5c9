// Issue #4 "Every event recorded": each kind of access event is produced by the action that should produce it —
// one test each, driven over real HTTP (or the real CLI), reading the access_events row the action left behind:
// its action, outcome, actor, organisation, target, and the request's IP, user agent and request id.
// (Surety API calls as access events are tested with the API, test/integration/ingest-api.test.ts.)
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessEventRow } from '../../src/repos/database.ts';
import { IDLE_TIMEOUT_MS } from '../../src/services/sessions.ts';
import { cli } from '../cli/helpers.ts';
import { ensurePlatformOrg, PLATFORM_ORG } from '../helpers/audit.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { addUser, type Pushed, pushIssue, WebClient } from '../helpers/web-certs.ts';

/**
 * Real time plus an offset the session-expiry test moves forward: the CLI processes write with the real clock, and
 * the server's clock must not fall behind their timestamps (the sequencer refuses a clock > 5 s behind the log), so
 * the operator tests run first, before the offset grows.
 */
const clock = {
  offset: 0,
  now: () => Date.now() + clock.offset,
  advance(ms: number) {
    clock.offset += ms;
  },
};
let p: TestPlatform;
let clerkLogin: string;
let clerkId: number;
let auditorLogin: string;
let auditorId: number;
let own: Pushed;
let foreign: Pushed;
let seq = 0;

beforeAll(async () => {
  p = await startTestPlatform({ clock });
  await ensurePlatformOrg(p);
  clerkLogin = `ev-clerk-${process.pid}`;
  clerkId = await addUser(p, { orgCode: '092134', login: clerkLogin, role: 'clerk' });
  auditorLogin = `ev-auditor-${process.pid}`;
  auditorId = await addUser(p, { orgCode: PLATFORM_ORG, login: auditorLogin, role: 'auditor' });
  own = await pushIssue(p, { contractNumber: '31074-00001M', eventId: 'ev-own' });
  foreign = await pushIssue(p, {
    contractNumber: '31074-00002M',
    eventId: 'ev-foreign',
    orderer: { code: '090000', name: '栃木県知事' },
  });
});

afterAll(async () => {
  await p?.close();
});

/** The access events recorded since `from` (a log size), oldest first. */
async function since(from: number): Promise<AccessEventRow[]> {
  return p.server.runtime.database.db
    .selectFrom('access_events')
    .selectAll()
    .where('log_index', '>=', from)
    .orderBy('log_index')
    .execute();
}

const size = () => p.server.runtime.logs.access.size;

/** A fresh browser (its own user agent) signed in as `login`. */
async function signedIn(login: string): Promise<WebClient> {
  const w = new WebClient(p.url, `ev-browser-${++seq}`);
  await w.login(login);
  return w;
}

/** The one event of `action` among `rows`, with the web request's fields filled in. */
function one(rows: AccessEventRow[], action: string): AccessEventRow {
  const hits = rows.filter((r) => r.action === action);
  expect(hits, `${action} in ${rows.map((r) => `${r.action}/${r.outcome}`).join(', ')}`).toHaveLength(1);
  const e = hits[0]!;
  expect(e.ip).toBe('127.0.0.1');
  expect(e.user_agent).toBeTruthy();
  expect(e.request_id).toBeTruthy();
  return e;
}

describe('every operator CLI action is an access event', () => {
  const env = () => ({ DENSHO_DATA_DIR: p.dataDir, HOST: '127.0.0.1', PORT: new URL(p.url).port });

  /** Runs the CLI (in this process, against the running server's data directory) and returns its event. */
  async function operator(args: string[], action: string, stdin = ''): Promise<AccessEventRow> {
    const from = size();
    const r = await cli(env(), args, stdin);
    expect(r.code, r.err.join('\n')).toBe(0);
    // The server adopts the CLI's append at its next batch; read the table directly meanwhile.
    const rows = await since(from);
    const hits = rows.filter((x) => x.action === action);
    expect(hits, rows.map((x) => x.action).join()).toHaveLength(1);
    const e = hits[0]!;
    expect(e.actor).toMatch(/^operator:/);
    expect(e.user_agent).toBe('densho-cli');
    expect(e.outcome).toBe('ok');
    await p.server.runtime.access.record({ action: 'test.sync', outcome: 'ok', actor: null });
    return e;
  }

  it('org add', async () => {
    const e = await operator(
      ['org', 'add', '--kind', 'surety', '--code', 'evsure', '--name', '保証'],
      'admin.org.add',
    );
    expect(JSON.parse(e.detail!)).toMatchObject({ kind: 'surety', code: 'evsure' });
  });

  it('user add and user disable', async () => {
    await operator(
      ['user', 'add', '--org', '092134', '--login', 'ev-cli-user', '--role', 'clerk'],
      'admin.user.add',
      'a-long-enough-password-1\n',
    );
    await operator(['user', 'disable', '--login', 'ev-cli-user'], 'admin.user.disable');
  });

  it('surety-key add and revoke', async () => {
    const jwk = join(p.dataDir, '..', `ev-${process.pid}.public.jwk`);
    const priv = join(p.dataDir, '..', `ev-${process.pid}.private.jwk`);
    expect((await cli(env(), ['keygen', '--out', priv, '--public', jwk])).code).toBe(0);
    const added = await operator(
      ['surety-key', 'add', '--surety', 'evsure', '--jwk', jwk],
      'admin.surety-key.add',
    );
    const kid = JSON.parse(added.detail!).kid as string;
    await operator(['surety-key', 'revoke', `--kid=${kid}`], 'admin.surety-key.revoke');
  });

  it('key rotation', async () => {
    const e = await operator(['keys', 'rotate'], 'admin.keys.rotate');
    expect(JSON.parse(e.detail!)).toHaveProperty('previous');
  });

  it('backup and retention', async () => {
    const file = join(p.dataDir, '..', `ev-backup-${process.pid}.db`);
    await operator(['backup', '--to', file], 'admin.backup');
    await operator(['retention', 'apply'], 'admin.retention.apply');
  });
});

describe('every event kind is produced by its action', () => {
  it('login success', async () => {
    const from = size();
    await signedIn(clerkLogin);
    const e = one(await since(from), 'auth.login');
    expect([e.outcome, e.actor, e.org_code]).toEqual(['success', `user:${clerkId}`, '092134']);
  });

  it('login failure (wrong password), with no hint in the event of which part was wrong', async () => {
    const from = size();
    const w = new WebClient(p.url, `ev-browser-${++seq}`);
    const res = await w.post(
      '/login',
      { login: clerkLogin, password: 'wrong-password-000' },
      { from: '/login' },
    );
    expect(res.status).toBe(422);
    const e = one(await since(from), 'auth.login');
    expect(e.outcome).toBe('failure');
    expect(e.detail ?? '').not.toContain('wrong-password-000');
  });

  it('login locked: an account with too many failures is refused and the refusal is an event', async () => {
    const login = `ev-lock-${process.pid}`;
    await addUser(p, { orgCode: '092134', login, role: 'clerk' });
    const w = new WebClient(p.url, `ev-browser-${++seq}`);
    for (let i = 0; i < 5; i++)
      await w.post('/login', { login, password: 'nope-nope-nope-1' }, { from: '/login' });
    const from = size();
    await w.post('/login', { login, password: 'nope-nope-nope-1' }, { from: '/login' });
    const e = one(await since(from), 'auth.login');
    expect(e.outcome).toBe('locked');
  });

  it('logout', async () => {
    const w = await signedIn(clerkLogin);
    const from = size();
    const res = await w.post('/logout', {}, { from: '/certificates' });
    expect(res.status).toBe(303);
    const e = one(await since(from), 'auth.logout');
    expect([e.outcome, e.actor]).toEqual(['success', `user:${clerkId}`]);
  });

  it('session expiry (inactivity), recorded when the expired session comes back', async () => {
    const w = await signedIn(clerkLogin);
    clock.advance(IDLE_TIMEOUT_MS + 60_000);
    const from = size();
    const res = await w.get('/certificates');
    expect(res.status).toBe(303);
    const e = one(await since(from), 'auth.session_expired');
    expect([e.outcome, e.actor]).toEqual(['idle', `user:${clerkId}`]);
  });

  for (const [name, number, key, outcome] of [
    ['保証確認 success', () => own.contractNumber, () => own.authKey, 'success'],
    ['保証確認 wrong key', () => own.contractNumber, () => 'AAAA-AAAA-AAAA-AAAA', 'wrong_key'],
    ['保証確認 unknown number', () => '99999-99999Z', () => own.authKey, 'unknown_number'],
    [
      '保証確認 another organisation’s certificate',
      () => foreign.contractNumber,
      () => foreign.authKey,
      'foreign_org',
    ],
  ] as const) {
    it(name, async () => {
      const w = await signedIn(clerkLogin);
      const from = size();
      await w.post('/verify', { contractNumber: number(), authKey: key() }, { from: '/verify' });
      const e = one(await since(from), 'certificate.verify');
      expect([e.outcome, e.actor, e.org_code, e.target]).toEqual([
        outcome,
        `user:${clerkId}`,
        '092134',
        number(),
      ]);
    });
  }

  it('保証確認 locked: a contract number locks after 5 failures (verify.lock), then attempts are refused', async () => {
    const number = '31074-00003M';
    await pushIssue(p, { contractNumber: number, eventId: 'ev-lock' });
    const w = await signedIn(clerkLogin);
    const from = size();
    for (let i = 0; i < 5; i++) {
      await w.post(
        '/verify',
        { contractNumber: number, authKey: 'BBBB-BBBB-BBBB-BBBB' },
        { from: '/verify' },
      );
    }
    const lock = one(await since(from), 'verify.lock');
    expect([lock.outcome, lock.target]).toEqual(['locked', number]);
    const after = size();
    await w.post('/verify', { contractNumber: number, authKey: 'BBBB-BBBB-BBBB-BBBB' }, { from: '/verify' });
    const refused = one(await since(after), 'certificate.verify');
    expect([refused.outcome, refused.target]).toEqual(['locked', number]);
  });

  it('保証確認 throttled: a user who failed too often is refused for any number', async () => {
    const login = `ev-throttle-${process.pid}`;
    await addUser(p, { orgCode: '092134', login, role: 'clerk' });
    const w = await signedIn(login);
    // 10 failures (the per-user limit) spread over numbers, so no single contract number locks first.
    for (let i = 0; i < 10; i++) {
      const n = `9${String(i).padStart(4, '0')}-00000Z`;
      await w.post('/verify', { contractNumber: n, authKey: 'CCCC-CCCC-CCCC-CCCC' }, { from: '/verify' });
    }
    const from = size();
    await w.post(
      '/verify',
      { contractNumber: own.contractNumber, authKey: own.authKey },
      { from: '/verify' },
    );
    const e = one(await since(from), 'certificate.verify');
    expect(e.outcome).toBe('throttled');
  });

  it('each certificate view, version view and 写し print view', async () => {
    const w = await signedIn(clerkLogin);
    await w.post(
      '/verify',
      { contractNumber: own.contractNumber, authKey: own.authKey },
      { from: '/verify' },
    );
    const base = `/certificates/${own.contractNumber}`;
    for (const [path, action] of [
      [base, 'certificate.view'],
      [`${base}/versions/1`, 'certificate.version_view'],
      [`${base}/versions/1/copy`, 'certificate.copy_view'],
    ] as const) {
      const from = size();
      expect((await w.get(path)).status).toBe(200);
      const e = one(await since(from), action);
      expect([e.outcome, e.target, e.actor]).toEqual(['success', own.contractNumber, `user:${clerkId}`]);
    }
  });

  it('受領 and 返戻', async () => {
    const w = await signedIn(clerkLogin);
    await w.post(
      '/verify',
      { contractNumber: own.contractNumber, authKey: own.authKey },
      { from: '/verify' },
    );
    const path = `/certificates/${own.contractNumber}`;
    for (const [form, outcome] of [
      [{ kind: 'received' }, 'received'],
      [{ kind: 'returned', reason: '保証金額が契約書と一致しません' }, 'returned'],
    ] as const) {
      const from = size();
      const res = await w.post(`${path}/acknowledgements`, form, { from: path });
      expect(res.status).toBe(303);
      const e = one(await since(from), 'certificate.acknowledge');
      expect([e.outcome, e.target]).toEqual([outcome, own.contractNumber]);
    }
  });

  it('auditor query (events page, one event, dashboard, integrity)', async () => {
    const w = await signedIn(auditorLogin);
    for (const [path, view] of [
      ['/audit/events?action=auth.login', 'events'],
      ['/audit/events/0', 'event'],
      ['/audit', 'dashboard'],
      ['/audit/integrity', 'integrity'],
    ] as const) {
      const from = size();
      expect((await w.get(path)).status).toBe(200);
      const e = one(await since(from), 'audit.query');
      expect([e.outcome, e.actor, e.org_code]).toEqual(['success', `user:${auditorId}`, PLATFORM_ORG]);
      expect(JSON.parse(e.detail!).view).toBe(view);
    }
  });

  it('auditor export (CSV and JSON Lines)', async () => {
    const w = await signedIn(auditorLogin);
    for (const format of ['csv', 'jsonl'] as const) {
      const from = size();
      expect((await w.get(`/audit/events.${format}?action=auth.login`)).status).toBe(200);
      const e = one(await since(from), 'audit.export');
      expect(JSON.parse(e.detail!)).toMatchObject({ format, filters: { action: 'auth.login' } });
    }
  });
});
