// 保証確認 over real HTTP + SQLite: success, one generic failure, key variants, throttling (user / IP / contract
// number and the lock event), "logged before served" (a failing access log means a 500 and nothing served),
// htmx fragments, roles and CSRF.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccessEventRow } from '../../src/repos/database.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { addUser, HTMX, type Pushed, pushFollowUp, pushIssue, WebClient } from '../helpers/web-certs.ts';

let p: TestPlatform;
let mine: Pushed; // orderer 092134 (那須塩原市長)
let foreign: Pushed; // orderer 090000 (栃木県知事)
const users: Record<string, number> = {};

const db = () => p.server.runtime.database.db;

async function client(login: string): Promise<WebClient> {
  const w = new WebClient(p.url);
  await w.login(login);
  return w;
}

function verify(w: WebClient, contractNumber: string, authKey: string, headers: Record<string, string> = {}) {
  return w.post('/verify', { contractNumber, authKey }, { from: '/verify', headers });
}

async function accessEvents(where: Partial<Pick<AccessEventRow, 'action' | 'target' | 'request_id'>>) {
  let q = db().selectFrom('access_events').selectAll();
  if (where.action) q = q.where('action', '=', where.action);
  if (where.target) q = q.where('target', '=', where.target);
  if (where.request_id) q = q.where('request_id', '=', where.request_id);
  return q.orderBy('log_index').execute();
}

/** A valid-looking key that is not this certificate's (flip the first character). */
function wrongKey(key: string): string {
  return (key[0] === 'A' ? 'B' : 'A') + key.slice(1);
}

beforeAll(async () => {
  p = await startTestPlatform();
  for (const [login, orgCode, role] of [
    ['clerk', '092134', 'clerk'],
    ['clerk2', '092134', 'clerk'],
    ['admin', '092134', 'admin'],
    ['auditor', '092134', 'auditor'],
    ['tochigi', '090000', 'clerk'],
    ['ip1', '092134', 'clerk'],
    ['ip2', '092134', 'clerk'],
    ['ip3', '092134', 'clerk'],
    ['ip4', '092134', 'clerk'],
  ] as const) {
    users[login] = await addUser(p, { login, orgCode, role });
  }
  mine = await pushIssue(p);
  foreign = await pushIssue(p, { orderer: { code: '090000', name: '栃木県知事' } });
});

afterAll(async () => {
  await p?.close();
});

// Each test starts with no failure counters: the IP (127.0.0.1) is shared by every test in this file.
beforeEach(async () => {
  await db().deleteFrom('throttles').execute();
});

describe('POST /verify', () => {
  it('adds the certificate to the list and redirects to it (303); the attempt is an access event', async () => {
    const w = await client('clerk');
    const res = await verify(w, mine.contractNumber, mine.authKey, { 'x-request-id': 'req-verify-ok' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/certificates/${mine.contractNumber}`);
    const row = await db()
      .selectFrom('org_certificates')
      .selectAll()
      .where('org_code', '=', '092134')
      .where('contract_number', '=', mine.contractNumber)
      .executeTakeFirst();
    expect(row?.first_verified_at).toBeGreaterThan(0);
    expect(row?.last_viewed_version).toBeNull();
    // Written before the response: the row is there the moment the 303 arrives.
    const [event] = await accessEvents({ request_id: 'req-verify-ok' });
    expect(event).toMatchObject({
      action: 'certificate.verify',
      outcome: 'success',
      actor: `user:${users.clerk}`,
      org_code: '092134',
      target: mine.contractNumber,
      ip: '127.0.0.1',
      user_agent: 'densho-test',
    });
    const page = await w.get(res.headers.get('location')!);
    expect(page.status).toBe(200);
    expect(page.body).toContain('電子保証概要');
  });

  it('gives one generic 422 for a wrong number, a wrong key and another organisation’s certificate', async () => {
    const w = await client('clerk2');
    const cases = [
      { name: 'unknown_number', number: '99999-99999Z', key: mine.authKey },
      { name: 'wrong_key', number: mine.contractNumber, key: wrongKey(mine.authKey) },
      // The right key for a real certificate — but its orderer is 栃木県, not this clerk's 那須塩原市.
      { name: 'foreign_org', number: foreign.contractNumber, key: foreign.authKey },
    ];
    const bodies: string[] = [];
    for (const c of cases) {
      const res = await verify(w, c.number, c.key, { 'x-request-id': `req-${c.name}` });
      expect(res.status, c.name).toBe(422);
      expect(res.body, c.name).toContain('保証契約番号または認証キーが正しくありません');
      // The typed number is kept for the clerk; the key never comes back.
      expect(res.body, c.name).toContain(`value="${c.number}"`);
      expect(res.body, c.name).not.toContain(c.key);
      bodies.push(res.body.replaceAll(c.number, 'NUMBER'));
      const [event] = await accessEvents({ request_id: `req-${c.name}` });
      expect(event?.outcome).toBe(c.name);
      expect(event?.action).toBe('certificate.verify');
    }
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
    // The foreign certificate did not join this organisation's list.
    const rows = await db()
      .selectFrom('org_certificates')
      .selectAll()
      .where('contract_number', '=', foreign.contractNumber)
      .execute();
    expect(rows).toEqual([]);
  });

  it('accepts the key in lower case, without hyphens, with spaces and in full width (and the number too)', async () => {
    const cert = await pushIssue(p);
    const w = await client('admin');
    const key = cert.authKey; // ABCD-EFGH-JKMN-PQRS
    const bare = key.replaceAll('-', '');
    const fullWidth = [...key].map((ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0)).join('');
    const variants = [
      key.toLowerCase(),
      bare,
      bare.match(/.{4}/g)!.join(' '),
      ` ${key} `,
      fullWidth.replaceAll('－', 'ー'),
      bare.toLowerCase().match(/.{4}/g)!.join('\u3000'),
    ];
    for (const v of variants) {
      const res = await verify(w, cert.contractNumber, v);
      expect(res.status, JSON.stringify(v)).toBe(303);
    }
    const fullNumber = [...cert.contractNumber.toLowerCase()]
      .map((ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0))
      .join('');
    expect((await verify(w, fullNumber, key)).status).toBe(303);
  });

  it('re-renders empty fields with field errors (422) without counting an attempt', async () => {
    const w = await client('clerk');
    const before = (await accessEvents({ action: 'certificate.verify' })).length;
    const res = await verify(w, '', '');
    expect(res.status).toBe(422);
    expect(res.body).toContain('保証契約番号を入力してください。');
    expect(res.body).toContain('認証キーを入力してください。');
    expect((await accessEvents({ action: 'certificate.verify' })).length).toBe(before);
  });
});

describe('throttling', () => {
  it('locks a user after 10 failures in 15 minutes (429 + Retry-After); other users are unaffected', async () => {
    const w = await client('clerk2');
    for (let i = 0; i < 10; i++) {
      // A different unknown number each time, so only the user counter can trip.
      const res = await verify(w, `88888-${String(i).padStart(5, '0')}X`, mine.authKey);
      expect(res.status, `attempt ${i + 1}`).toBe(422);
    }
    const res = await verify(w, mine.contractNumber, mine.authKey, { 'x-request-id': 'req-user-throttled' });
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(14 * 60);
    expect(retry).toBeLessThanOrEqual(15 * 60);
    expect(res.body).toContain('しばらく時間をおいてから、もう一度お試しください');
    const [event] = await accessEvents({ request_id: 'req-user-throttled' });
    expect(event).toMatchObject({ action: 'certificate.verify', outcome: 'throttled' });
    expect(JSON.parse(event!.detail!)).toMatchObject({ scope: 'user' });

    const other = await client('clerk');
    expect((await verify(other, mine.contractNumber, mine.authKey)).status).toBe(303);
  });

  it('locks a contract number after 5 failures for 30 minutes, whoever tries; the lock is an access event', async () => {
    const cert = await pushIssue(p);
    const a = await client('clerk');
    const b = await client('clerk2');
    for (let i = 0; i < 5; i++) {
      const res = await verify(i % 2 === 0 ? a : b, cert.contractNumber, wrongKey(cert.authKey));
      expect(res.status, `attempt ${i + 1}`).toBe(422);
    }
    const locks = await accessEvents({ action: 'verify.lock', target: cert.contractNumber });
    expect(locks).toHaveLength(1);
    expect(locks[0]).toMatchObject({ outcome: 'locked', org_code: '092134' });
    expect(JSON.parse(locks[0]!.detail!)).toMatchObject({ scope: 'contract', limit: 5 });

    // Even the right key, from a third user, is refused while the number is locked.
    const c = await client('admin');
    const res = await verify(c, cert.contractNumber, cert.authKey, { 'x-request-id': 'req-locked' });
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(29 * 60);
    expect(retry).toBeLessThanOrEqual(30 * 60);
    const [event] = await accessEvents({ request_id: 'req-locked' });
    expect(event).toMatchObject({ outcome: 'locked', target: cert.contractNumber });
    // Locked is not the same as failed: the same polite 429 page as a throttled user, no hint about the number.
    expect(res.body).not.toContain('保証契約番号または認証キーが正しくありません');
  });

  it('locks an IP after 30 failures in 15 minutes, for every user behind it', async () => {
    let n = 0;
    for (const login of ['ip1', 'ip2', 'ip3']) {
      const w = await client(login);
      for (let i = 0; i < 10; i++) {
        n += 1;
        const res = await verify(w, `77777-${String(n).padStart(5, '0')}Y`, mine.authKey);
        expect(res.status, `${login} attempt ${i + 1}`).toBe(422);
      }
    }
    const fresh = await client('ip4');
    const res = await verify(fresh, mine.contractNumber, mine.authKey, { 'x-request-id': 'req-ip' });
    expect(res.status).toBe(429);
    const [event] = await accessEvents({ request_id: 'req-ip' });
    expect(event).toMatchObject({ outcome: 'throttled' });
    expect(JSON.parse(event!.detail!)).toMatchObject({ scope: 'ip' });
  });
});

describe('logged before served', () => {
  it('writes one access event per attempt, each durable before its response', async () => {
    const w = await client('clerk');
    const attempts = [
      [mine.contractNumber, mine.authKey],
      [mine.contractNumber, wrongKey(mine.authKey)],
      ['66666-00001Z', mine.authKey],
      [foreign.contractNumber, foreign.authKey],
    ] as const;
    for (const [i, [number, key]] of attempts.entries()) {
      const id = `req-every-${i}`;
      await verify(w, number, key, { 'x-request-id': id });
      expect(await accessEvents({ request_id: id }), id).toHaveLength(1);
    }
  });

  it('answers 500 and shows nothing of the certificate when the access log cannot be appended', async () => {
    const cert = await pushIssue(p, { work: { ...(mine.event.work as object), name: '秘密の工事名XYZ' } });
    const w = await client('clerk');
    const token = await w.csrf('/verify');
    const spy = vi
      .spyOn(p.server.runtime.access, 'record')
      .mockRejectedValue(new Error('disk full (injected)'));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    let res: Awaited<ReturnType<WebClient['post']>>;
    try {
      res = await w.post(
        '/verify',
        { contractNumber: cert.contractNumber, authKey: cert.authKey },
        { csrf: token },
      );
    } finally {
      spy.mockRestore();
      errors.mockRestore();
    }
    expect(res.status).toBe(500);
    expect(res.headers.get('location')).toBeNull();
    expect(res.body).toContain('システムで問題が発生しました');
    expect(res.body).not.toContain('秘密の工事名XYZ');
    expect(res.body).not.toContain('電子保証概要');
    // No lasting right to view was granted without the log entry.
    const row = await db()
      .selectFrom('org_certificates')
      .selectAll()
      .where('contract_number', '=', cert.contractNumber)
      .executeTakeFirst();
    expect(row).toBeUndefined();
    // Once the log works again, the same attempt succeeds.
    expect((await verify(w, cert.contractNumber, cert.authKey)).status).toBe(303);
  });

  it('does not serve the certificate page when its view cannot be logged', async () => {
    const w = await client('clerk');
    expect((await verify(w, mine.contractNumber, mine.authKey)).status).toBe(303);
    const spy = vi.spyOn(p.server.runtime.access, 'record').mockRejectedValue(new Error('injected'));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await w.get(`/certificates/${mine.contractNumber}`);
      expect(res.status).toBe(500);
      expect(res.body).not.toContain('電子保証概要');
      expect(res.body).not.toContain('●●●●工事');
    } finally {
      spy.mockRestore();
      errors.mockRestore();
    }
  });
});

describe('htmx and full pages', () => {
  it('GET /verify is a full page with labels and hints, varying on the htmx headers', async () => {
    const w = await client('clerk');
    const res = await w.get('/verify');
    expect(res.status).toBe(200);
    expect(res.body.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(res.body).toContain('<title>保証確認 — 電証</title>');
    expect(res.body).toContain('<label class="field__label" for="contract-number">保証契約番号');
    expect(res.body).toContain('<label class="field__label" for="auth-key">認証キー');
    expect(res.body).toContain('ハイフンや空白、大文字小文字は区別しません');
    expect(res.body).toContain('hx-post="/verify"');
    expect(res.headers.get('vary')).toMatch(/HX-Request/i);
  });

  it('answers htmx with the panel fragment on failure and the 保証証書 itself on success', async () => {
    const w = await client('clerk2');
    const bad = await verify(w, mine.contractNumber, wrongKey(mine.authKey), HTMX);
    expect(bad.status).toBe(422);
    expect(bad.body.startsWith('<div id="verify-panel"')).toBe(true);
    expect(bad.body).not.toContain('<html');
    expect(bad.body).toContain('保証契約番号または認証キーが正しくありません');

    const fresh = await pushIssue(p);
    const ok = await verify(w, fresh.contractNumber, fresh.authKey, HTMX);
    expect(ok.status).toBe(200);
    // One round trip: the whole page replaces <body>, the address bar shows the certificate's own URL.
    expect(ok.headers.get('hx-retarget')).toBe('body');
    expect(ok.headers.get('hx-reswap')).toBe('innerHTML show:top');
    expect(ok.headers.get('hx-push-url')).toBe(`/certificates/${fresh.contractNumber}`);
    expect(ok.headers.get('hx-redirect')).toBeNull();
    expect(ok.body.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(ok.body).toContain(`<title>保証証書（前払金保証） ${fresh.contractNumber} — 電証</title>`);
    expect(ok.body).toContain('<h1>保証証書（前払金保証）</h1>');
    expect(ok.body).toContain(fresh.contractNumber);
    expect(ok.body).toMatch(/<main [^>]*id="main"[^>]*autofocus/);
    expect(ok.body).not.toContain(fresh.authKey);

    // Logged before served: the attempt and the view, one request id, both durable; the list row and its
    // "viewed" mark exist, so the next page view shows no "changed since last viewed" notice.
    const rows = (await accessEvents({ target: fresh.contractNumber })).filter((r) =>
      r.action.startsWith('certificate.'),
    );
    expect(rows.map((r) => `${r.action}:${r.outcome}`)).toEqual([
      'certificate.verify:success',
      'certificate.view:success',
    ]);
    expect(rows[0]!.request_id).toBe(rows[1]!.request_id);
    expect(JSON.parse(rows[1]!.detail ?? '{}')).toEqual({ version: 1, changedSinceLastView: false });
    const listed = await db()
      .selectFrom('org_certificates')
      .selectAll()
      .where('contract_number', '=', fresh.contractNumber)
      .executeTakeFirstOrThrow();
    expect(listed.org_code).toBe('092134');
    expect(listed.last_viewed_version).toBe(1);
    expect(listed.first_verified_at).toBeGreaterThan(0);

    // The page it stands for is the same page a GET serves (no JS): same certificate, no autofocus.
    const page = await w.get(`/certificates/${fresh.contractNumber}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>保証証書（前払金保証）</h1>');
    expect(page.body).not.toMatch(/<main [^>]*autofocus/);
  });

  it('without htmx a success is still POST/redirect/GET (no view event until the page is opened)', async () => {
    const w = await client('clerk2');
    const fresh = await pushIssue(p);
    const res = await verify(w, fresh.contractNumber, fresh.authKey);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/certificates/${fresh.contractNumber}`);
    const rows = await accessEvents({ target: fresh.contractNumber });
    expect(rows.map((r) => r.action).filter((a) => a.startsWith('certificate.'))).toEqual([
      'certificate.verify',
    ]);
  });

  it('an htmx re-verification shows the marks as they were: a new 変更 since the last view is announced', async () => {
    const w = await client('clerk2');
    const fresh = await pushIssue(p);
    expect((await verify(w, fresh.contractNumber, fresh.authKey, HTMX)).status).toBe(200);
    await pushFollowUp(p, fresh.event, 'change', { contractAmount: 60_000_000 });
    const again = await verify(w, fresh.contractNumber, fresh.authKey, HTMX);
    expect(again.status).toBe(200);
    expect(again.body).toContain('前回の表示以降に、この保証の内容が更新されました');
    // A 受領 recorded since shows on the page the next verification answers with (its marks are read, not assumed).
    const path = `/certificates/${fresh.contractNumber}`;
    expect((await w.post(`${path}/acknowledgements`, { kind: 'received' }, { from: path })).status).toBe(303);
    const third = await verify(w, fresh.contractNumber, fresh.authKey, HTMX);
    expect(third.status).toBe(200);
    expect(third.body).toMatch(/現在の状態：<strong>受領<\/strong>/);
    const views = await accessEvents({ action: 'certificate.view', target: fresh.contractNumber });
    expect(views.map((r) => JSON.parse(r.detail ?? '{}'))).toEqual([
      { version: 1, changedSinceLastView: false },
      { version: 2, changedSinceLastView: true },
      { version: 2, changedSinceLastView: false }, // the GET before the 受領 form
      { version: 2, changedSinceLastView: false },
    ]);
  });
});

describe('roles and CSRF', () => {
  it('refuses auditors (403) — they may look, not verify', async () => {
    const w = await client('auditor');
    expect((await w.get('/verify')).status).toBe(403);
    const token = await w.csrf('/certificates');
    const res = await w.post(
      '/verify',
      { contractNumber: mine.contractNumber, authKey: mine.authKey },
      { csrf: token },
    );
    expect(res.status).toBe(403);
    const rows = await accessEvents({ action: 'certificate.verify' });
    expect(rows.some((r) => r.actor === `user:${users.auditor}`)).toBe(false);
  });

  it('sends a signed-out visitor to the login page', async () => {
    const res = await new WebClient(p.url).get('/verify');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login\?next=%2Fverify/);
  });

  it('refuses a POST without the CSRF token, or from another origin, before any attempt is made', async () => {
    const w = await client('clerk');
    const before = (await accessEvents({ action: 'certificate.verify' })).length;
    const noToken = await w.post(
      '/verify',
      { contractNumber: mine.contractNumber, authKey: mine.authKey },
      { csrf: null },
    );
    expect(noToken.status).toBe(403);
    const token = await w.csrf('/verify');
    const crossSite = await w.post(
      '/verify',
      { contractNumber: mine.contractNumber, authKey: mine.authKey },
      { csrf: token, headers: { origin: 'https://evil.example' } },
    );
    expect(crossSite.status).toBe(403);
    expect((await accessEvents({ action: 'certificate.verify' })).length).toBe(before);
  });
});
