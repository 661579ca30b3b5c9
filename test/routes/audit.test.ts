// The auditor console over real HTTP + SQLite: every page full and as its htmx fragment; roles (clerks 403, the
// platform sees all, an organisation's auditor only its scope — by URL, filter, detail page, export and fragment);
// keyset paging that neither skips nor repeats while events arrive; CSV (BOM, Japanese + English header, RFC 4180,
// formula guard) and JSON Lines exports read back independently; earlier checkpoints checked for signature and
// consistency; and every query and export itself in the access log.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64 } from '../../src/domain/bytes.ts';
import { checkpointBody, noteKeyId, signNote } from '../../src/domain/checkpoint.ts';
import { nodeEd25519Signer } from '../../src/platform/node/signing.ts';
import type { AccessEventInput } from '../../src/services/access-log.ts';
import { ed25519PublicBytes } from '../../src/services/platform-keys.ts';
import {
  CsvParser,
  ensurePlatformOrg,
  eventIndexes,
  jstToday,
  moreHref,
  PLATFORM_ORG,
  parseCsv,
  recordEvents,
} from '../helpers/audit.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { csrfFrom, WebClient as SessionClient, TEST_PASSWORD } from '../helpers/web.ts';
import { addUser, HTMX, type Pushed, pushIssue, WebClient } from '../helpers/web-certs.ts';

let p: TestPlatform;
const ids: Record<string, number> = {};
const clients: Record<string, WebClient> = {};
let nasuCert: Pushed;
let tochigiCert: Pushed;

const db = () => p.server.runtime.database.db;

async function client(login: string): Promise<WebClient> {
  const w = new WebClient(p.url, `densho-test ${login}`);
  await w.login(login);
  return w;
}

/** Every index an auditor sees for a query, following the "next" links to the end. */
async function allIndexes(
  w: WebClient,
  path: string,
  headers: Record<string, string> = {},
): Promise<number[]> {
  const out: number[] = [];
  let next: string | null = path;
  while (next) {
    const res = await w.get(next, headers);
    expect(res.status).toBe(200);
    out.push(...eventIndexes(res.body));
    next = moreHref(res.body);
  }
  return out;
}

/** The indexes an organisation's auditor may see, computed from the tables independently of the app. */
async function scopeOf(orgCode: string): Promise<number[]> {
  const certs = (
    await db()
      .selectFrom('certificates')
      .select('contract_number')
      .where('orderer_code', '=', orgCode)
      .execute()
  ).map((r) => r.contract_number);
  const rows = await db().selectFrom('access_events').select(['log_index', 'org_code', 'target']).execute();
  return rows
    .filter((r) => r.org_code === orgCode || (r.target !== null && certs.includes(r.target)))
    .map((r) => r.log_index)
    .sort((a, b) => b - a);
}

async function auditEvents(
  userId: number,
): Promise<{ action: string; outcome: string; detail: string | null }[]> {
  return db()
    .selectFrom('access_events')
    .select(['action', 'outcome', 'detail'])
    .where('actor', '=', `user:${userId}`)
    .where('action', 'like', 'audit.%')
    .orderBy('log_index')
    .execute();
}

function ev(over: Partial<AccessEventInput> & { action: string }): AccessEventInput {
  return { outcome: 'success', actor: null, ...over };
}

beforeAll(async () => {
  p = await startTestPlatform();
  await ensurePlatformOrg(p);
  for (const [login, orgCode, role] of [
    ['pa', PLATFORM_ORG, 'auditor'],
    ['nasu-aud', '092134', 'auditor'],
    ['nasu-admin', '092134', 'admin'],
    ['nasu-clerk', '092134', 'clerk'],
    ['tochigi-aud', '090000', 'auditor'],
    ['tochigi-clerk', '090000', 'clerk'],
  ] as const) {
    ids[login] = await addUser(p, { orgCode, login, role, displayName: `${login} さん` });
  }
  nasuCert = await pushIssue(p);
  tochigiCert = await pushIssue(p, { orderer: { code: '090000', name: '栃木県知事' } });
  await recordEvents(p, [
    ev({
      action: 'certificate.view',
      actor: `user:${ids['nasu-clerk']}`,
      orgCode: '092134',
      target: nasuCert.contractNumber,
      ip: '192.0.2.10',
    }),
    ev({
      action: 'certificate.verify',
      outcome: 'wrong_key',
      actor: `user:${ids['nasu-clerk']}`,
      orgCode: '092134',
      target: nasuCert.contractNumber,
      ip: '192.0.2.10',
    }),
    // 栃木's clerk tries 那須塩原's number: about 那須塩原's certificate, so both organisations see it.
    ev({
      action: 'certificate.verify',
      outcome: 'foreign_org',
      actor: `user:${ids['tochigi-clerk']}`,
      orgCode: '090000',
      target: nasuCert.contractNumber,
      ip: '198.51.100.7',
    }),
    ev({
      action: 'certificate.view',
      actor: `user:${ids['tochigi-clerk']}`,
      orgCode: '090000',
      target: tochigiCert.contractNumber,
      ip: '198.51.100.7',
    }),
    ev({
      action: 'verify.lock',
      outcome: 'locked',
      actor: `user:${ids['tochigi-clerk']}`,
      orgCode: '090000',
      target: tochigiCert.contractNumber,
      ip: '198.51.100.7',
    }),
    ev({ action: 'admin.org.add', outcome: 'ok', actor: 'operator:root' }),
  ]);
  for (const login of ['pa', 'nasu-aud', 'nasu-admin', 'nasu-clerk', 'tochigi-aud'])
    clients[login] = await client(login);
});

afterAll(async () => {
  await p?.close();
});

describe('roles', () => {
  it('clerks get 403 on every page, export and the access log API', async () => {
    for (const path of [
      '/audit',
      '/audit/events',
      '/audit/events/0',
      '/audit/events.csv',
      '/audit/events.jsonl',
      '/audit/integrity',
      '/audit/log/access/checkpoint',
    ]) {
      const res = await clients['nasu-clerk']!.get(path);
      expect(res.status, path).toBe(403);
      expect(res.body).toContain('このページを表示する権限がありません');
    }
    const post = await clients['nasu-clerk']!.post(
      '/audit/integrity/check',
      { note: 'x' },
      { from: '/certificates' },
    );
    expect(post.status).toBe(403);
  });

  it('without a session every page redirects to the login', async () => {
    const anon = new WebClient(p.url);
    const res = await anon.get('/audit/events?action=auth.login');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Faudit%2Fevents%3Faction%3Dauth.login');
  });

  it('auditors and admins may open the console', async () => {
    for (const login of ['pa', 'nasu-aud', 'nasu-admin', 'tochigi-aud']) {
      expect((await clients[login]!.get('/audit')).status, login).toBe(200);
    }
  });
});

describe('pages: full and htmx fragment', () => {
  it('/audit', async () => {
    const full = await clients.pa!.get('/audit');
    expect(full.body.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(full.body).toContain('<title>監査 概要 — 電証</title>');
    expect(full.body).toMatch(/<svg[^>]+role="img"[^>]+aria-labelledby="audit-chart-title audit-chart-desc"/);
    expect(full.body).toContain('<title id="audit-chart-title">');
    expect(full.body).toContain('<desc id="audit-chart-desc">');
    expect(full.body).toContain('日別のアクセスイベント件数（日本時間）'); // the data table
    expect(full.headers.get('vary')).toMatch(/HX-Request/);
    // 30 days by default: 30 bars, today's holds this run's events.
    expect([...full.body.matchAll(/<rect class="audit-chart__bar"/g)]).toHaveLength(30);
    expect(full.body).toContain(`${jstToday().replaceAll('-', '/')}：`);
    const frag = await clients.pa!.get('/audit?period=7', HTMX);
    expect(frag.body.startsWith('<div id="audit-dashboard"')).toBe(true);
    expect(frag.body).not.toContain('<html');
    expect([...frag.body.matchAll(/<rect class="audit-chart__bar"/g)]).toHaveLength(7);
    // recent failures and locks, and the integrity table
    expect(frag.body).toContain('他の発注者の保証');
    expect(frag.body).toContain('ロック');
    expect(frag.body).toContain('最新チェックポイントの大きさ');
  });

  it('/audit counts, from the per-day rollup, exactly the events of the viewer’s scope', async () => {
    for (const [login, orgCode] of [
      ['pa', null],
      ['nasu-aud', '092134'],
      ['tochigi-aud', '090000'],
    ] as const) {
      const page = await clients[login]!.get('/audit');
      // Counted after the page: the page's own audit.query is in the log (and in the count) before it renders.
      const expected =
        orgCode === null
          ? (await db().selectFrom('access_events').select('log_index').execute()).length
          : (await scopeOf(orgCode)).length;
      const total = /合計 ([\d,]+) 件）/.exec(page.body)?.[1];
      expect(Number(total?.replaceAll(',', '')), login).toBe(expected);
    }
  });

  it('/audit/events/:index checks a retained IP against the leaf’s net, and says nothing once it is cleared', async () => {
    const [i] = await recordEvents(p, [
      ev({ action: 'test.ip-check', actor: 'user:1', orgCode: '092134', ip: '198.51.100.7' }),
    ]);
    const ok = await clients.pa!.get(`/audit/events/${i}`);
    expect(ok.body).toContain('保存されている IP アドレスから計算した HMAC は、リーフの net と一致します。');
    const sqlite = p.server.runtime.database.sqlite;
    const guard = (
      sqlite
        .prepare("SELECT sql FROM sqlite_master WHERE name = 'access_events_leaf_fields_frozen'")
        .get() as { sql: string }
    ).sql;
    sqlite.exec('DROP TRIGGER access_events_leaf_fields_frozen');
    try {
      sqlite.prepare("UPDATE access_events SET ip = '198.51.100.8' WHERE log_index = ?").run(i);
    } finally {
      sqlite.exec(guard);
    }
    const changed = await clients.pa!.get(`/audit/events/${i}`);
    expect(changed.body).toContain('保存されている IP アドレスがリーフの net と一致しません。');
    sqlite.prepare('UPDATE access_events SET ip = NULL WHERE log_index = ?').run(i); // what retention does
    const cleared = await clients.pa!.get(`/audit/events/${i}`);
    expect(cleared.body).not.toContain('リーフの net と一致');
    expect(cleared.body).toContain('保存期間を過ぎたため削除済み、または記録なし');
  });

  it('/audit/events', async () => {
    const full = await clients.pa!.get('/audit/events');
    expect(full.status).toBe(200);
    expect(full.body.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(full.body).toContain('role="search"');
    const frag = await clients.pa!.get('/audit/events?action=certificate.view', HTMX);
    expect(frag.body.startsWith('<div id="audit-results"')).toBe(true);
    expect(eventIndexes(frag.body).length).toBe(2);
  });

  it('/audit/events/:index', async () => {
    const [i] = await recordEvents(p, [
      ev({
        action: 'certificate.view',
        actor: 'user:1',
        orgCode: '092134',
        target: nasuCert.contractNumber,
        ip: '203.0.113.5',
        userAgent: 'Mozilla/5.0 テスト',
      }),
    ]);
    const full = await clients.pa!.get(`/audit/events/${i}`);
    expect(full.status).toBe(200);
    expect(full.body).toContain(`アクセスイベント ログ番号 ${i}`);
    expect(full.body).toContain('densho/access/v1');
    expect(full.body).toContain('203.0.113.5');
    expect(full.body).toContain('Mozilla/5.0 テスト');
    // three checks, all passing, in words
    // leaf = row, the retained IP = net, checkpoint signature, inclusion proof
    expect([...full.body.matchAll(/<strong class="audit-check__word">検証成功<\/strong>/g)]).toHaveLength(4);
    expect(full.body).not.toContain('検証失敗');
    const frag = await clients.pa!.get(`/audit/events/${i}`, HTMX);
    expect(frag.body.startsWith('<div id="audit-event"')).toBe(true);
    expect((await clients.pa!.get('/audit/events/999999')).status).toBe(404);
    expect((await clients.pa!.get('/audit/events/01')).status).toBe(404);
    expect((await clients.pa!.get('/audit/events/-1')).status).toBe(404);
  });

  it('/audit/integrity', async () => {
    const full = await clients['nasu-aud']!.get('/audit/integrity');
    expect(full.body).toContain('<title>ログの完全性 — 電証</title>');
    expect(full.body).toContain(p.server.runtime.logs.access.latestCheckpoint.note.split('\n')[0]!);
    // organisations' auditors check checkpoints but do not start server-wide recomputes
    expect(full.body).not.toContain('action="/audit/integrity/recompute"');
    const frag = await clients['nasu-aud']!.get('/audit/integrity', HTMX);
    expect(frag.body.startsWith('<div id="audit-integrity"')).toBe(true);
    const pa = await clients.pa!.get('/audit/integrity');
    expect(pa.body).toContain('action="/audit/integrity/recompute"');
  });
});

describe('an organisation sees its scope only', () => {
  it('the list shows exactly its users’ events and events about its certificates', async () => {
    // Each page view is itself an event of the organisation (above page 1's cursor): compare up to page 1's top.
    const seen = await allIndexes(clients['nasu-aud']!, '/audit/events');
    expect(seen).toEqual((await scopeOf('092134')).filter((i) => i <= seen[0]!));
    const seenT = await allIndexes(clients['tochigi-aud']!, '/audit/events');
    expect(seenT).toEqual((await scopeOf('090000')).filter((i) => i <= seenT[0]!));
    // The foreign attempt on 那須塩原's number is in both; the operator's action in neither.
    const foreign = await db()
      .selectFrom('access_events')
      .select('log_index')
      .where('outcome', '=', 'foreign_org')
      .executeTakeFirstOrThrow();
    expect(seen).toContain(foreign.log_index);
    expect(seenT).toContain(foreign.log_index);
    const op = await db()
      .selectFrom('access_events')
      .select('log_index')
      .where('actor', '=', 'operator:root')
      .executeTakeFirstOrThrow();
    expect(seen).not.toContain(op.log_index);
    // the platform sees everything
    const all = await allIndexes(clients.pa!, '/audit/events');
    expect(all).toContain(op.log_index);
  });

  it('filters cannot widen it (organisation, user, contract number, IP), in pages and fragments', async () => {
    const w = clients['nasu-aud']!;
    const scope = async () => new Set(await scopeOf('092134'));
    for (const q of [
      'org=090000',
      'user=tochigi-clerk',
      `user=user:${ids['tochigi-clerk']}`,
      `target=${tochigiCert.contractNumber}`,
      'ip=198.51.100.7',
      'action=verify.lock',
      'outcome=locked',
    ]) {
      for (const headers of [{}, HTMX]) {
        const got = await allIndexes(w, `/audit/events?${q}`, headers);
        const allowed = await scope();
        for (const i of got) expect(allowed.has(i), `${q}: ${i}`).toBe(true);
      }
    }
    // 栃木's clerk, filtered by 那須塩原: only the attempt on 那須塩原's number.
    const t = await allIndexes(w, '/audit/events?user=tochigi-clerk');
    expect(t).toHaveLength(1);
    // the platform auditor's organisation filter does work
    const byOrg = await allIndexes(clients.pa!, '/audit/events?org=090000');
    expect(byOrg.length).toBeGreaterThanOrEqual(3);
  });

  it('a detail page outside the scope is 404 (page and fragment); inside it is shown', async () => {
    const lock = await db()
      .selectFrom('access_events')
      .select('log_index')
      .where('action', '=', 'verify.lock')
      .executeTakeFirstOrThrow();
    expect((await clients['nasu-aud']!.get(`/audit/events/${lock.log_index}`)).status).toBe(404);
    expect((await clients['nasu-aud']!.get(`/audit/events/${lock.log_index}`, HTMX)).status).toBe(404);
    expect((await clients['nasu-admin']!.get(`/audit/events/${lock.log_index}`)).status).toBe(404);
    expect((await clients['tochigi-aud']!.get(`/audit/events/${lock.log_index}`)).status).toBe(200);
    // the out-of-scope probe is itself recorded, as not_found
    const mine = await auditEvents(ids['nasu-aud']!);
    expect(
      mine.some((e) => e.outcome === 'not_found' && e.detail?.includes(`"index":${lock.log_index}`)),
    ).toBe(true);
  });

  it('exports carry the scope only', async () => {
    const csv = await clients['nasu-aud']!.get('/audit/events.csv?org=090000');
    const jsonl = await clients['nasu-aud']!.get('/audit/events.jsonl');
    const scope = new Set(await scopeOf('092134'));
    const rows = parseCsv(csv.body).slice(1); // (text() has already dropped the BOM)
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(scope.has(Number(r[0]))).toBe(true);
    const lines = jsonl.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { logIndex: number });
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(scope.has(l.logIndex)).toBe(true);
  });

  it('the access log API is the platform’s only', async () => {
    expect((await clients['nasu-aud']!.get('/audit/log/access/checkpoint')).status).toBe(403);
    const res = await clients.pa!.get('/audit/log/access/checkpoint');
    expect(res.status).toBe(200);
    expect(res.body).toBe(p.server.runtime.logs.access.latestCheckpoint.note.length > 0 ? res.body : '');
    expect(res.body.split('\n')[0]).toBe(p.server.runtime.logs.access.origin);
    const proof = await clients.pa!.get('/audit/log/access/proof/inclusion?index=0&size=1');
    expect(proof.status).toBe(200);
    expect(proof.headers.get('cache-control')).toMatch(/^private/);
    const vkey = await clients.pa!.get('/audit/log/access/vkey');
    expect(vkey.body.trim()).toBe(p.server.runtime.logs.access.vkey);
  });
});

describe('keyset paging', () => {
  it('never skips or repeats a row while new events arrive between pages', async () => {
    const action = 'test.paging';
    const first = await recordEvents(
      p,
      Array.from({ length: 130 }, (_, i) =>
        ev({ action, actor: `user:${ids['nasu-clerk']}`, orgCode: '092134', detail: { i } }),
      ),
    );
    const w = clients.pa!;
    const seen: number[] = [];
    let next: string | null = `/audit/events?action=${action}`;
    let pages = 0;
    while (next) {
      const res = await w.get(next, pages === 0 ? {} : HTMX);
      seen.push(...eventIndexes(res.body));
      next = moreHref(res.body);
      pages++;
      // new matching events land while the auditor pages: they are above page 1 and never show up below
      await recordEvents(
        p,
        Array.from({ length: 7 }, () => ev({ action, orgCode: '092134' })),
      );
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...first].sort((a, b) => b - a));
    // unfiltered (the organisation's view): consecutive pages cover a contiguous, strictly decreasing run
    const org = await allIndexes(clients['nasu-aud']!, '/audit/events');
    expect(new Set(org).size).toBe(org.length);
    for (let i = 1; i < org.length; i++) expect(org[i]!).toBeLessThan(org[i - 1]!);
    const pa = await allIndexes(clients.pa!, '/audit/events');
    expect(pa[pa.length - 1]).toBe(0);
    for (let i = 1; i < pa.length; i++) expect(pa[i]!).toBe(pa[i - 1]! - 1);
  });

  it('the "more" link works without JS (a full page) and as a fragment of rows', async () => {
    const page1 = await clients.pa!.get('/audit/events?action=test.paging');
    const href = moreHref(page1.body)!;
    expect(href).toMatch(/^\/audit\/events\?action=test\.paging&before=\d+$/);
    const full = await clients.pa!.get(href);
    expect(full.body.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(full.body).toContain('（続き）');
    const frag = await clients.pa!.get(href, HTMX);
    expect(frag.body.startsWith('<tr>')).toBe(true);
    expect(eventIndexes(frag.body)).toEqual(eventIndexes(full.body));
  });
});

describe('filters', () => {
  it('period (JST dates), user, action, outcome, contract number and IP', async () => {
    const w = clients.pa!;
    const today = jstToday();
    const inPeriod = await allIndexes(w, `/audit/events?from=${today}&to=${today}&action=certificate.verify`);
    expect(inPeriod.length).toBe(2);
    expect(await allIndexes(w, '/audit/events?from=2000-01-01&to=2000-01-31')).toEqual([]);
    expect(await allIndexes(w, '/audit/events?ip=198.51.100.7')).toHaveLength(3);
    // The surety's push of the certificate (api.certificate.push) and the two clerk events on it.
    expect(await allIndexes(w, `/audit/events?target=${tochigiCert.contractNumber}`)).toHaveLength(3);
    expect(await allIndexes(w, '/audit/events?user=tochigi-clerk&outcome=locked')).toHaveLength(1);
    expect(await allIndexes(w, '/audit/events?user=nobody-here')).toEqual([]);
  });

  it('invalid input re-renders the form with the errors and 422', async () => {
    const res = await clients.pa!.get('/audit/events?from=2025-02-30&to=x');
    expect(res.status).toBe(422);
    expect(res.body).toContain('error-summary');
    expect(res.body).toContain('href="#f-from"');
    expect(res.body).toContain('value="2025-02-30"');
    const order = await clients.pa!.get('/audit/events?from=2025-03-02&to=2025-03-01', HTMX);
    expect(order.status).toBe(422);
    expect(order.body).toContain('終了日は開始日と同じか');
    expect((await clients.pa!.get('/audit/events.csv?from=nope')).status).toBe(422);
  });
});

describe('exports', () => {
  const nasty = [
    '=HYPERLINK("http://evil.example/","click")',
    '+SUM(1,2)',
    '-2+3',
    '@cmd',
    'comma, "quote" and\nnewline',
    '電子保証 確認、"引用"\r\n次の行',
  ];
  let indexes: number[] = [];

  beforeAll(async () => {
    indexes = await recordEvents(
      p,
      nasty.map((ua, i) =>
        ev({
          action: 'test.export',
          actor: `user:${ids['nasu-clerk']}`,
          orgCode: '092134',
          userAgent: ua,
          target: i === 0 ? '=1+1' : null,
          detail: { note: ua },
        }),
      ),
    );
  });

  it('CSV: BOM, Japanese + English header, RFC 4180 round trip, formula guard', async () => {
    const raw = new SessionClient(p.url);
    await raw.login('pa', TEST_PASSWORD);
    const res = await raw.get('/audit/events.csv?action=test.export');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="densho-access-\d{14}\.csv"$/,
    );
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain('\r\n');
    const rows = parseCsv(text.slice(1));
    const header = rows[0]!;
    expect(header[0]).toBe('ログ番号 (log_index)');
    expect(header).toContain('ユーザーエージェント (user_agent)');
    expect(header).toContain('日時（日本時間） (at_jst)');
    const body = rows.slice(1);
    expect(body.map((r) => Number(r[0]))).toEqual([...indexes].sort((a, b) => b - a));
    const ua = header.indexOf('ユーザーエージェント (user_agent)');
    const byIndex = new Map(body.map((r) => [Number(r[0]), r]));
    nasty.forEach((text, i) => {
      const cell = byIndex.get(indexes[i]!)![ua]!;
      expect(cell).toBe(/^[=+\-@]/.test(text) ? `'${text}` : text);
    });
    const target = header.indexOf('保証契約番号 (target)');
    expect(byIndex.get(indexes[0]!)![target]).toBe("'=1+1");
    // every row has every column
    for (const r of body) expect(r).toHaveLength(header.length);
  });

  it('JSON Lines: one event per line, detail as JSON, no guard needed', async () => {
    const res = await clients.pa!.get('/audit/events.jsonl?action=test.export');
    expect(res.headers.get('content-type')).toBe('application/jsonl; charset=utf-8');
    const lines = res.body.split('\n');
    expect(lines.pop()).toBe('');
    const recs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.map((r) => r.logIndex)).toEqual([...indexes].sort((a, b) => b - a));
    const first = recs.find((r) => r.logIndex === indexes[0])!;
    expect(first.userAgent).toBe(nasty[0]);
    expect(first.detail).toEqual({ note: nasty[0] });
    expect(first.action).toBe('test.export');
    expect(typeof first.at).toBe('string');
  });

  it('streams through the parser chunk by chunk: every event that existed when the export started', async () => {
    const raw = new SessionClient(p.url);
    await raw.login('pa', TEST_PASSWORD);
    const res = await raw.get('/audit/events.csv');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const seen: number[] = [];
    let chunks = 0;
    const parser = new CsvParser((r) => seen.push(Number(r[0])));
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks++;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.end();
    const exportEvent = await db()
      .selectFrom('access_events')
      .select('log_index')
      .where('action', '=', 'audit.export')
      .orderBy('log_index', 'desc')
      .executeTakeFirstOrThrow();
    // header, then every index below the export's own event, newest first
    expect(seen.length - 1).toBe(exportEvent.log_index);
    expect(seen.slice(1)).toEqual(
      Array.from({ length: exportEvent.log_index }, (_, i) => exportEvent.log_index - 1 - i),
    );
    expect(chunks).toBeGreaterThanOrEqual(1);
  });
});

describe('earlier checkpoints', () => {
  let older: string;

  beforeAll(async () => {
    older = p.server.runtime.logs.certs.latestCheckpoint.note;
    await pushIssue(p);
  });

  async function check(note: string, htmx = true) {
    const w = clients['nasu-aud']!;
    return w.post(
      '/audit/integrity/check',
      { note },
      { from: '/audit/integrity', headers: htmx ? HTMX : {} },
    );
  }

  it('accepts a genuine older checkpoint (with CRLF line ends as a textarea sends them)', async () => {
    const res = await check(older.replaceAll('\n', '\r\n'));
    expect(res.status).toBe(200);
    expect(res.body.startsWith('<div id="checkpoint-result"')).toBe(true);
    expect([...res.body.matchAll(/検証成功/g)].length).toBe(2);
    expect(res.body).toContain('整合性証明');
    const full = await check(older, false);
    expect(full.body.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(full.body).toContain('整合性証明');
  });

  it('accepts the access log’s current checkpoint, uploaded as a file', async () => {
    const raw = new SessionClient(p.url);
    await raw.login('nasu-aud', TEST_PASSWORD);
    const csrf = csrfFrom(await raw.page('/audit/integrity'));
    const form = new FormData();
    form.set('_csrf', csrf);
    form.set('note', '');
    form.set('file', new Blob([p.server.runtime.logs.access.latestCheckpoint.note]), 'checkpoint.txt');
    const res = await fetch(`${p.url}/audit/integrity/check`, {
      method: 'POST',
      headers: { origin: p.url, cookie: `densho_session=${raw.session}`, ...HTMX },
      body: form,
    });
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toContain('アクセスログ');
    expect(body).toContain('検証成功');
  });

  it('rejects a forged one (root changed: the signature fails)', async () => {
    const lines = older.split('\n');
    const root = fromBase64(lines[2]!);
    root[0]! ^= 1;
    lines[2] = Buffer.from(root).toString('base64');
    const res = await check(lines.join('\n'));
    expect(res.body).toContain('検証失敗');
    expect(res.body).toContain('偽造');
  });

  it('rejects a correctly signed checkpoint that is not consistent with today’s tree (a fork)', async () => {
    // Signed with the platform's own note key: what a compromised operator could show one auditor.
    const jwk = JSON.parse(readFileSync(join(p.dataDir, 'keys', 'note.jwk'), 'utf8')) as JsonWebKey;
    const log = p.server.runtime.logs.certs;
    const size = older.split('\n')[1]!;
    const signer = {
      name: log.origin,
      keyId: noteKeyId(log.origin, ed25519PublicBytes(jwk)),
      sign: nodeEd25519Signer(jwk),
    };
    const forkRoot = new Uint8Array(32).fill(7);
    const fork = await signNote(checkpointBody(log.origin, Number(size), forkRoot), signer);
    const res = await check(fork);
    expect(res.body).toContain('検証失敗');
    expect(res.body).toContain('整合しません');
    const ahead = await signNote(checkpointBody(log.origin, log.size + 10, forkRoot), signer);
    expect((await check(ahead)).body).toContain('より大きい値');
  });

  it('says what is wrong with other input', async () => {
    expect((await check('')).status).toBe(422);
    expect((await check('hello\n')).body).toContain('チェックポイントの形式ではありません');
    const other = older.replace(p.server.runtime.logs.certs.origin, 'example.com/log');
    expect((await check(other)).body).toContain('このプラットフォームのログではありません');
    const csrfless = await clients['nasu-aud']!.post(
      '/audit/integrity/check',
      { note: older },
      { csrf: null },
    );
    expect(csrfless.status).toBe(403);
  });
});

describe('the console’s own trail', () => {
  it('every query and export is an access event, recorded before it was served', async () => {
    const w = await client('nasu-admin');
    const before = (await auditEvents(ids['nasu-admin']!)).length;
    await w.get('/audit');
    await w.get('/audit/events?action=certificate.view');
    await w.get('/audit/events.csv?action=certificate.view');
    await w.get('/audit/events.jsonl');
    await w.get('/audit/integrity');
    const list = await auditEvents(ids['nasu-admin']!);
    const added = list.slice(before);
    expect(added.map((e) => e.action)).toEqual([
      'audit.query',
      'audit.query',
      'audit.export',
      'audit.export',
      'audit.query',
    ]);
    expect(JSON.parse(added[1]!.detail!)).toMatchObject({
      view: 'events',
      filters: { action: 'certificate.view' },
    });
    expect(JSON.parse(added[2]!.detail!)).toMatchObject({
      format: 'csv',
      filters: { action: 'certificate.view' },
    });
    // the organisation's auditor sees its admin's queries in its own list
    const seen = await allIndexes(clients['nasu-aud']!, '/audit/events?action=audit.export');
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });
});
