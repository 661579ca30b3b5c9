// The orderer's day in real Chromium, on a platform seeded like the demo (那須塩原市's clerk; 31074-00001M with a
// 変更 and a 訂正): log in, verify with the key, read the history, open a version and its 写し, mark 受領, log out.
// Every page: a screenshot under test-results/screenshots/, zero axe (WCAG 2.1 AA) violations, no CSP errors.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueEvent, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { createUser, type TestUser } from '../helpers/web.ts';
import { pushFollowUp } from '../helpers/web-certs.ts';
import {
  checkPage,
  hasChromium,
  htmxReady,
  launchBrowser,
  newContext,
  SKIP_MESSAGE,
  screenshot,
  watchConsole,
} from './browser.ts';

if (!hasChromium) console.warn(`[e2e] orderer-flow.e2e.test.ts ${SKIP_MESSAGE}`);

const NUMBER = '31074-00001M';

describe.skipIf(!hasChromium)('orderer flow in Chromium', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watcher: { problems: string[] };
  let clerk: TestUser;
  let authKey: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    clerk = await createUser(platform, {
      login: 'clerk',
      orgCode: '092134',
      role: 'clerk',
      displayName: '那須塩原市 契約検査課 担当者',
    });
    // The demo's seed certificate: 新規, then a 変更 (増額), then a 訂正 of that 変更 (保証期間の誤記).
    const first = issueEvent({
      contractNumber: NUMBER,
      work: {
        name: '●●●●工事',
        location: '那須塩原市共墾社一丁目地内',
        periodStart: '2025-12-20',
        periodEnd: '2026-03-31',
      },
    });
    const res = await platform.push(await platform.surety.sign(first));
    expect(res.status).toBe(201);
    authKey = ((await res.json()) as { authKey: string }).authKey;
    const change = {
      contractAmount: 60_000_000,
      guaranteeAmount: 24_000_000,
      remarks: '変更契約（請負金額の増額）',
    };
    await pushFollowUp(platform, first, 'change', change);
    await pushFollowUp(platform, first, 'correction', {
      ...change,
      targetVersion: 2,
      guaranteePeriod: { start: '2025-12-20', end: '2026-05-29' },
      remarks: '変更契約（請負金額の増額）— 保証期間の誤記を訂正',
    });
    browser = await launchBrowser();
    context = await newContext(browser);
    page = await context.newPage();
    watcher = watchConsole(page);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await platform?.close();
  });

  /** Screenshot, axe and the console, for the page as it is now. */
  const check = (name: string) => checkPage(page, watcher, name, { prefix: 'orderer' });

  it('walks from login to logout', async () => {
    await page.goto(`${platform.url}/login`);
    await page.getByLabel('ログインID').fill(clerk.login);
    await page.getByLabel('パスワード').fill(clerk.password);
    await Promise.all([page.waitForURL(/\/verify$/), page.getByRole('button', { name: 'ログイン' }).click()]);
    await htmxReady(page);
    expect(await page.locator('h1').innerText()).toBe('保証確認');
    await check('01-verify');

    // A mistyped key: the generic message, swapped in by htmx, the number kept.
    await page.getByLabel('保証契約番号').fill(NUMBER);
    await page.getByLabel('認証キー').fill('AAAA-AAAA-AAAA-AAAA');
    await page.getByRole('button', { name: '確認する' }).click();
    await expect.poll(() => page.locator('.error-summary').count()).toBe(1);
    expect(await page.locator('.error-summary').innerText()).toContain(
      '保証契約番号または認証キーが正しくありません',
    );
    expect(await page.getByLabel('保証契約番号').inputValue()).toBe(NUMBER);
    expect(await page.getByLabel('認証キー').inputValue()).toBe('');
    await check('02-verify-error');

    // The key as a clerk might type it from the PDF: lower case, spaces instead of hyphens.
    await page.getByLabel('認証キー').fill(authKey.toLowerCase().replaceAll('-', ' '));
    // One round trip: htmx swaps the 保証証書 the POST answered with and pushes its URL — no GET follows.
    const requested: string[] = [];
    page.on('request', (r) => requested.push(`${r.method()} ${new URL(r.url()).pathname}`));
    await Promise.all([
      page.waitForURL(new RegExp(`/certificates/${NUMBER}$`)),
      page.getByRole('button', { name: '確認する' }).click(),
    ]);
    await htmxReady(page);
    expect(await page.locator('h1').innerText()).toBe('保証証書（前払金保証）');
    expect(await page.title()).toBe(`保証証書（前払金保証） ${NUMBER} — 電証`);
    expect(requested.filter((r) => !r.startsWith('GET /static/'))).toEqual(['POST /verify']);
    // Focus moved to the new content (a screen reader starts at the certificate, not at a vanished button).
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    expect(await page.locator('.site-nav [aria-current="page"]').innerText()).toBe('確認済み保証一覧');
    const rows = page.locator('table.cert-history tbody tr');
    expect(await rows.count()).toBe(2); // 新規 and 変更; the 訂正 is not a row
    expect(await rows.nth(1).locator('td').nth(2).innerText()).toContain('変更');
    expect(await page.locator('table.cert-summary').innerText()).toContain('60,000,000 円');
    await check('03-certificate');

    await Promise.all([
      page.waitForURL(/\/versions\/1$/),
      rows.nth(0).getByRole('link', { name: /選択/ }).click(),
    ]);
    expect(await page.locator('h1').innerText()).toBe('保証証書（前払金保証） No.1 新規');
    expect(await page.locator('table.cert-content').innerText()).toContain('50,000,000 円');
    await check('04-version-1');

    await Promise.all([
      page.waitForURL(/\/versions\/1\/copy$/),
      page.getByRole('link', { name: 'この履歴の写しを表示する' }).click(),
    ]);
    expect(await page.locator('.cert-copy__mark').innerText()).toContain('写し');
    expect(await page.locator('.cert-copy__qr svg').count()).toBe(1);
    // The print button appears only with JavaScript (static/certificate-print.js).
    await expect.poll(() => page.getByRole('button', { name: '印刷する' }).isVisible()).toBe(true);
    await check('05-copy');
    await page.emulateMedia({ media: 'print' });
    await screenshot(page, 'orderer-05-copy-print');
    await page.emulateMedia({ media: 'screen' });

    await page.goto(`${platform.url}/certificates/${NUMBER}`);
    await htmxReady(page);
    await page.getByRole('button', { name: '受領を記録する' }).click();
    await expect.poll(() => page.locator('#ack-panel').innerText()).toContain('受領を記録しました');
    expect(await page.locator('.cert-ack__latest').innerText()).toContain('受領');
    await check('06-received');

    await page.goto(`${platform.url}/certificates`);
    await htmxReady(page);
    expect(await page.locator('table.cert-list tbody tr').count()).toBe(1);
    await check('07-list');

    await Promise.all([
      page.waitForURL(/\/login\?done=logout$/),
      page.getByRole('button', { name: 'ログアウト' }).click(),
    ]);
    await check('08-logged-out');

    // The mark reached the surety's feed.
    const feed = await fetch(`${platform.url}/api/v1/acknowledgements`, {
      headers: { authorization: `Bearer ${await platform.surety.bearer()}` },
    });
    const body = (await feed.json()) as { acknowledgements: { contractNumber: string; kind: string }[] };
    expect(body.acknowledgements).toEqual([
      expect.objectContaining({ contractNumber: NUMBER, kind: 'received' }),
    ]);
  });
});
