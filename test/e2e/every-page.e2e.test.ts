// Every orderer-app page and state in real Chromium that the flow tests do not reach: axe (WCAG 2.1 AA) finds 0
// violations, no CSP or script error, a screenshot each, and no horizontal scrolling at 200 % zoom (a 1280 px
// window is 640 CSS px wide). Login notices and errors, throttled sign-in and 保証確認, the account page, a list
// with badges and an empty search, the display rule, 解約, 返戻 and its form error, 403 / 404 / 413 / 500 and the
// CSRF refusal page — enhanced by htmx, and the forms' plain answers with htmx kept out (as with JavaScript off:
// htmx is the only script that changes how a form is sent; axe itself needs JavaScript to run).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { createUser, type TestUser } from '../helpers/web.ts';
import { type Pushed, pushFollowUp, pushIssue } from '../helpers/web-certs.ts';
import {
  checkPage,
  hasChromium,
  htmxReady,
  launchBrowser,
  newContext,
  SKIP_MESSAGE,
  watchConsole,
} from './browser.ts';

if (!hasChromium) console.warn(`[e2e] every-page.e2e.test.ts ${SKIP_MESSAGE}`);

describe.skipIf(!hasChromium)('every orderer page in Chromium', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let clerk: TestUser;
  let auditor: TestUser;
  let locked: TestUser;
  let changed: Pushed; // viewed, then changed: 更新あり and the "changed since" notice
  let ruled: Pushed; // 新規, 変更, 訂正 of the 変更, 変更, 変更取消: the display rule
  let ended: Pushed; // 新規, 解約
  let spare: Pushed; // verified once, never opened: 未表示

  beforeAll(async () => {
    platform = await startTestPlatform();
    clerk = await createUser(platform, { login: 'page-clerk', displayName: '那須塩原市 契約検査課 担当者' });
    auditor = await createUser(platform, { login: 'page-auditor', role: 'auditor' });
    locked = await createUser(platform, { login: 'page-locked' });
    changed = await pushIssue(platform);
    ruled = await pushIssue(platform, { product: 'contract_guarantee', depositBank: null });
    ended = await pushIssue(platform);
    spare = await pushIssue(platform);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
  });

  async function open(opts: { htmx?: boolean; user?: TestUser } = {}) {
    const context: BrowserContext = await newContext(browser);
    // Without htmx every form is a plain HTML form: the server answers with whole pages (422, 303).
    if (opts.htmx === false) {
      await context.route(/\/static\/vendor\/htmx-[^/]+\.js$/, (route) =>
        route.fulfill({ status: 200, contentType: 'text/javascript', body: '' }),
      );
    }
    const page = await context.newPage();
    const watcher = watchConsole(page);
    if (opts.user) {
      await page.goto(`${platform.url}/login`);
      await page.getByLabel('ログインID').fill(opts.user.login);
      await page.getByLabel('パスワード').fill(opts.user.password);
      await Promise.all([
        page.waitForURL((u) => !u.pathname.startsWith('/login')),
        page.getByRole('button', { name: 'ログインする' }).click(),
      ]);
    }
    return { context, page, watcher };
  }

  /**
   * Chromium logs every 4xx answer to a fetch() as "Failed to load resource"; after htmx posts a form we expect
   * to be refused (422), that line is the test's doing, not the page's.
   */
  function expectedRefusal(watcher: { problems: string[] }, status: number) {
    const i = watcher.problems.findIndex((p) => p.includes(`status of ${status}`));
    if (i >= 0) watcher.problems.splice(i, 1);
  }

  /** axe, console, screenshot, and reflow at 200 % zoom (640 CSS px), for the page as it is now. */
  const check = (page: Page, watcher: { problems: string[] }, name: string) =>
    checkPage(page, watcher, name, { prefix: 'every', reflow: true });

  it('signed out: login notices, field errors, the generic failure, the lock, an empty orderer search, the API reference', async () => {
    const { context, page, watcher } = await open();
    // The public pages again, for their reflow at 200 % zoom (public.e2e.test.ts covers them at 100 % and 360 px).
    for (const [path, name] of [
      ['/', 'top'],
      ['/help', 'help'],
      ['/orderers', 'orderers'],
    ] as const) {
      await page.goto(platform.url + path);
      await check(page, watcher, name);
    }
    for (const [path, name, text] of [
      ['/login?expired=1', 'login-expired', '一定時間操作がなかったため'],
      ['/login?done=logout-all', 'login-logout-all', 'ログアウトしました'],
      ['/login?next=%2Fcertificates', 'login-signin-required', 'ログインしてください'],
    ] as const) {
      await page.goto(platform.url + path);
      expect(await page.locator('main').innerText(), name).toContain(text);
      await check(page, watcher, name);
    }

    await page.goto(`${platform.url}/login`);
    await page.getByRole('button', { name: 'ログインする' }).click();
    await expect.poll(() => page.locator('.error-summary').count()).toBe(1);
    expect(await page.title()).toContain('エラー');
    await check(page, watcher, 'login-empty-fields');

    for (let i = 0; i < 5; i++) {
      await page.getByLabel('ログインID').fill(locked.login);
      await page.getByLabel('パスワード').fill(`wrong-password-${i}`);
      await page.getByRole('button', { name: 'ログインする' }).click();
      await page.waitForLoadState('load');
    }
    expect(await page.locator('main').innerText()).toMatch(/しばらく|分後|時間をおいて/);
    await check(page, watcher, 'login-locked');

    await page.goto(`${platform.url}/orderers?q=${encodeURIComponent('該当なし村')}`);
    await check(page, watcher, 'orderers-no-match');
    await page.goto(`${platform.url}/certificates/NOPE-0001`);
    expect(page.url()).toContain('/login?next=');
    await page.goto(`${platform.url}/api/docs`);
    await check(page, watcher, 'api-docs');
    await context.close();
  });

  it('a clerk: account, 保証確認 errors and the lock, list badges, the display rule, 解約, 返戻, 404 and 500', async () => {
    const { context, page, watcher } = await open({ user: clerk });
    await page.goto(`${platform.url}/account`);
    await check(page, watcher, 'account');

    // 保証確認: both fields empty, then five failures on one number lock it.
    await page.goto(`${platform.url}/verify`);
    await htmxReady(page);
    await page.getByRole('button', { name: '確認する' }).click();
    await expect.poll(() => page.locator('.field--error').count()).toBe(2);
    await check(page, watcher, 'verify-empty-fields');
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('保証契約番号').fill('99999-12345Z');
      await page.getByLabel('認証キー').fill(`AAAA-AAAA-AAAA-AAA${i}`);
      await page.getByRole('button', { name: '確認する' }).click();
      await expect.poll(() => page.locator('.error-summary').count()).toBe(1);
    }
    await page.getByLabel('認証キー').fill('AAAA-AAAA-AAAA-AAAA');
    await page.getByRole('button', { name: '確認する' }).click();
    await expect.poll(() => page.locator('#verify-panel').innerText()).toMatch(/分|しばらく/);
    await check(page, watcher, 'verify-locked');
    await platform.server.runtime.database.db.deleteFrom('throttles').execute();

    // Verify four certificates (the number and key as typed from the PDF).
    for (const c of [changed, ruled, ended, spare]) {
      await page.goto(`${platform.url}/verify`);
      await htmxReady(page);
      await page.getByLabel('保証契約番号').fill(c.contractNumber);
      await page.getByLabel('認証キー').fill(c.authKey);
      await Promise.all([
        page.waitForURL(new RegExp(`/certificates/${c.contractNumber}$`)),
        page.getByRole('button', { name: '確認する' }).click(),
      ]);
    }
    // Then the sureties move on: a 変更 on one, the full display rule on another, a 解約 on the third.
    await pushFollowUp(platform, changed.event, 'change', { remarks: '請負金額の増額' });
    await pushFollowUp(platform, ruled.event, 'change', { remarks: '一回目の変更' });
    await pushFollowUp(platform, ruled.event, 'correction', {
      targetVersion: 2,
      remarks: '一回目の変更（訂正）',
    });
    await pushFollowUp(platform, ruled.event, 'change', { remarks: '誤って送った変更' });
    await pushFollowUp(platform, ruled.event, 'change_cancel', { targetVersion: 4 });
    await pushFollowUp(platform, ended.event, 'termination', { remarks: '工事中止' });

    await page.goto(`${platform.url}/certificates`);
    expect(await page.locator('.cert-list').innerText()).toContain('更新あり');
    await check(page, watcher, 'list-badges');
    await page.goto(`${platform.url}/certificates?q=${encodeURIComponent('存在しない工事')}`);
    await check(page, watcher, 'list-no-match');

    await page.goto(`${platform.url}/certificates/${changed.contractNumber}`);
    expect(await page.locator('main').innerText()).toContain('前回');
    await check(page, watcher, 'certificate-changed-notice');

    await page.goto(`${platform.url}/certificates/${ruled.contractNumber}`);
    expect(await page.locator('table.cert-history tbody tr').count()).toBe(2);
    await check(page, watcher, 'certificate-display-rule');
    await page.goto(`${platform.url}/certificates/${ruled.contractNumber}/versions/2`);
    await check(page, watcher, 'version-corrected');

    await page.goto(`${platform.url}/certificates/${ended.contractNumber}`);
    await check(page, watcher, 'certificate-terminated');
    await page.goto(`${platform.url}/certificates/${ended.contractNumber}/versions/2`);
    expect(await page.locator('main').innerText()).toContain('解約日');
    await check(page, watcher, 'version-terminated');
    await page.goto(`${platform.url}/certificates/${ended.contractNumber}/versions/2/copy`);
    await check(page, watcher, 'copy-terminated');

    // 返戻: the form error (htmx 422 swap), then a 返戻 with its reason.
    await page.goto(`${platform.url}/certificates/${spare.contractNumber}`);
    await htmxReady(page);
    await page.getByRole('button', { name: '返戻を記録する' }).click();
    await expect.poll(() => page.locator('#ack-reason-error').count()).toBe(1);
    expectedRefusal(watcher, 422);
    await check(page, watcher, 'ack-reason-missing');
    await page.getByLabel('返戻の理由').fill('保証金額が契約書と一致しません');
    await page.getByRole('button', { name: '返戻を記録する' }).click();
    await expect.poll(() => page.locator('#ack-panel').innerText()).toContain('返戻を記録しました');
    await check(page, watcher, 'ack-returned');

    await page.goto(`${platform.url}/certificates/NOPE-0001`);
    await check(page, watcher, 'not-found-signed-in');

    // The 500 page: the access log refuses the view, so nothing of the certificate is served.
    const spy = vi
      .spyOn(platform.server.runtime.access, 'record')
      .mockRejectedValue(new Error('disk full (injected)'));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await page.goto(`${platform.url}/certificates/${spare.contractNumber}`);
      expect(res?.status()).toBe(500);
    } finally {
      spy.mockRestore();
      errors.mockRestore();
    }
    watcher.problems.length = 0; // the document's own 500 is logged as a failed resource
    await check(page, watcher, 'internal-error');
    await context.close();
  });

  it('the refusal pages: 403 for an auditor, the CSRF refusal, 413', async () => {
    const a = await open({ user: auditor });
    const res = await a.page.goto(`${platform.url}/verify`);
    expect(res?.status()).toBe(403);
    a.watcher.problems.length = 0;
    await check(a.page, a.watcher, 'forbidden-role');
    await a.page.goto(`${platform.url}/certificates`);
    await check(a.page, a.watcher, 'list-auditor');
    await a.context.close();

    // A stale or forged form: the token no longer matches (as after a logout in another tab). Native submit, so
    // the browser renders the whole answer page.
    const c = await open({ user: clerk });
    await c.page.goto(`${platform.url}/verify`);
    await c.page.evaluate(() => {
      const form = document.querySelector<HTMLFormElement>('form.verify-form')!;
      form.querySelector<HTMLInputElement>('input[name="_csrf"]')!.value = 'stale-token';
      form.submit();
    });
    await c.page.waitForLoadState('load');
    expect(await c.page.locator('h1').innerText()).toBe('操作を受け付けられませんでした');
    c.watcher.problems.length = 0;
    await check(c.page, c.watcher, 'csrf-refused');

    await c.page.goto(`${platform.url}/verify`);
    await c.page.evaluate(() => {
      const form = document.querySelector<HTMLFormElement>('form.verify-form')!;
      const big = document.createElement('input');
      big.type = 'hidden';
      big.name = 'padding';
      big.value = 'x'.repeat(70 * 1024);
      form.append(big);
      form.submit();
    });
    await c.page.waitForLoadState('load');
    expect(await c.page.locator('h1').innerText()).toBe('送信された内容が大きすぎます');
    c.watcher.problems.length = 0;
    await check(c.page, c.watcher, 'too-large');
    await c.context.close();
  });

  it('without htmx: the forms answer with whole pages (422 with errors, 303 after success)', async () => {
    const { context, page, watcher } = await open({ htmx: false, user: clerk });
    await page.goto(`${platform.url}/verify`);
    await page.getByLabel('保証契約番号').fill(spare.contractNumber);
    await page.getByLabel('認証キー').fill('AAAA-AAAA-AAAA-AAAA');
    await page.getByRole('button', { name: '確認する' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.error-summary').innerText()).toContain('正しくありません');
    await check(page, watcher, 'nohtmx-verify-failed');
    await page.getByLabel('認証キー').fill(spare.authKey);
    await Promise.all([
      page.waitForURL(new RegExp(`/certificates/${spare.contractNumber}$`)),
      page.getByRole('button', { name: '確認する' }).click(),
    ]);
    await page.getByRole('button', { name: '返戻を記録する' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('#ack-reason-error').innerText()).toContain('返戻の理由');
    await check(page, watcher, 'nohtmx-ack-reason-missing');
    await page.getByRole('button', { name: '受領を記録する' }).click();
    await page.waitForURL(/\?ack=received/);
    expect(await page.locator('#ack-panel').innerText()).toContain('受領を記録しました');
    await check(page, watcher, 'nohtmx-ack-received');
    await context.close();
  });
});
