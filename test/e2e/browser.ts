// Browser test harness: Debian's Chromium driven by playwright-core (no browser download), a fresh context per
// test, full-page screenshots under test-results/screenshots/, axe-core checks against WCAG 2.1 A/AA, and a
// console watcher that turns CSP violations and script errors into test failures.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** CI installs Chromium (apt-get install chromium); without it the browser suites skip themselves. */
export const hasChromium = existsSync(CHROMIUM_PATH);
export const SKIP_MESSAGE = `skipped: ${CHROMIUM_PATH} not found — install it with \`apt-get install -y chromium fonts-noto-cjk\``;

export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh, isolated context (no cookies shared between tests), Japanese locale, desktop size by default. */
export function newContext(
  browser: Browser,
  opts: { width?: number; height?: number } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Collects console errors, uncaught exceptions and CSP violations; `problems` should stay empty. */
export function watchConsole(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('console', (msg) => {
    // The document's own 404/422 status is logged as a "failed resource"; tests assert that status themselves.
    const ownDocument = msg.location().url === page.url() && /^Failed to load resource/.test(msg.text());
    if (ownDocument) return;
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) {
      problems.push(`console ${msg.type()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return { problems };
}

interface AxeNode {
  target: string[];
  failureSummary?: string;
  html: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

const require = createRequire(import.meta.url);
let axeSource: string | null = null;

/**
 * Runs axe-core (WCAG 2.0 A/AA and 2.1 AA rules) in the page and fails with a readable list of violations.
 * The source is evaluated through the DevTools protocol: an injected <script> would be (rightly) refused by
 * our CSP, which allows scripts from 'self' only.
 */
export async function expectNoAxeViolations(page: Page, label = page.url()): Promise<void> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate(
    () => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined',
  );
  if (!loaded) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: unknown[] }> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return result.violations;
  });
  const list = violations as AxeViolation[];
  if (list.length === 0) return;
  const lines = list.map((v) =>
    [
      `• ${v.id} (${v.impact ?? 'n/a'}): ${v.help} — ${v.helpUrl}`,
      ...v.nodes
        .slice(0, 5)
        .map((n) => `    ${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`),
    ].join('\n'),
  );
  throw new Error(`axe found ${list.length} accessibility violation(s) on ${label}:\n${lines.join('\n')}`);
}

/** htmx has loaded (its script is deferred): forms and links are enhanced from here on. */
export async function htmxReady(page: Page): Promise<void> {
  await page.waitForFunction(() => typeof (window as unknown as { htmx?: unknown }).htmx !== 'undefined');
}

/**
 * The per-page check every browser suite makes: a full-page screenshot (`<prefix>-<name>.png`), zero axe
 * violations, nothing on the console watcher; with `reflow`, also no horizontal scrolling at 200 % zoom (640 CSS
 * px) and a screenshot of that.
 */
export async function checkPage(
  page: Page,
  watcher: { problems: string[] },
  name: string,
  opts: { prefix: string; reflow?: boolean },
): Promise<void> {
  await screenshot(page, `${opts.prefix}-${name}`);
  await expectNoAxeViolations(page, name);
  expect(watcher.problems, name).toEqual([]);
  if (opts.reflow) {
    const size = page.viewportSize();
    await page.setViewportSize({ width: 640, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name}: horizontal scrolling at 200 % zoom`).toBeLessThanOrEqual(0);
    await screenshot(page, `${opts.prefix}-${name}-200pct`);
    if (size) await page.setViewportSize(size);
  }
  // axe-core leaves empty style="" attributes on the elements it measured; htmx 4 copies `style` from the old
  // element onto its replacement during a swap, which our CSP (style-src 'self') then reports. Not the app's
  // doing — clear them so the console check sees only what the pages themselves do.
  await page.evaluate(() => {
    for (const e of document.querySelectorAll('[style=""]')) e.removeAttribute('style');
  });
}
