// Public pages and sign-in in real Chromium: screenshots and zero axe (WCAG 2.1 AA) violations per page, no CSP
// violations or script errors, the htmx-enhanced orderer filter, and a full log-in / log-out.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { createUser, type TestUser } from '../helpers/web.ts';
import {
  expectNoAxeViolations,
  hasChromium,
  htmxReady,
  launchBrowser,
  newContext,
  SKIP_MESSAGE,
  screenshot,
  watchConsole,
} from './browser.ts';

if (!hasChromium) console.warn(`[e2e] public.e2e.test.ts ${SKIP_MESSAGE}`);

describe.skipIf(!hasChromium)('public pages in Chromium', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let clerk: TestUser;

  beforeAll(async () => {
    platform = await startTestPlatform();
    clerk = await createUser(platform, { login: 'e2e-clerk', displayName: '契約検査課 電子太郎' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.close();
  });

  async function open(path: string, opts: { width?: number } = {}) {
    const context = await newContext(browser, opts);
    const page = await context.newPage();
    const watcher = watchConsole(page);
    const res = await page.goto(platform.url + path, { waitUntil: 'load' });
    return { context, page, watcher, status: res?.status() };
  }

  it.each([
    ['/', 'top', '電子保証の確認サービス「電証」'],
    ['/orderers', 'orderers', '電子保証対応の発注者一覧'],
    ['/help', 'help', 'ヘルプ・よくある質問'],
    ['/login', 'login', 'ログイン'],
    ['/no-such-page', 'not-found', 'ページが見つかりません'],
  ])('%s renders cleanly, passes axe and breaks no CSP rule', async (path, name, heading) => {
    const { context, page, watcher, status } = await open(path);
    expect(status).toBe(path === '/no-such-page' ? 404 : 200);
    await htmxReady(page);
    expect(await page.locator('h1').innerText()).toBe(heading);
    await screenshot(page, `public-${name}`);
    await expectNoAxeViolations(page, path);
    expect(watcher.problems).toEqual([]);
    await context.close();
  });

  it('reflows on a narrow screen (no horizontal scrolling) and prints without navigation', async () => {
    const { context, page } = await open('/', { width: 360 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'public-top-narrow');
    await expectNoAxeViolations(page, '/ (narrow)');
    await page.goto(`${platform.url}/help`);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.site-nav').isVisible()).toBe(false);
    await screenshot(page, 'public-help-print');
    await context.close();
  });

  it('shows a visible focus indicator on the skip link and moves to main', async () => {
    const { context, page } = await open('/help');
    await page.keyboard.press('Tab');
    const skip = page.locator('.skip-link');
    await expect.poll(() => skip.evaluate((el) => el === document.activeElement)).toBe(true);
    const top = await skip.evaluate((el) => el.getBoundingClientRect().top);
    expect(top).toBeGreaterThanOrEqual(0);
    await screenshot(page, 'public-skip-link-focus');
    await page.keyboard.press('Enter');
    expect(page.url()).toMatch(/#main$/);
    await context.close();
  });

  it('filters the orderer list in place with htmx (no page reload) and keeps the URL shareable', async () => {
    const { context, page, watcher } = await open('/orderers');
    await htmxReady(page);
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    await page.locator('#q').fill('栃木');
    await expect
      .poll(() => page.locator('.result-count').innerText())
      .toContain('「栃木」に一致する発注者：1件');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await expect.poll(() => page.url()).toContain('q=');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await screenshot(page, 'public-orderers-filtered');
    await expectNoAxeViolations(page, '/orderers (filtered)');
    expect(watcher.problems).toEqual([]);
    await context.close();
  });

  it('logs in (with a visible error first) and logs out', async () => {
    const { context, page, watcher } = await open('/login?next=%2Fhelp');
    await page.getByLabel('ログインID').fill(clerk.login);
    await page.getByLabel('パスワード').fill('not-the-password');
    await Promise.all([
      page.waitForURL(/\/login$/),
      page.getByRole('button', { name: 'ログインする' }).click(),
    ]);
    await expect
      .poll(() => page.getByRole('alert').first().innerText())
      .toContain('ログインできませんでした');
    await screenshot(page, 'public-login-failed');
    await expectNoAxeViolations(page, '/login (failed)');

    await page.getByLabel('パスワード').fill(clerk.password);
    await Promise.all([
      page.waitForURL(/\/help$/),
      page.getByRole('button', { name: 'ログインする' }).click(),
    ]);
    await expect.poll(() => page.locator('.account__org').innerText()).toBe('那須塩原市長');
    expect(await page.getByRole('link', { name: '保証確認' }).count()).toBeGreaterThan(0);
    await screenshot(page, 'public-help-signed-in');
    await expectNoAxeViolations(page, '/help (signed in)');

    await Promise.all([
      page.waitForURL(/\/login\?done=logout$/),
      page.getByRole('button', { name: 'ログアウト' }).click(),
    ]);
    await expect.poll(() => page.getByRole('status').first().innerText()).toContain('ログアウトしました');
    expect((await context.cookies()).some((c) => c.name === 'densho_session')).toBe(false);
    await screenshot(page, 'public-logged-out');
    expect(watcher.problems).toEqual([]);
    await context.close();
  });
});
