// The platform auditor's day in real Chromium: the dashboard (and its period switch), the access log (filter and
// "more" through htmx), one event with its proof and checks, and log integrity (an earlier checkpoint checked, a
// full recompute run with its progress panel). Every page: a screenshot under test-results/screenshots/, zero axe
// (WCAG 2.1 AA) violations, no CSP or script errors.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillLogs } from '../../bench/fixtures.ts';
import { ensurePlatformOrg, PLATFORM_ORG, recordEvents } from '../helpers/audit.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { createUser, type TestUser } from '../helpers/web.ts';
import { pushIssue } from '../helpers/web-certs.ts';
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

if (!hasChromium) console.warn(`[e2e] audit.e2e.test.ts ${SKIP_MESSAGE}`);

describe.skipIf(!hasChromium)('auditor console in Chromium', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watcher: { problems: string[] };
  let auditor: TestUser;
  let earlierCheckpoint: string;
  let contractNumber: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    await ensurePlatformOrg(platform);
    auditor = await createUser(platform, {
      login: 'platform-auditor',
      orgCode: PLATFORM_ORG,
      role: 'auditor',
      displayName: '電証 監査担当',
    });
    const clerk = await createUser(platform, { login: 'clerk', orgCode: '092134', role: 'clerk' });
    const cert = await pushIssue(platform);
    contractNumber = cert.contractNumber;
    earlierCheckpoint = platform.server.runtime.logs.certs.latestCheckpoint.note;
    await pushIssue(platform);
    const actor = `user:${clerk.id}`;
    await recordEvents(platform, [
      ...Array.from({ length: 60 }, (_, i) => ({
        action: 'certificate.view',
        outcome: 'success',
        actor,
        orgCode: '092134',
        target: cert.contractNumber,
        ip: '192.0.2.10',
        userAgent: 'Mozilla/5.0 (Windows NT 10.0) 庁内端末',
        detail: { i },
      })),
      {
        action: 'certificate.verify',
        outcome: 'wrong_key',
        actor,
        orgCode: '092134',
        target: cert.contractNumber,
        ip: '192.0.2.10',
      },
      {
        action: 'verify.lock',
        outcome: 'locked',
        actor,
        orgCode: '092134',
        target: cert.contractNumber,
        ip: '192.0.2.10',
      },
      {
        action: 'auth.login',
        outcome: 'failure',
        actor: null,
        ip: '203.0.113.9',
        detail: { login: 'admin' },
      },
    ]);
    // Enough access leaves that the full recompute takes a moment: the progress panel is seen polling.
    await fillLogs(platform.server.runtime, { certs: 0, access: 300_000 });
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

  const check = (name: string) => checkPage(page, watcher, name, { prefix: 'audit' });

  it('dashboard, events (filter + more), an event, integrity', { timeout: 90_000 }, async () => {
    await page.goto(`${platform.url}/login?next=${encodeURIComponent('/audit')}`);
    await page.getByLabel('ログインID').fill(auditor.login);
    await page.getByLabel('パスワード').fill(auditor.password);
    await Promise.all([page.waitForURL(/\/audit$/), page.getByRole('button', { name: 'ログイン' }).click()]);
    await htmxReady(page);
    expect(await page.locator('h1').innerText()).toBe('監査 概要');
    expect(await page.locator('svg.audit-chart__svg rect.audit-chart__bar').count()).toBe(30);
    expect(await page.locator('#audit-problems-h + .table-wrap').innerText()).toContain('ロック');
    await check('01-dashboard');

    // The period switch swaps only the dashboard body (htmx) and pushes the URL.
    await page.getByLabel('期間').selectOption('7');
    await page.getByRole('button', { name: '表示する' }).click();
    await expect.poll(() => page.locator('svg.audit-chart__svg rect.audit-chart__bar').count()).toBe(7);
    expect(page.url()).toMatch(/\/audit\?period=7$/);
    await page.locator('.audit-details summary').click();
    await check('02-dashboard-7-days');

    await page.goto(`${platform.url}/audit/events`);
    await htmxReady(page);
    await page.getByLabel('操作', { exact: true }).selectOption('certificate.view');
    await page.getByLabel('保証契約番号').fill(contractNumber);
    await page.getByRole('button', { name: '絞り込む' }).click();
    await expect.poll(() => page.url()).toMatch(/action=certificate\.view/);
    const rows = page.locator('#audit-rows tr:not(#audit-more)');
    await expect.poll(() => rows.count()).toBe(50);
    await check('03-events-filtered');
    await page.getByRole('link', { name: '次の50件を表示' }).click();
    await expect.poll(() => rows.count()).toBe(60);
    expect(await page.locator('#audit-more').count()).toBe(0);
    await check('04-events-more');

    await Promise.all([page.waitForURL(/\/audit\/events\/\d+$/), rows.first().locator('a').first().click()]);
    expect(await page.locator('h1').innerText()).toMatch(/^アクセスイベント ログ番号 \d+$/);
    // leaf = row, retained IP = net, checkpoint signature, inclusion proof
    expect(await page.locator('.audit-check--ok').count()).toBe(4);
    expect(await page.locator('.audit-check--ng').count()).toBe(0);
    expect(await page.locator('main').innerText()).toContain('庁内端末');
    await check('05-event');

    await page.goto(`${platform.url}/audit/integrity`);
    await htmxReady(page);
    await page.getByLabel('チェックポイント（貼り付け）').fill(earlierCheckpoint);
    await page.getByRole('button', { name: '確認する' }).click();
    await expect.poll(() => page.locator('#checkpoint-result').innerText()).toContain('整合性証明');
    expect(await page.locator('#checkpoint-result .audit-check--ok').count()).toBe(2);
    await check('06-integrity-checkpoint');

    // The progress panel polls itself (htmx, every 1 s) while the job runs, then stops with the result.
    const polled = page.waitForRequest(
      (r) => r.url().includes('/audit/integrity/jobs/') && r.headers()['hx-request'] === 'true',
      { timeout: 15_000 },
    );
    await Promise.all([
      page.waitForURL(/\/audit\/integrity\/jobs\/[0-9a-f-]+$/),
      page.getByRole('button', { name: 'アクセスログ（access）を再計算する' }).click(),
    ]);
    await htmxReady(page);
    expect(await page.locator('.audit-job[hx-trigger="every 1s"]').count()).toBe(1);
    expect(await page.getByRole('link', { name: '最新の状態に更新する' }).count()).toBe(1);
    await screenshot(page, 'audit-07-integrity-recompute-running');
    await polled;
    await expect
      .poll(() => page.locator('.audit-job').innerText(), { timeout: 30_000 })
      .toContain('検証成功');
    expect(await page.locator('.audit-job[hx-trigger]').count()).toBe(0);
    await check('08-integrity-recompute-done');
  });
});
