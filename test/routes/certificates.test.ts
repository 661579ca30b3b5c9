// Certificate screens over real HTTP + SQLite, with certificates pushed through the real surety API: the page and
// its fragments, the display rule, "changed since last viewed", version pages, the 写し, the list (search, filters,
// keyset paging), other organisations, XSS, 受領/返戻 and the surety's GET /api/v1/acknowledgements.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { renderSVG } from 'uqr';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestSurety } from '../helpers/platform.ts';
import {
  addUser,
  HTMX,
  type Pushed,
  pushFollowUp,
  pushIssue,
  WebClient,
  type WebResponse,
} from '../helpers/web-certs.ts';

let p: TestPlatform;
let clerk: WebClient;
let auditor: WebClient;
let tochigi: WebClient;
const users: Record<string, number> = {};

const db = () => p.server.runtime.database.db;

async function client(login: string): Promise<WebClient> {
  const w = new WebClient(p.url);
  await w.login(login);
  return w;
}

/** Push a certificate for 那須塩原市 and verify it as `w` (the only way into an organisation's list). */
async function verified(
  overrides: Record<string, unknown> = {},
  w = clerk,
  surety?: TestSurety,
): Promise<Pushed> {
  const cert = await pushIssue(p, overrides, surety);
  const res = await w.post(
    '/verify',
    { contractNumber: cert.contractNumber, authKey: cert.authKey },
    { from: '/verify' },
  );
  if (res.status !== 303) throw new Error(`verify failed: ${res.status}`);
  return cert;
}

/** The rows of the 電子保証情報(履歴情報) table as [No, 発行日時, 対象] triples. */
function historyRows(html: string): string[][] {
  const table = /<table class="table cert-history">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)]
      .slice(0, 3)
      .map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()),
  );
}

/** JST `2025/12/20 12:00:00` from an ISO time, computed independently of the view's helper. */
function jst(iso: string): string {
  const d = new Date(new Date(iso).getTime() + 9 * 3600_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function listNumbers(html: string): string[] {
  return [...html.matchAll(/<th scope="row" class="cert-number"><a href="\/certificates\/([^"]+)">/g)].map(
    (m) => m[1]!,
  );
}

function nextHref(html: string): string | null {
  const m = /<tr id="cert-list-more"[\s\S]*?<a href="([^"]+)"/.exec(html);
  return m ? m[1]!.replaceAll('&amp;', '&') : null;
}

beforeAll(async () => {
  p = await startTestPlatform();
  for (const [login, orgCode, role] of [
    ['clerk', '092134', 'clerk'],
    ['clerk2', '092134', 'clerk'],
    ['auditor', '092134', 'auditor'],
    ['tochigi', '090000', 'clerk'],
  ] as const) {
    users[login] = await addUser(p, { login, orgCode, role, displayName: `${login} 担当` });
  }
  clerk = await client('clerk');
  auditor = await client('auditor');
  tochigi = await client('tochigi');
});

afterAll(async () => {
  await p?.close();
});

describe('GET /certificates/:no', () => {
  it('shows 電子保証概要 like the seed, the full content, the history and the log entry', async () => {
    const cert = await verified({
      jv: { name: '〇〇・△△特定建設工事共同企業体', members: [{ name: '〇〇建設' }, { name: '△△工業' }] },
    });
    const res = await clerk.get(`/certificates/${cert.contractNumber}`);
    expect(res.status).toBe(200);
    const html = res.body;
    expect(html).toContain(`<title>保証証書（前払金保証） ${cert.contractNumber} — 電証</title>`);
    expect(html).toContain('<h1>保証証書（前払金保証）</h1>');
    // Headings in order: h1, then h2s (no skipped level).
    const levels = [...html.matchAll(/<h([1-6])[ >]/g)].map((m) => Number(m[1]));
    expect(levels[0]).toBe(1);
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    for (const label of [
      '保証契約番号',
      '請負契約者',
      'JV名',
      '工事名',
      '発注者名',
      '請負金額',
      '保証金額',
      '商品名',
      '預託金融機関',
      '工事場所',
      '工期',
      '保証期間',
      '保証契約締結日',
      '保証事業会社名',
    ]) {
      expect(html, label).toContain(`<th scope="row">${label}</th>`);
    }
    expect(html).toContain('50,000,000 円');
    expect(html).toContain('20,000,000 円');
    expect(html).toContain('〇〇銀行 ××支店');
    expect(html).toContain('〇〇・△△特定建設工事共同企業体');
    expect(html).toContain('那須塩原市共墾社一丁目');
    expect(html).toContain('2025/12/20 から 2026/03/31 まで');
    expect(html).toContain('2025/12/20 から 2026/04/30 まで');
    expect(html).toContain(`${p.surety.code} 保証株式会社`);
    expect(html).toContain('<span class="cert-status cert-status--active">有効</span>');
    expect(html).toContain('※訂正、変更取消された履歴は表示されません。');
    expect(html).toContain(
      '電子保証発行日時とは、発注者が保証証書を確認するシステム(プラットフォーム)に保証証書が到着した日時のことです。',
    );
    expect(html).toContain('<caption class="visually-hidden">電子保証情報(履歴情報)</caption>');
    expect(html).toContain('<h2 id="summary-title">電子保証概要（前払金保証）</h2>');
    for (const col of ['No.', '電子保証発行日時', '対象', '選択'])
      expect(html).toContain(`<th scope="col">${col}</th>`);
    expect(historyRows(html)).toEqual([['1', jst(cert.receipt.issuedAt), '新規']]);
    expect(html).toContain(`href="/certificates/${cert.contractNumber}/versions/1"`);
    const size = p.server.runtime.logs.certs.latestCheckpoint.size;
    expect(html).toContain(
      `href="/log/certs/proof/inclusion?index=${cert.receipt.log.index}&amp;size=${size}"`,
    );
    expect(html).toContain(`/versions/1/copy`);
    // The proof link works and covers the entry.
    const proof = await fetch(
      `${p.url}/log/certs/proof/inclusion?index=${cert.receipt.log.index}&size=${size}`,
    );
    expect(proof.status).toBe(200);
    // Every table has a caption; every value cell has a header.
    expect((html.match(/<table/g) ?? []).length).toBe((html.match(/<caption[ >]/g) ?? []).length);
  });

  it('is refused to another organisation (404) even with the number, exactly like a number that does not exist', async () => {
    const cert = await verified();
    const foreign = await tochigi.get(`/certificates/${cert.contractNumber}`);
    const missing = await tochigi.get('/certificates/00000-00000Q');
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.body).toBe(missing.body);
    for (const path of ['/versions/1', '/versions/1/copy']) {
      expect((await tochigi.get(`/certificates/${cert.contractNumber}${path}`)).status, path).toBe(404);
    }
    // Same organisation, but not verified yet: the key is needed first.
    const unverified = await pushIssue(p);
    expect((await clerk.get(`/certificates/${unverified.contractNumber}`)).status).toBe(404);
    // An auditor of the owning organisation may look.
    expect((await auditor.get(`/certificates/${cert.contractNumber}`)).status).toBe(200);
  });

  it('applies the display rule: 訂正 replaces its row, 変更取消 hides the change and itself', async () => {
    const cert = await verified();
    const base = cert.event;
    const change = { contractAmount: 60_000_000, guaranteeAmount: 24_000_000, remarks: '増額' };
    await pushFollowUp(p, base, 'change', change); // v2
    const corr = await pushFollowUp(p, base, 'correction', {
      ...change,
      targetVersion: 2,
      guaranteePeriod: { start: '2025-12-20', end: '2026-05-29' },
      remarks: '保証期間の誤記を訂正',
    }); // v3 corrects v2
    await pushFollowUp(p, base, 'change', { contractAmount: 90_000_000, guaranteeAmount: 36_000_000 }); // v4
    await pushFollowUp(p, base, 'change_cancel', { targetVersion: 4 }); // v5 withdraws v4

    const res = await clerk.get(`/certificates/${cert.contractNumber}`);
    expect(res.status).toBe(200);
    expect(historyRows(res.body)).toEqual([
      ['1', jst(cert.receipt.issuedAt), '新規'],
      ['2', jst(corr.issuedAt), '変更'],
    ]);
    // Current = the corrected 変更 (v3), not the cancelled v4 nor the uncorrected v2.
    expect(res.body).toContain('60,000,000 円');
    expect(res.body).toContain('2025/12/20 から 2026/05/29 まで');
    expect(res.body).toContain('保証期間の誤記を訂正');
    expect(res.body).not.toContain('90,000,000 円');

    const v2 = await clerk.get(`/certificates/${cert.contractNumber}/versions/2`);
    expect(v2.status).toBe(200);
    expect(v2.body).toContain('2025/12/20 から 2026/05/29 まで');
    expect(v2.body).toContain(jst(corr.issuedAt));
    const v1 = await clerk.get(`/certificates/${cert.contractNumber}/versions/1`);
    expect(v1.body).toContain('50,000,000 円');
    expect(v1.body).toContain('過去の履歴を表示しています');
    // The 訂正, the cancelled 変更 and the 変更取消 are not rows.
    for (const v of [3, 4, 5, 6, 0]) {
      expect((await clerk.get(`/certificates/${cert.contractNumber}/versions/${v}`)).status, `v${v}`).toBe(
        404,
      );
    }
    expect((await clerk.get(`/certificates/${cert.contractNumber}/versions/abc`)).status).toBe(404);
  });

  it('shows 解約 as a row and the status in words', async () => {
    const cert = await verified();
    const t = await pushFollowUp(p, cert.event, 'termination');
    const res = await clerk.get(`/certificates/${cert.contractNumber}`);
    expect(historyRows(res.body)).toEqual([
      ['1', jst(cert.receipt.issuedAt), '新規'],
      ['2', jst(t.issuedAt), '解約'],
    ]);
    expect(res.body).toContain('この保証は解約されています');
    expect(res.body).toContain('<span class="cert-status cert-status--terminated">解約</span>');
  });

  it('shows what the 解約 itself says (解約日, its 備考) on its version page and its 写し', async () => {
    const cert = await verified();
    await pushFollowUp(p, cert.event, 'termination', {
      terminationDate: '2026-02-01',
      remarks: '工事中止による解約',
    });
    for (const path of [
      `/certificates/${cert.contractNumber}/versions/2`,
      `/certificates/${cert.contractNumber}/versions/2/copy`,
    ]) {
      const res = await clerk.get(path);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toContain('<caption>解約の内容</caption>');
      expect(res.body, path).toMatch(/<th scope="row">解約日<\/th>\s*<td>2026\/02\/01<\/td>/);
      expect(res.body, path).toContain('工事中止による解約');
    }
    // The 新規 row has no 解約 of its own.
    const first = await clerk.get(`/certificates/${cert.contractNumber}/versions/1`);
    expect(first.body).not.toContain('解約の内容');
  });

  it('says once that the certificate changed since this organisation last looked', async () => {
    const cert = await verified();
    const path = `/certificates/${cert.contractNumber}`;
    const first = await clerk.get(path);
    expect(first.body).not.toContain('前回の表示以降に、この保証の内容が更新されました');
    expect((await clerk.get(path)).body).not.toContain('前回の表示以降');

    const list1 = await clerk.get(`/certificates?q=${cert.contractNumber}`);
    expect(list1.body).not.toContain('更新あり');
    await pushFollowUp(p, cert.event, 'change', { contractAmount: 55_000_000 });
    const list2 = await clerk.get(`/certificates?q=${cert.contractNumber}`);
    expect(list2.body).toContain('更新あり');

    // Another clerk of the same organisation sees it: the mark belongs to the organisation.
    const other = await client('clerk2');
    const changed = await other.get(path);
    expect(changed.body).toContain('前回の表示以降に、この保証の内容が更新されました');
    expect(changed.body).toContain('前回表示後');
    expect(historyRows(changed.body).map((r) => r[2])).toEqual(['新規', '変更前回表示後']);

    const again = await clerk.get(path);
    expect(again.body).not.toContain('前回の表示以降');
    expect((await clerk.get(`/certificates?q=${cert.contractNumber}`)).body).not.toContain('更新あり');

    // A 変更取消 moves the current content back — that is a change too.
    await pushFollowUp(p, cert.event, 'change_cancel', { targetVersion: 2 });
    expect((await clerk.get(path)).body).toContain('前回の表示以降に、この保証の内容が更新されました');
  });

  it('records every page view as an access event', async () => {
    const cert = await verified();
    await clerk.get(`/certificates/${cert.contractNumber}`, { 'x-request-id': 'req-view' });
    await clerk.get(`/certificates/${cert.contractNumber}/versions/1`, { 'x-request-id': 'req-version' });
    await clerk.get(`/certificates/${cert.contractNumber}/versions/1/copy`, { 'x-request-id': 'req-copy' });
    await tochigi.get(`/certificates/${cert.contractNumber}`, { 'x-request-id': 'req-foreign' });
    const rows = await db()
      .selectFrom('access_events')
      .select(['request_id', 'action', 'outcome', 'actor', 'target'])
      .where('request_id', 'in', ['req-view', 'req-version', 'req-copy', 'req-foreign'])
      .orderBy('log_index')
      .execute();
    expect(rows).toEqual([
      {
        request_id: 'req-view',
        action: 'certificate.view',
        outcome: 'success',
        actor: `user:${users.clerk}`,
        target: cert.contractNumber,
      },
      {
        request_id: 'req-version',
        action: 'certificate.version_view',
        outcome: 'success',
        actor: `user:${users.clerk}`,
        target: cert.contractNumber,
      },
      {
        request_id: 'req-copy',
        action: 'certificate.copy_view',
        outcome: 'success',
        actor: `user:${users.clerk}`,
        target: cert.contractNumber,
      },
      {
        request_id: 'req-foreign',
        action: 'certificate.view',
        outcome: 'not_found',
        actor: `user:${users.tochigi}`,
        target: cert.contractNumber,
      },
    ]);
  });
});

describe('render cost', () => {
  // Once any AsyncLocalStorage has run, Node 20 runs promise hooks for every promise of the process (≈ 5 % of a
  // page's CPU). hono/jsx enters one for a JSX context, toString(), and <link>/<script>/<style>/<meta>/<title>;
  // views/render.ts and string tags avoid all of them. This watches the real pages served over HTTP.
  it('serves the 保証確認 (htmx), the page, a version, the 写し and the list without entering an AsyncLocalStorage', async () => {
    const cert = await pushIssue(p);
    const csrf = await clerk.csrf('/verify');
    const run = vi.spyOn(AsyncLocalStorage.prototype, 'run');
    try {
      const verifiedPage = await clerk.post(
        '/verify',
        { contractNumber: cert.contractNumber, authKey: cert.authKey },
        { csrf, headers: HTMX },
      );
      expect(verifiedPage.body).toContain('certificate-print.css');
      for (const path of [
        `/certificates/${cert.contractNumber}`,
        `/certificates/${cert.contractNumber}/versions/1`,
        `/certificates/${cert.contractNumber}/versions/1/copy`,
        '/certificates',
      ]) {
        const res = await clerk.get(path);
        expect(res.status, path).toBe(200);
      }
      expect(run).not.toHaveBeenCalled();
    } finally {
      run.mockRestore();
    }
  });
});

describe('写し', () => {
  it('is marked 写し and carries the issuance time, log index, leaf hash, a QR code and the way back', async () => {
    const cert = await verified();
    const res = await clerk.get(`/certificates/${cert.contractNumber}/versions/1/copy`);
    expect(res.status).toBe(200);
    const html = res.body;
    expect(html).toContain(
      '<p class="cert-copy__mark">写し<span class="visually-hidden">（この書面は写しです）</span></p>',
    );
    expect(html).toContain('保証証書の原本ではありません');
    expect(html).toContain(jst(cert.receipt.issuedAt));
    expect(html).toContain(`<td>${cert.receipt.log.index}</td>`);
    // The leaf hash, recomputed here from the receipt's leaf bytes (RFC 6962: SHA-256(0x00 ‖ leaf)).
    const leafInput = Buffer.from((cert.receipt.log as unknown as { leafInput: string }).leafInput, 'base64');
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from([0]), leafInput]))
      .digest('base64');
    expect(html).toContain(`<code class="cert-hash">${expected}</code>`);
    // The QR code is inline SVG of the certificate page's URL.
    const url = `${p.server.runtime.config.origin}/certificates/${cert.contractNumber}`;
    expect(html).toContain(renderSVG(url, { ecc: 'M', border: 2 }));
    expect(html).toContain(`<p class="cert-copy__url">${url}</p>`);
    expect(html).toContain('内容の確認方法');
    expect(html).toContain('href="/static/certificate-print.css"');
    // CSP: no inline script or style.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/<style/i);
    const css = await fetch(`${p.url}/static/certificate-print.css`);
    expect(css.status).toBe(200);
    expect(await css.text()).toContain('@media print');
  });
});

describe('GET /certificates (確認済み保証一覧)', () => {
  let lister: WebClient;
  let numbers: string[];

  beforeAll(async () => {
    // A fresh organisation member sees the same organisation list; use a separate orderer to keep counts exact.
    await addUser(p, { login: 'mlit', orgCode: '2000012100001', role: 'clerk' });
    lister = await client('mlit');
    numbers = [];
    const mlit = { code: '2000012100001', name: '国土交通省' };
    for (let i = 0; i < 45; i++) {
      const product = i % 3 === 0 ? 'contract_guarantee' : 'advance_payment';
      const c = await verified(
        {
          orderer: mlit,
          product,
          depositBank: product === 'contract_guarantee' ? null : { name: '〇〇銀行', branch: '××支店' },
          work: {
            name: i === 7 ? '橋梁補修工事 100%_完了分' : `国道${i}号 改良工事`,
            location: null,
            periodStart: '2025-12-20',
            periodEnd: '2026-03-31',
          },
          contractor: { name: i === 11 ? '特定検索建設 株式会社' : `建設${i} 株式会社` },
        },
        lister,
      );
      numbers.push(c.contractNumber);
      if (i === 5) await pushFollowUp(p, c.event, 'termination');
    }
  });

  it('pages newest first with a keyset cursor: no skips or repeats while new certificates arrive', async () => {
    const first = await lister.get('/certificates');
    expect(first.status).toBe(200);
    const page1 = listNumbers(first.body);
    expect(page1).toHaveLength(20);
    // Newest first (by the last 電子保証発行日時): 44, 43, … — the 解約 of 5 arrived before 6 was issued.
    expect(page1.slice(0, 3)).toEqual([numbers[44], numbers[43], numbers[42]]);
    const next1 = nextHref(first.body);
    expect(next1).toMatch(/^\/certificates\?after=/);

    // New certificates arrive between page loads: they belong before page 1, not on page 2.
    const late = [];
    for (let i = 0; i < 3; i++) {
      late.push(
        (await verified({ orderer: { code: '2000012100001', name: '国土交通省' } }, lister)).contractNumber,
      );
    }
    const second = await lister.get(next1!);
    const page2 = listNumbers(second.body);
    expect(page2).toHaveLength(20);
    expect(second.body).toContain('最初から表示する');
    const third = await lister.get(nextHref(second.body)!);
    const page3 = listNumbers(third.body);
    expect(page3).toHaveLength(5);
    expect(nextHref(third.body)).toBeNull();
    const seen = [...page1, ...page2, ...page3];
    expect(new Set(seen).size).toBe(45);
    expect(new Set(seen)).toEqual(new Set(numbers));
    for (const n of late) expect(seen).not.toContain(n);
    expect(listNumbers((await lister.get('/certificates')).body).slice(0, 3)).toEqual([...late].reverse());
  });

  it('works as htmx "more": the next rows and the next more-link as a fragment', async () => {
    const first = await lister.get('/certificates');
    const more = await lister.get(nextHref(first.body)!, HTMX);
    expect(more.status).toBe(200);
    expect(more.body.startsWith('<tr>')).toBe(true);
    expect(more.body).not.toContain('<html');
    expect(listNumbers(more.body)).toHaveLength(20);
    expect(more.body).toContain('<tr id="cert-list-more"');
    // The search form's fragment is the results region.
    const results = await lister.get('/certificates?q=%E5%9B%BD%E9%81%93', HTMX);
    expect(results.body.startsWith('<div id="cert-list-results"')).toBe(true);
    expect(results.headers.get('vary')).toMatch(/HX-Request/i);
  });

  it('searches number, 工事名 and 請負契約者, with LIKE wildcards taken literally', async () => {
    const byNumber = await lister.get(`/certificates?q=${encodeURIComponent(numbers[9]!.toLowerCase())}`);
    expect(listNumbers(byNumber.body)).toEqual([numbers[9]]);
    const byWork = await lister.get(`/certificates?q=${encodeURIComponent('100%_')}`);
    expect(listNumbers(byWork.body)).toEqual([numbers[7]]);
    expect(listNumbers((await lister.get('/certificates?q=%25')).body)).toEqual([numbers[7]]);
    expect(listNumbers((await lister.get('/certificates?q=_')).body)).toEqual([numbers[7]]);
    const byContractor = await lister.get(`/certificates?q=${encodeURIComponent('特定検索')}`);
    expect(listNumbers(byContractor.body)).toEqual([numbers[11]]);
    const none = await lister.get(`/certificates?q=${encodeURIComponent('存在しない工事')}`);
    expect(listNumbers(none.body)).toEqual([]);
    expect(none.body).toContain('条件に合う保証はありません');
  });

  it('filters by product and by status', async () => {
    const guarantees = [];
    let href: string | null = '/certificates?product=contract_guarantee';
    while (href) {
      const res = await lister.get(href);
      guarantees.push(...listNumbers(res.body));
      href = nextHref(res.body);
    }
    expect(new Set(guarantees)).toEqual(new Set(numbers.filter((_, i) => i % 3 === 0)));
    const ended = await lister.get('/certificates?status=terminated');
    expect(listNumbers(ended.body)).toEqual([numbers[5]]);
    expect(ended.body).toContain('<option value="terminated" selected="">');
    // Unknown filter values are ignored, not errors.
    expect((await lister.get('/certificates?product=nope&status=nope&after=garbage')).status).toBe(200);
  });

  it('shows only the organisation’s own verified certificates', async () => {
    const mine = listNumbers((await clerk.get('/certificates')).body);
    for (const n of numbers) expect(mine).not.toContain(n);
    expect((await tochigi.get('/certificates')).body).toContain('まだ確認済みの保証はありません');
  });
});

describe('XSS', () => {
  const evil = '<script>alert(1)</script>"><img src=x onerror=alert(1)>{{7*7}}';

  function assertEscaped(res: WebResponse, where: string) {
    expect(res.status, where).toBeLessThan(500);
    expect(res.body, where).not.toContain('<script>alert(1)</script>');
    expect(res.body, where).not.toContain('<img src=x');
    expect(res.body, where).not.toMatch(/<img[^>]*onerror/i);
    expect(res.body, where).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body, where).toContain('{{7*7}}');
  }

  it('escapes every text field of a hostile certificate on every page', async () => {
    const t = (label: string) => `${label}${evil}`;
    const cert = await verified({
      orderer: { code: '092134', name: t('発注者') },
      contractor: { name: t('請負') },
      jv: { name: t('JV'), members: [{ name: t('構成員') }] },
      work: { name: t('工事'), location: t('場所'), periodStart: '2025-12-20', periodEnd: '2026-03-31' },
      depositBank: { name: t('銀行'), branch: t('支店') },
      remarks: t('備考'),
    });
    const no = cert.contractNumber;
    await pushFollowUp(p, cert.event, 'change', { remarks: t('変更備考') });
    const pages = [
      `/certificates/${no}`,
      `/certificates/${no}/versions/1`,
      `/certificates/${no}/versions/2`,
      `/certificates/${no}/versions/2/copy`,
      `/certificates?q=${encodeURIComponent('工事<script>')}`,
      `/certificates?q=${encodeURIComponent(evil)}`,
    ];
    for (const path of pages) assertEscaped(await clerk.get(path), path);
    const frag = await clerk.get(`/certificates?q=${encodeURIComponent('工事<script>')}`, HTMX);
    assertEscaped(frag, 'list fragment');
    // A hostile 返戻 reason is escaped on the page too (and goes to the surety as plain JSON text).
    const ack = await clerk.post(
      `/certificates/${no}/acknowledgements`,
      { kind: 'returned', reason: t('理由') },
      { from: `/certificates/${no}` },
    );
    expect(ack.status).toBe(303);
    assertEscaped(await clerk.get(`/certificates/${no}`), 'page with reason');
    const bad = await clerk.post('/verify', { contractNumber: evil, authKey: evil }, { from: '/verify' });
    expect(bad.status).toBe(422);
    expect(bad.body).not.toContain('<script>alert(1)</script>');
    expect(bad.body).not.toMatch(/<img[^>]*onerror/i);
  });

  it('escapes the 変更取消 and 解約 remarks and a hostile user name wherever they appear', async () => {
    const t = (label: string) => `${label}${evil}`;
    const login = `evil-${Date.now()}`;
    await addUser(p, { login, orgCode: '092134', role: 'clerk', displayName: t('担当者') });
    const evilClerk = await client(login);
    const cert = await verified({}, evilClerk);
    const no = cert.contractNumber;
    await pushFollowUp(p, cert.event, 'change', { remarks: '変更' });
    await pushFollowUp(p, cert.event, 'change_cancel', { remarks: t('取消備考') });
    await pushFollowUp(p, cert.event, 'termination', { remarks: t('解約備考') });
    // The 受領 mark carries the hostile display name onto the page (and the header shows it too).
    const ack = await evilClerk.post(
      `/certificates/${no}/acknowledgements`,
      { kind: 'received' },
      { from: `/certificates/${no}` },
    );
    expect(ack.status).toBe(303);
    for (const path of [
      `/certificates/${no}`,
      `/certificates/${no}/versions/4`,
      `/certificates/${no}/versions/4/copy`,
    ]) {
      assertEscaped(await evilClerk.get(path), path);
    }
    // The header's account name, on a page with no certificate text at all.
    assertEscaped(await evilClerk.get('/account'), '/account');
  });
});

describe('受領 / 返戻', () => {
  it('records 受領 and 返戻 (303 back), keeps every mark, shows the latest', async () => {
    const cert = await verified();
    const path = `/certificates/${cert.contractNumber}`;
    const received = await clerk.post(`${path}/acknowledgements`, { kind: 'received' }, { from: path });
    expect(received.status).toBe(303);
    expect(received.headers.get('location')).toBe(`${path}?ack=received#ack-panel`);
    const after = await clerk.get(`${path}?ack=received`);
    expect(after.body).toContain('受領を記録しました');
    expect(after.body).toMatch(/現在の状態：<strong>受領<\/strong>/);

    const returned = await clerk.post(
      `${path}/acknowledgements`,
      { kind: 'returned', reason: '  保証金額が契約書と一致しません  ' },
      { from: path },
    );
    expect(returned.status).toBe(303);
    const page = await clerk.get(path);
    expect(page.body).toMatch(/現在の状態：<strong>返戻<\/strong>/);
    expect(page.body).toContain('理由：保証金額が契約書と一致しません）');
    expect(page.body).toContain('<caption>受領・返戻の記録（新しい順）</caption>');
    const rows = await db()
      .selectFrom('acknowledgements')
      .selectAll()
      .where('contract_number', '=', cert.contractNumber)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.kind, r.reason, r.org_code, r.user_id])).toEqual([
      ['received', null, '092134', users.clerk],
      ['returned', '保証金額が契約書と一致しません', '092134', users.clerk],
    ]);
    const events = await db()
      .selectFrom('access_events')
      .select(['outcome', 'target'])
      .where('action', '=', 'certificate.acknowledge')
      .where('target', '=', cert.contractNumber)
      .execute();
    expect(events.map((e) => e.outcome)).toEqual(['received', 'returned']);
    // Marks are append-only in the database as well.
    await expect(db().deleteFrom('acknowledgements').where('id', '=', rows[0]!.id).execute()).rejects.toThrow(
      /append-only/,
    );
  });

  it('re-renders with 422 when the 返戻 reason is missing, too long or has control characters', async () => {
    const cert = await verified();
    const path = `/certificates/${cert.contractNumber}`;
    const missing = await clerk.post(
      `${path}/acknowledgements`,
      { kind: 'returned', reason: '   ' },
      { from: path },
    );
    expect(missing.status).toBe(422);
    expect(missing.body.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(missing.body).toContain('返戻の理由を入力してください。');
    expect(missing.body).toContain('aria-invalid="true"');
    const long = await clerk.post(
      `${path}/acknowledgements`,
      { kind: 'returned', reason: 'あ'.repeat(501) },
      { from: path },
    );
    expect(long.status).toBe(422);
    expect(long.body).toContain('500文字以内');
    const control = await clerk.post(
      `${path}/acknowledgements`,
      { kind: 'returned', reason: '理由\u0007です' },
      { from: path },
    );
    expect(control.status).toBe(422);
    const htmx = await clerk.post(
      `${path}/acknowledgements`,
      { kind: 'returned', reason: '' },
      { from: path, headers: HTMX },
    );
    expect(htmx.status).toBe(422);
    expect(htmx.body.startsWith('<section id="ack-panel"')).toBe(true);
    const ok = await clerk.post(
      `${path}/acknowledgements`,
      { kind: 'received' },
      { from: path, headers: HTMX },
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('受領を記録しました');
    const count = await db()
      .selectFrom('acknowledgements')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('contract_number', '=', cert.contractNumber)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('is for clerks and admins of the owning organisation only', async () => {
    const cert = await verified();
    const path = `/certificates/${cert.contractNumber}`;
    const token = await auditor.csrf(path);
    const byAuditor = await auditor.post(`${path}/acknowledgements`, { kind: 'received' }, { csrf: token });
    expect(byAuditor.status).toBe(403);
    expect((await auditor.get(path)).body).not.toContain('受領を記録する');
    const byOther = await tochigi.post(
      `${path}/acknowledgements`,
      { kind: 'received' },
      { from: '/certificates' },
    );
    expect(byOther.status).toBe(404);
  });
});

describe('GET /api/v1/acknowledgements', () => {
  it('gives the surety the marks on its own certificates, oldest first, with a cursor', async () => {
    const start = await fetch(`${p.url}/api/v1/acknowledgements`, {
      headers: { authorization: `Bearer ${await p.surety.bearer()}` },
    });
    expect(start.status).toBe(200);
    const initial = (await start.json()) as { acknowledgements: { id: number }[]; next: string };

    const own = await verified();
    const other = await verified({}, clerk, p.otherSurety);
    const ownPath = `/certificates/${own.contractNumber}`;
    const token = await clerk.csrf(ownPath);
    for (let i = 0; i < 104; i++) {
      const kind = i % 2 === 0 ? 'received' : 'returned';
      const r = await clerk.post(
        `${ownPath}/acknowledgements`,
        { kind, reason: kind === 'returned' ? `理由${i}` : '' },
        { csrf: token },
      );
      expect(r.status).toBe(303);
    }
    await clerk.post(
      `/certificates/${other.contractNumber}/acknowledgements`,
      { kind: 'received' },
      { csrf: token },
    );

    type Page = {
      acknowledgements: {
        id: number;
        contractNumber: string;
        ordererCode: string;
        kind: string;
        reason: string | null;
        at: string;
      }[];
      next: string;
    };
    const read = async (since: string, surety = p.surety) => {
      const res = await fetch(`${p.url}/api/v1/acknowledgements?since=${since}`, {
        headers: { authorization: `Bearer ${await surety.bearer()}`, 'x-request-id': `ack-read-${since}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      return (await res.json()) as Page;
    };
    const first = await read(initial.next);
    expect(first.acknowledgements).toHaveLength(100);
    const second = await read(first.next);
    expect(second.acknowledgements.length).toBeGreaterThanOrEqual(4);
    const all = [...first.acknowledgements, ...second.acknowledgements].filter(
      (a) => a.contractNumber === own.contractNumber,
    );
    expect(all).toHaveLength(104);
    const ids = [...first.acknowledgements, ...second.acknowledgements].map((a) => a.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(all[0]).toMatchObject({ ordererCode: '092134', kind: 'received', reason: null });
    expect(all[1]).toMatchObject({ kind: 'returned', reason: '理由1' });
    expect(all[0]!.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // Only this surety's certificates.
    expect(
      [...first.acknowledgements, ...second.acknowledgements].some(
        (a) => a.contractNumber === other.contractNumber,
      ),
    ).toBe(false);
    const empty = await read(second.next);
    expect(empty).toEqual({ acknowledgements: [], next: second.next });
    // The other surety sees its own mark and nothing else.
    const theirs = await read('0', p.otherSurety);
    expect(theirs.acknowledgements.map((a) => a.contractNumber)).toEqual([other.contractNumber]);
    // Each read is an access event.
    const reads = await db()
      .selectFrom('access_events')
      .selectAll()
      .where('action', '=', 'api.acknowledgements.read')
      .where('request_id', '=', `ack-read-${first.next}`)
      .execute();
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ outcome: 'success', actor: `surety:${p.surety.code}` });
  });

  it('refuses a bad cursor (400 problem) and a missing bearer (401)', async () => {
    for (const since of ['abc', '-1', '1.5', '01', '9999999999999999']) {
      const res = await fetch(`${p.url}/api/v1/acknowledgements?since=${encodeURIComponent(since)}`, {
        headers: { authorization: `Bearer ${await p.surety.bearer()}` },
      });
      expect(res.status, since).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { type: string }).type).toBe('urn:densho:error:bad-cursor');
    }
    const anon = await fetch(`${p.url}/api/v1/acknowledgements`);
    expect(anon.status).toBe(401);
  });
});
