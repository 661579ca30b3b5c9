// Every orderer-app page and fragment, full page vs htmx: a plain request gets a complete Japanese page (title,
// landmarks, print stylesheet, Vary); an htmx partial request gets the fragment where the screen has one and the
// page where it has none; a boosted htmx request (HX-Request-Type: full) always gets the page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { addUser, HTMX, type Pushed, pushFollowUp, pushIssue, WebClient } from '../helpers/web-certs.ts';

let p: TestPlatform;
let clerk: WebClient;
let auditor: WebClient;
let anon: WebClient;
let cert: Pushed;

const BOOSTED = { 'hx-request': 'true', 'hx-request-type': 'full' };

beforeAll(async () => {
  p = await startTestPlatform();
  await addUser(p, {
    orgCode: '092134',
    login: 'pages-clerk',
    role: 'clerk',
    displayName: '契約検査課 担当',
  });
  await addUser(p, { orgCode: '092134', login: 'pages-auditor', role: 'auditor' });
  clerk = new WebClient(p.url);
  await clerk.login('pages-clerk');
  auditor = new WebClient(p.url);
  await auditor.login('pages-auditor');
  anon = new WebClient(p.url);
  cert = await pushIssue(p);
  await pushFollowUp(p, cert.event, 'change', { remarks: '変更' });
  const res = await clerk.post(
    '/verify',
    { contractNumber: cert.contractNumber, authKey: cert.authKey },
    { from: '/verify' },
  );
  expect(res.status).toBe(303);
});

afterAll(async () => {
  await p?.close();
});

function expectFullPage(body: string, title: string, where: string) {
  expect(body.startsWith('<!DOCTYPE html>'), where).toBe(true);
  expect(body, where).toContain('<html lang="ja">');
  // Pages re-rendered with errors say so first (「エラー：保証確認」).
  expect(body, where).toMatch(new RegExp(`<title>(エラー：)?${title.replace(/[()（）.]/g, '\\$&')}`));
  expect(body, where).toMatch(/<title>[^<]+ — 電証<\/title>/);
  expect(body, where).toContain('<header');
  expect(body, where).toMatch(/<nav[^>]*aria-label="メインメニュー"/);
  expect(body, where).toContain('<main class="site-main container" id="main"');
  expect(body, where).toContain('<footer');
  expect((body.match(/<h1[\s>]/g) ?? []).length, where).toBe(1);
  expect(body, where).toContain('<link rel="stylesheet" href="/static/print.css" media="print"/>');
  expect(body, where).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  expect(body, where).not.toMatch(/\sstyle=|<style/);
}

function expectFragment(body: string, where: string) {
  expect(body.startsWith('<!DOCTYPE'), where).toBe(false);
  expect(body, where).not.toContain('<html');
  expect(body, where).not.toContain('<title>');
  expect(body, where).not.toContain('class="site-header"');
}

type Who = 'anon' | 'clerk' | 'auditor';
const who = (w: Who) => (w === 'anon' ? anon : w === 'clerk' ? clerk : auditor);

/** [path, who, status, title prefix, what htmx gets: a fragment that must contain this text, or 'page'] */
const SCREENS: [string, Who, number, string, string][] = [
  ['/', 'anon', 200, '電子保証の確認サービス', 'page'],
  ['/help', 'anon', 200, 'ヘルプ・よくある質問', 'page'],
  ['/orderers', 'anon', 200, '電子保証対応の発注者一覧', 'result-count'],
  ['/login', 'anon', 200, 'ログイン', 'page'],
  ['/no-such-page', 'anon', 404, 'ページが見つかりません', 'error-page'],
  ['/account', 'clerk', 200, 'アカウント', 'page'],
  ['/verify', 'clerk', 200, '保証確認', 'verify-panel'],
  ['/certificates', 'clerk', 200, '確認済み保証一覧', 'cert-list'],
  ['/certificates?q=%E5%B7%A5%E4%BA%8B&status=active', 'clerk', 200, '確認済み保証一覧', 'cert-list'],
  ['/certificates/CERT', 'clerk', 200, '保証証書（前払金保証） CERT', 'page'],
  ['/certificates/CERT/versions/1', 'clerk', 200, '保証証書（前払金保証） No.1 新規 CERT', 'page'],
  ['/certificates/CERT/versions/2', 'clerk', 200, '保証証書（前払金保証） No.2 変更 CERT', 'page'],
  ['/certificates/CERT/versions/1/copy', 'clerk', 200, '写し 保証証書（前払金保証） CERT', 'page'],
  ['/certificates/NOPE-0000', 'clerk', 404, 'ページが見つかりません', 'error-page'],
  ['/certificates/CERT/versions/9', 'clerk', 404, 'ページが見つかりません', 'error-page'],
  ['/verify', 'auditor', 403, 'このページを表示する権限がありません', 'error-page'],
  ['/certificates/CERT', 'auditor', 200, '保証証書（前払金保証） CERT', 'page'],
];

describe('every page: full page, htmx fragment, boosted htmx', () => {
  it.each(SCREENS)('%s as %s', async (rawPath, w, status, rawTitle, htmx) => {
    const path = rawPath.replace('CERT', cert.contractNumber);
    const title = rawTitle.replace('CERT', cert.contractNumber);
    const client = who(w);

    const full = await client.get(path);
    expect(full.status, path).toBe(status);
    // UTF-8 declared, and the length is the page's bytes (pages are sent encoded once: htmlResponse).
    expect(full.headers.get('content-type'), path).toBe('text/html; charset=UTF-8');
    expect(Number(full.headers.get('content-length')), path).toBe(Buffer.byteLength(full.body));
    expect(full.headers.get('vary'), path).toMatch(/HX-Request/i);
    expectFullPage(full.body, title, path);

    const partial = await client.get(path, HTMX);
    expect(partial.status, `${path} (htmx)`).toBe(status);
    expect(partial.headers.get('content-type'), `${path} (htmx)`).toBe('text/html; charset=UTF-8');
    expect(Number(partial.headers.get('content-length')), `${path} (htmx)`).toBe(
      Buffer.byteLength(partial.body),
    );
    expect(partial.headers.get('vary'), `${path} (htmx)`).toMatch(/HX-Request/i);
    if (htmx === 'page') {
      expectFullPage(partial.body, title, `${path} (htmx, no fragment)`);
    } else {
      expectFragment(partial.body, `${path} (htmx)`);
      expect(partial.body, `${path} (htmx)`).toContain(htmx);
    }

    const boosted = await client.get(path, BOOSTED);
    expect(boosted.status, `${path} (boosted)`).toBe(status);
    expectFullPage(boosted.body, title, `${path} (boosted)`);
  });

  it('POST /verify: the page with errors for a form post, the panel for htmx (both 422)', async () => {
    const form = { contractNumber: cert.contractNumber, authKey: 'AAAA-AAAA-AAAA-AAAA' };
    const full = await clerk.post('/verify', form, { from: '/verify' });
    expect(full.status).toBe(422);
    expectFullPage(full.body, '保証確認', 'POST /verify');
    const frag = await clerk.post('/verify', form, { from: '/verify', headers: HTMX });
    expect(frag.status).toBe(422);
    expect(frag.headers.get('vary')).toMatch(/HX-Request/i);
    expectFragment(frag.body, 'POST /verify (htmx)');
    expect(frag.body).toContain('保証契約番号または認証キーが正しくありません');
    await p.server.runtime.database.db.deleteFrom('throttles').execute();
  });

  it('POST 受領/返戻: 303 or the page for a form post, the panel for htmx', async () => {
    const path = `/certificates/${cert.contractNumber}`;
    const bad = await clerk.post(
      `${path}/acknowledgements`,
      { kind: 'returned', reason: '' },
      { from: path },
    );
    expect(bad.status).toBe(422);
    expectFullPage(bad.body, '保証証書（前払金保証）', 'POST ack (422)');
    const badFrag = await clerk.post(
      `${path}/acknowledgements`,
      { kind: 'returned', reason: '' },
      { from: path, headers: HTMX },
    );
    expect(badFrag.status).toBe(422);
    expectFragment(badFrag.body, 'POST ack (htmx 422)');
    const ok = await clerk.post(`${path}/acknowledgements`, { kind: 'received' }, { from: path });
    expect(ok.status).toBe(303);
    const okFrag = await clerk.post(
      `${path}/acknowledgements`,
      { kind: 'received' },
      { from: path, headers: HTMX },
    );
    expect(okFrag.status).toBe(200);
    expect(okFrag.headers.get('vary')).toMatch(/HX-Request/i);
    expectFragment(okFrag.body, 'POST ack (htmx 200)');
    expect(okFrag.body).toContain('id="ack-panel"');
  });

  it('POST /login: the page with the generic error (422), for a form post and for htmx alike', async () => {
    const c = new WebClient(p.url);
    await c.csrf('/login');
    for (const headers of [{}, HTMX]) {
      const res = await c.post(
        '/login',
        { login: 'pages-clerk', password: 'wrong-password-000' },
        { from: '/login', headers },
      );
      expect(res.status).toBe(422);
      expectFullPage(res.body, 'ログイン', 'POST /login');
      expect(res.body).toContain('ログインできませんでした');
    }
  });
});
