// Sign-in, sessions and CSRF over real HTTP (real SQLite file, real scrypt, real server on 127.0.0.1): generic
// failures, throttling, fixation, idle and absolute expiry, logout (everywhere), next= and CSRF refusals,
// security headers, and an access event for every attempt.
import { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticScriptSource } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { safeNextPath } from '../../src/middleware/next-param.ts';
import { cookieOptions, requireUser, type WebEnv } from '../../src/middleware/session.ts';
import { openRuntime } from '../../src/platform/node/runtime.ts';
import { ABSOLUTE_LIFETIME_MS, IDLE_TIMEOUT_MS } from '../../src/services/sessions.ts';
import { startTestPlatform, type TestPlatform, tempDataDir } from '../helpers/platform.ts';
import { createUser, FakeClock, parseSetCookie, type TestUser, WebClient } from '../helpers/web.ts';

const MINUTE = 60_000;
let platform: TestPlatform;
let clock: FakeClock;
let clerk: TestUser;

beforeAll(async () => {
  clock = new FakeClock();
  platform = await startTestPlatform({ clock });
  clerk = await createUser(platform, { login: 'auth-clerk' });
});
afterAll(async () => {
  await platform?.close();
});
beforeEach(async () => {
  // Every test starts with no failure counted (they all come from 127.0.0.1).
  await db().deleteFrom('throttles').execute();
});

function db() {
  return platform.server.runtime.database.db;
}

function client(): WebClient {
  return new WebClient(platform.url);
}

async function signedIn(user: TestUser = clerk): Promise<WebClient> {
  const c = client();
  const res = await c.login(user.login, user.password);
  expect(res.status, await res.text()).toBe(303);
  expect(c.session).toBeDefined();
  return c;
}

function accessEvents(action: string) {
  return db()
    .selectFrom('access_events')
    .selectAll()
    .where('action', '=', action)
    .orderBy('log_index')
    .execute();
}

function detailLogin(row: { detail: string | null }): unknown {
  return row.detail ? (JSON.parse(row.detail) as { login?: unknown }).login : undefined;
}

describe('sign-in', () => {
  it('signs in with 303 to the landing page and a session cookie with the Copenhagen Book flags', async () => {
    const c = client();
    const res = await c.login(clerk.login, clerk.password);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/verify');
    const cookie = res.headers
      .getSetCookie()
      .map(parseSetCookie)
      .find((k) => k.name === 'densho_session');
    expect(cookie, 'Set-Cookie densho_session').toBeDefined();
    expect(cookie!.value).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{40}$/);
    expect(cookie!.attributes.has('httponly')).toBe(true);
    expect(cookie!.attributes.get('samesite')).toBe('Lax');
    expect(cookie!.attributes.get('path')).toBe('/');
    // The test origin is http://127.0.0.1: a Secure cookie would never come back over plain HTTP.
    expect(cookie!.attributes.has('secure')).toBe(false);
    // Only the hash of the secret is stored.
    const [id, secret] = cookie!.value.split('.') as [string, string];
    const row = await db().selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.user_id).toBe(clerk.id);
    expect(Buffer.from(row.secret_hash).toString('hex')).not.toContain(Buffer.from(secret).toString('hex'));
    expect(row.secret_hash.length).toBe(32);

    const home = await c.get('/');
    const html = await home.text();
    expect(html).toContain('那須塩原市長');
    expect(html).toContain('action="/logout"');
    expect(html).toContain('href="/verify"');
    expect(html).toContain('href="/certificates"');
    expect(home.headers.get('cache-control')).toBe('no-store');
  });

  it('marks the cookie Secure for an https origin (and not for localhost)', async () => {
    expect(cookieOptions('https://densho.example.jp').secure).toBe(true);
    expect(cookieOptions('http://localhost:8787').secure).toBe(false);
    expect(cookieOptions('http://127.0.0.1:8787').secure).toBe(false);
    expect(cookieOptions('http://densho.example.jp').secure).toBe(true);

    const dir = tempDataDir();
    const origin = 'https://densho.example.jp';
    const runtime = await openRuntime(loadConfig({ DENSHO_DATA_DIR: dir, DENSHO_ORIGIN: origin }));
    try {
      const org = await runtime.database.db
        .insertInto('organisations')
        .values({
          kind: 'orderer',
          code: '092134',
          name: '那須塩原市長',
          accepts_esurety: 1,
          accepts_since: null,
          created_at: 0,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const { insertUser } = await import('../../src/repos/users.ts');
      const { hashPassword } = await import('../../src/services/passwords.ts');
      await insertUser(runtime.database.db, {
        orgId: org.id,
        login: 'secure-clerk',
        passwordHash: await hashPassword('secure-password-123'),
        role: 'clerk',
        displayName: null,
        now: 0,
      });
      const form = await runtime.app.request(`${origin}/login`, { headers: { accept: 'text/html' } });
      const anon = parseSetCookie(form.headers.getSetCookie()[0]!);
      expect(anon.attributes.has('secure')).toBe(true);
      const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const res = await runtime.app.request(`${origin}/login`, {
        method: 'POST',
        headers: {
          origin,
          'content-type': 'application/x-www-form-urlencoded',
          cookie: `${anon.name}=${anon.value}`,
        },
        body: new URLSearchParams({ login: 'secure-clerk', password: 'secure-password-123', _csrf: token }),
      });
      expect(res.status).toBe(303);
      const session = res.headers
        .getSetCookie()
        .map(parseSetCookie)
        .find((k) => k.name === 'densho_session')!;
      expect(session.attributes.has('secure')).toBe(true);
      expect(session.attributes.has('httponly')).toBe(true);
    } finally {
      await runtime.close();
    }
  });

  it('answers a wrong password and an unknown login identically (status, body, no session)', async () => {
    const a = client();
    await a.page('/login');
    const b = client();
    await b.page('/login');
    const wrong = await a.post('/login', { login: clerk.login, password: 'not-the-password-1' });
    const unknown = await b.post('/login', { login: 'nobody-here', password: 'not-the-password-1' });
    expect(wrong.status).toBe(422);
    expect(unknown.status).toBe(422);
    // The only differences allowed: the login echoed back into the form and each browser's own CSRF token.
    const norm = (html: string, login: string, c: WebClient) =>
      html.replaceAll(login, 'LOGIN').replaceAll(c.lastCsrf!, 'CSRF');
    const wrongBody = norm(await wrong.text(), clerk.login, a);
    const unknownBody = norm(await unknown.text(), 'nobody-here', b);
    expect(wrongBody).toBe(unknownBody);
    expect(wrongBody).toContain('ログインIDまたはパスワードが正しくありません');
    expect(a.session).toBeUndefined();
    expect(b.session).toBeUndefined();
  });

  it('refuses a disabled user with the same generic answer, even with the right password', async () => {
    const disabled = await createUser(platform, { disabled: true });
    const c = client();
    await c.page('/login');
    const res = await c.post('/login', { login: disabled.login, password: disabled.password });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('ログインIDまたはパスワードが正しくありません');
    expect(c.session).toBeUndefined();
    const rows = await accessEvents('auth.login');
    const last = rows.filter((r) => detailLogin(r) === disabled.login).at(-1)!;
    expect(last.outcome).toBe('failure');
    expect(last.actor).toBe(`user:${disabled.id}`);
  });

  it('asks for both fields with 422 and links to them', async () => {
    const c = client();
    await c.page('/login');
    const res = await c.post('/login', { login: '', password: '' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('href="#login"');
    expect(html).toContain('ログインIDを入力してください。');
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain('aria-describedby="login-error"');
  });

  it('accepts the login in full-width characters and any case (IME input)', async () => {
    const c = client();
    await c.page('/login');
    const res = await c.post('/login', { login: 'ＡＵＴＨ-Clerk ', password: clerk.password });
    expect(res.status).toBe(303);
  });
});

describe('throttling', () => {
  it('locks an account after 5 failures in 15 minutes, with 429 and Retry-After, then lets it in again', async () => {
    const user = await createUser(platform);
    const c = client();
    await c.page('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await c.post('/login', { login: user.login, password: `wrong-password-${i}` })).status);
    }
    expect(statuses).toEqual([422, 422, 422, 422, 429]);
    // Even the right password is refused while locked, with the polite message and a Retry-After.
    const locked = await c.post('/login', { login: user.login, password: user.password });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect(await locked.text()).toContain('一時的にログインを停止しています');
    expect(c.session).toBeUndefined();
    const outcomes = (await accessEvents('auth.login'))
      .filter((r) => detailLogin(r) === user.login)
      .map((r) => r.outcome);
    expect(outcomes).toEqual(['failure', 'failure', 'failure', 'failure', 'failure', 'locked']);

    clock.advance(15 * MINUTE + 1000);
    const ok = await c.post('/login', { login: user.login, password: user.password });
    expect(ok.status).toBe(303);
  });

  it('locks unknown logins exactly like real ones (no account enumeration through the lock)', async () => {
    const c = client();
    await c.page('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await c.post('/login', { login: 'ghost-user', password: `wrong-password-${i}` })).status,
      );
    }
    expect(statuses).toEqual([422, 422, 422, 422, 429, 429]);
  });

  it('throttles one address after 30 failures in 15 minutes, whatever the logins', async () => {
    const c = client();
    await c.page('/login');
    const statuses: number[] = [];
    // Six logins × five attempts each would lock the accounts; use a different login every time instead.
    for (let batch = 0; batch < 6; batch++) {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          c.post('/login', { login: `spray-${batch}-${i}`, password: 'guess-password-1' }),
        ),
      );
      statuses.push(...results.map((r) => r.status));
    }
    expect(statuses.filter((s) => s === 422).length).toBeGreaterThanOrEqual(29);
    const blocked = await c.post('/login', { login: clerk.login, password: clerk.password });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/);
    const last = (await accessEvents('auth.login')).at(-1)!;
    expect(last.outcome).toBe('throttled');
    expect(last.actor).toBe(`user:${clerk.id}`);
  });
});

describe('sessions', () => {
  it('issues a new session at sign-in and drops the one the browser carried (fixation)', async () => {
    const victim = await createUser(platform);
    const attacker = await signedIn();
    const planted = attacker.session!;
    const c = client();
    c.cookies.set('densho_session', planted);
    const res = await c.login(victim.login, victim.password);
    expect(res.status).toBe(303);
    expect(c.session).toBeDefined();
    expect(c.session).not.toBe(planted);
    // The planted session is gone: the attacker's copy of the cookie now leads to the login page.
    const after = await attacker.get('/account');
    expect(after.status).toBe(303);
    // And a garbage cookie before sign-in is replaced, never adopted.
    const d = client();
    d.cookies.set('densho_session', 'aaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    await d.login(clerk.login, clerk.password);
    expect(d.session).not.toBe('aaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
  });

  it('refuses a token whose secret is wrong, even with a valid id', async () => {
    const c = await signedIn();
    const [id] = c.session!.split('.') as [string];
    const forged = client();
    forged.cookies.set('densho_session', `${id}.${'a'.repeat(40)}`);
    const res = await forged.get('/account');
    expect(res.status).toBe(303);
    // The real session is untouched.
    expect((await c.get('/account')).status).toBe(200);
  });

  it('expires after 30 minutes without activity (activity keeps it alive) and logs the expiry', async () => {
    const c = await signedIn();
    clock.advance(IDLE_TIMEOUT_MS - MINUTE);
    expect((await c.get('/account')).status).toBe(200);
    clock.advance(IDLE_TIMEOUT_MS - MINUTE);
    expect((await c.get('/account')).status).toBe(200);
    const before = (await accessEvents('auth.session_expired')).length;
    clock.advance(IDLE_TIMEOUT_MS + 1);
    const res = await c.get('/account');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Faccount&expired=1');
    expect(c.session).toBeUndefined(); // the cookie was cleared
    const events = await accessEvents('auth.session_expired');
    expect(events.length).toBe(before + 1);
    expect(events.at(-1)!.outcome).toBe('idle');
    expect(events.at(-1)!.actor).toBe(`user:${clerk.id}`);
    const login = await c.get('/login?next=%2Faccount&expired=1');
    expect(await login.text()).toContain('一定時間操作がなかったため');
  });

  it('ends after 12 hours however active the user is', async () => {
    const c = await signedIn();
    const start = clock.now();
    while (clock.now() - start < ABSOLUTE_LIFETIME_MS - 20 * MINUTE) {
      clock.advance(20 * MINUTE);
      expect((await c.get('/account')).status).toBe(200);
    }
    clock.advance(20 * MINUTE);
    const res = await c.get('/account');
    expect(res.status).toBe(303);
    expect((await accessEvents('auth.session_expired')).at(-1)!.outcome).toBe('absolute');
  });

  it('logs out: the session row is deleted, the cookie cleared, and the event recorded', async () => {
    const c = await signedIn();
    const token = c.session!;
    const res = await c.logout();
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?done=logout');
    expect(c.session).toBeUndefined();
    const reuse = client();
    reuse.cookies.set('densho_session', token);
    expect((await reuse.get('/account')).status).toBe(303);
    const ev = (await accessEvents('auth.logout')).at(-1)!;
    expect(ev.actor).toBe(`user:${clerk.id}`);
    expect(ev.outcome).toBe('success');
    expect(await (await c.get('/login?done=logout')).text()).toContain('ログアウトしました');
  });

  it('logs out everywhere: every session of the user ends', async () => {
    const user = await createUser(platform);
    const office = await signedIn(user);
    const laptop = await signedIn(user);
    const other = await signedIn(); // another user's session survives
    const res = await office.logout(true);
    expect(res.headers.get('location')).toBe('/login?done=logout-all');
    expect((await laptop.get('/account')).status).toBe(303);
    expect((await office.get('/account')).status).toBe(303);
    expect((await other.get('/account')).status).toBe(200);
    const rows = await db().selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
    expect(rows).toEqual([]);
  });

  it('sends htmx requests without a session to the login page with HX-Redirect', async () => {
    const res = await client().get('/account', { 'hx-request': 'true', 'hx-request-type': 'partial' });
    expect(res.status).toBe(200);
    expect(res.headers.get('hx-redirect')).toBe('/login?next=%2Faccount');
  });

  it('answers a signed-in user without the role with the 403 page', async () => {
    const app = new Hono<WebEnv>();
    app.use(async (c, next) => {
      c.set('user', {
        id: 1,
        login: 'x',
        displayName: null,
        role: 'clerk',
        orgId: 1,
        orgCode: '092134',
        orgName: '那須塩原市長',
        orgKind: 'orderer',
      });
      c.set('csrfToken', 'token');
      await next();
    });
    app.get('/admin-only', requireUser(['admin']), (c) => c.text('secret'));
    const res = await app.request('/admin-only');
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('このページを表示する権限がありません');
    expect(html).not.toContain('secret');
  });
});

describe('next= after sign-in', () => {
  it('follows a same-origin path', async () => {
    const c = client();
    const res = await c.login(clerk.login, clerk.password, '/help?x=1#faq');
    expect(res.headers.get('location')).toBe('/help?x=1#faq');
  });

  it.each([
    '//evil.example',
    '//evil.example/path',
    '/\\evil.example',
    '\\\\evil.example',
    'https://evil.example',
    'javascript:alert(1)',
    '/\t/evil.example',
    ' //evil.example',
    'evil.example',
  ])('ignores %j', async (next) => {
    const c = client();
    const res = await c.login(clerk.login, clerk.password, next);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/verify');
  });

  it('has one check that refuses every escape', () => {
    for (const bad of ['//a', '/\\a', 'http://a', 'a', '', '/a\nb', '/\u2028//a', `/${'a'.repeat(3000)}`]) {
      expect(safeNextPath(bad, 'FALLBACK'), JSON.stringify(bad)).toBe('FALLBACK');
    }
    expect(safeNextPath('/certificates?page=2', 'F')).toBe('/certificates?page=2');
    expect(safeNextPath('/%2F%2Fevil', 'F')).toBe('/%2F%2Fevil'); // stays a path on our origin
  });

  it('shows a signed-in user the form (switching accounts) and keeps only a checked next in it', async () => {
    const c = await signedIn();
    const res = await c.get('/login?next=%2F%2Fevil.example');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('としてログインしています');
    expect(html).toContain('name="next" value=""');
    expect(await (await c.get('/login?next=%2Fhelp')).text()).toContain('name="next" value="/help"');
  });
});

describe('CSRF', () => {
  it('refuses a POST without Origin, with a foreign Origin, or without/with a wrong _csrf — and keeps the session', async () => {
    const c = await signedIn();
    await c.page('/account');
    const attempts = [
      await c.post('/logout', {}, { origin: null }),
      await c.post('/logout', {}, { origin: 'https://evil.example' }),
      await c.post('/logout', {}, { origin: null, headers: { 'sec-fetch-site': 'cross-site' } }),
      await c.post('/logout', {}, { csrf: null }),
      await c.post('/logout', {}, { csrf: 'not-the-token' }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(403);
      const html = await res.text();
      expect(html).toContain('操作を受け付けられませんでした');
      expect(html).toContain('再読み込み');
    }
    expect((await c.get('/account')).status).toBe(200);
  });

  it('accepts the token in the X-CSRF-Token header (htmx requests without a form)', async () => {
    const c = await signedIn();
    await c.page('/account');
    const token = c.lastCsrf!;
    const res = await c.post('/logout', {}, { csrf: null, headers: { 'x-csrf-token': token } });
    expect(res.status).toBe(303);
  });

  it('refuses a login POST without Origin or without the pre-session token', async () => {
    const c = client();
    await c.page('/login');
    expect(
      (await c.post('/login', { login: clerk.login, password: clerk.password }, { origin: null })).status,
    ).toBe(403);
    expect(
      (await c.post('/login', { login: clerk.login, password: clerk.password }, { csrf: null })).status,
    ).toBe(403);
    // A token from another browser does not match this browser's cookie.
    const other = client();
    await other.page('/login');
    expect(
      (await c.post('/login', { login: clerk.login, password: clerk.password }, { csrf: other.lastCsrf }))
        .status,
    ).toBe(403);
    expect(c.session).toBeUndefined();
  });

  it('uses a different token per session', async () => {
    const a = await signedIn();
    const b = await signedIn();
    await a.page('/account');
    await b.page('/account');
    expect(a.lastCsrf).not.toBe(b.lastCsrf);
    expect((await a.post('/logout', {}, { csrf: b.lastCsrf })).status).toBe(403);
  });
});

describe('headers and the access log', () => {
  it('sends the security headers and a CSP without unsafe-inline on web pages', async () => {
    for (const path of ['/', '/login']) {
      const res = await client().get(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      // Scripts only from /static (a path of our own origin), never any other same-origin URL.
      expect(csp).toContain(`script-src ${platform.url}/static/;`);
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBeTruthy();
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
    }
    // The login page has no inline script or style at all.
    const html = await (await client().get('/login')).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
  });

  it('narrows script-src to /static/ of the public origin (an IPv6 literal, which CSP cannot name, keeps self)', () => {
    expect(staticScriptSource('https://densho.example.jp')).toBe('https://densho.example.jp/static/');
    expect(staticScriptSource('http://127.0.0.1:8787')).toBe('http://127.0.0.1:8787/static/');
    expect(staticScriptSource('http://[::1]:8787')).toBe("'self'");
  });

  it('records every sign-in success and failure as an access event', async () => {
    const user = await createUser(platform);
    const before = (await accessEvents('auth.login')).length;
    const c = client();
    await c.page('/login');
    await c.post('/login', { login: user.login, password: 'bad-guess-0009' });
    await c.post('/login', { login: `${user.login}-nope`, password: 'bad-guess-0009' });
    await c.post('/login', { login: user.login, password: user.password });
    const rows = (await accessEvents('auth.login')).slice(before);
    expect(rows.map((r) => [r.outcome, r.actor, detailLogin(r)])).toEqual([
      ['failure', `user:${user.id}`, user.login],
      ['failure', null, `${user.login}-nope`],
      ['success', `user:${user.id}`, user.login],
    ]);
    for (const r of rows) {
      expect(r.ip).toBe('127.0.0.1');
      expect(r.request_id).toBeTruthy();
      expect(r.detail).not.toContain('bad-guess');
      expect(r.detail).not.toContain(user.password);
    }
    expect(rows[2]!.org_code).toBe('092134');
  });
});
