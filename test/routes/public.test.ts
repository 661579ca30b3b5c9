// Public pages over real HTTP: every page 200, Japanese, titled, with landmarks; the orderer list and its htmx
// fragment (Vary); the HTML 404 for browsers vs problem+json for the API; static files and their caching.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertOrganisation } from '../../src/repos/organisations.ts';
import { ORDERERS_PER_PAGE } from '../../src/routes/public.tsx';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { createUser, WebClient } from '../helpers/web.ts';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
  const db = platform.server.runtime.database.db;
  // Enough orderers for a second page, plus one that does not accept 電子保証 (must not be listed).
  for (let i = 0; i < ORDERERS_PER_PAGE + 5; i++) {
    await insertOrganisation(db, {
      kind: 'orderer',
      code: `99${String(i).padStart(4, '0')}`,
      name: `テスト町長${i}`,
      acceptsEsurety: true,
      acceptsSince: '2024-04-01',
      now: Date.now(),
    });
  }
  await insertOrganisation(db, {
    kind: 'orderer',
    code: '088888',
    name: '未対応市長',
    acceptsEsurety: false,
    acceptsSince: null,
    now: Date.now(),
  });
});
afterAll(async () => {
  await platform?.close();
});

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(platform.url + path, { headers: { accept: 'text/html', ...headers }, redirect: 'manual' });
}

const PAGES: [string, string][] = [
  ['/', '電子保証の確認サービス'],
  ['/orderers', '電子保証対応の発注者一覧'],
  ['/help', 'ヘルプ・よくある質問'],
  ['/login', 'ログイン'],
];

describe('public pages', () => {
  it.each(PAGES)('%s is a complete Japanese page with a title and landmarks', async (path, title) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<html lang="ja">');
    expect(html).toContain(`<title>${title} — 電証</title>`);
    expect(html).toContain('<meta name="viewport"');
    expect(html).toMatch(/<a class="skip-link" href="#main">本文へ移動<\/a>/);
    expect(html).toContain('<header');
    expect(html).toMatch(/<nav[^>]*aria-label="メインメニュー"/);
    expect(html).toContain('<main class="site-main container" id="main"');
    expect(html).toContain('<footer');
    expect((html.match(/<h1[\s>]/g) ?? []).length).toBe(1);
    expect(html).toContain('<link rel="stylesheet" href="/static/app.css"/>');
    expect(html).toContain('<link rel="stylesheet" href="/static/print.css" media="print"/>');
    expect(html).toContain('<script src="/static/vendor/htmx-4.0.1.min.js" defer=""></script>');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // nothing inline
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(res.headers.get('vary')).toContain('HX-Request');
    expect(res.headers.get('content-security-policy')).toContain(`script-src ${platform.url}/static/;`);
  });

  it('marks the current section in the navigation', async () => {
    const html = await (await get('/help')).text();
    expect(html).toContain('<a class="site-nav__link" href="/help" aria-current="page">ヘルプ</a>');
    expect(html).not.toContain('href="/orderers" aria-current');
  });

  it('explains the service and links the public log and the API docs on the top page', async () => {
    const html = await (await get('/')).text();
    expect(html).toContain('電子保証とは');
    expect(html).toContain('保証確認の流れ');
    expect(html).toContain('href="/log/certs/checkpoint"');
    expect(html).toContain('href="/api/docs"');
    expect(html).toContain('href="/login"');
    // Anonymous visitors see no certificate screens in the navigation.
    expect(html).not.toContain('href="/verify"');
  });

  it('answers Q1–Q7 and explains how to type the 認証キー on the help page', async () => {
    const html = await (await get('/help')).text();
    for (let i = 1; i <= 7; i++) expect(html).toContain(`Q${i}.`);
    expect(html).toContain('認証キーの入力方法');
    expect(html).toContain('ハイフン');
    expect(html).toContain('大文字・小文字');
    expect(html).toContain('全角');
  });

  it('shows signed-in users their organisation and the certificate screens', async () => {
    const user = await createUser(platform, { displayName: '契約検査課 担当' });
    const c = new WebClient(platform.url);
    expect((await c.login(user.login, user.password)).status).toBe(303);
    const res = await c.get('/');
    const html = await res.text();
    expect(html).toContain('那須塩原市長');
    expect(html).toContain('契約検査課 担当');
    expect(html).toContain('href="/verify"');
    expect(html).toContain('href="/certificates"');
    expect(html).toMatch(
      /<form class="account__logout" method="post" action="\/logout"><input type="hidden" name="_csrf"/,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('電子保証対応の発注者一覧', () => {
  it('lists accepting orderers only, with their codes and start dates, 50 per page', async () => {
    const html = await (await get('/orderers')).text();
    expect(html).toContain('那須塩原市長');
    expect(html).toContain('092134');
    expect(html).toContain('2022年5月9日');
    expect(html).not.toContain('未対応市長');
    expect((html.match(/<tr>/g) ?? []).length).toBe(ORDERERS_PER_PAGE + 1); // + the header row
    expect(html).toContain('aria-label="ページ送り"');
    expect(html).toContain('href="/orderers?page=2"');
    const page2 = await (await get('/orderers?page=2')).text();
    expect(page2).toContain('aria-current="page" aria-label="2ページ目"');
  });

  it('filters by name or code, folding full-width input', async () => {
    const byName = await (await get(`/orderers?q=${encodeURIComponent('栃木')}`)).text();
    expect(byName).toContain('栃木県知事');
    expect(byName).not.toContain('那須塩原市長');
    expect(byName).toContain('「栃木」に一致する発注者：1件');
    const byCode = await (await get(`/orderers?q=${encodeURIComponent('０９２１')}`)).text();
    expect(byCode).toContain('那須塩原市長');
    const none = await (await get(`/orderers?q=${encodeURIComponent('<script>')}`)).text();
    expect(none).toContain('該当する発注者は見つかりませんでした');
    expect(none).toContain('&lt;script&gt;');
    expect(none).not.toContain('<script>alert');
  });

  it('returns only the results fragment to htmx, and the page for a full (boosted) htmx request', async () => {
    const fragment = await get('/orderers?q=%E6%A0%83%E6%9C%A8', {
      'hx-request': 'true',
      'hx-request-type': 'partial',
    });
    expect(fragment.status).toBe(200);
    const part = await fragment.text();
    expect(part).not.toContain('<html');
    expect(part).not.toContain('<header');
    expect(part).toContain('栃木県知事');
    expect(part).toContain('role="status"');
    expect(fragment.headers.get('vary')).toContain('HX-Request');

    const full = await get('/orderers', { 'hx-request': 'true', 'hx-request-type': 'full' });
    expect(await full.text()).toContain('<html lang="ja">');
    const plain = await get('/orderers');
    expect(plain.headers.get('vary')).toContain('HX-Request');
  });
});

describe('not found, static files', () => {
  it('shows browsers a Japanese 404 page and keeps problem+json for the API and scripts', async () => {
    const page = await get('/no-such-page');
    expect(page.status).toBe(404);
    const html = await page.text();
    expect(html).toContain('<title>ページが見つかりません — 電証</title>');
    expect(html).toContain('<main');

    for (const path of ['/api/v1/nope', '/log/certs/nope']) {
      const api = await get(path);
      expect(api.status).toBe(404);
      expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const script = await fetch(`${platform.url}/no-such-page`);
    expect(script.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('serves the stylesheets, the vendored htmx and the icon with cache lifetimes', async () => {
    const css = await get('/static/app.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(await css.text()).toContain('Noto Sans CJK JP');
    const print = await get('/static/print.css');
    expect(await print.text()).toContain('@page');
    const htmx = await get('/static/vendor/htmx-4.0.1.min.js');
    expect(htmx.status).toBe(200);
    expect(htmx.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await htmx.text()).toContain('"4.0.1"');
    const icon = await get('/static/favicon.svg');
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const missing = await get('/static/nope.css');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).not.toContain('max-age=3600');
    const traversal = await get('/static/..%2Fpackage.json');
    expect(traversal.status).toBe(404);
  });
});
