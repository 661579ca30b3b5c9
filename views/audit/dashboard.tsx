// 監査 概要 (/audit): events per JST day as a server-rendered SVG bar chart (no script; <title>/<desc> name it, and
// the same numbers are in a table), counts by outcome, recent failures and locks, and the integrity of both logs.
// The period form is a plain GET; htmx swaps only #audit-dashboard.
import { raw } from 'hono/html';
import type { FC } from 'hono/jsx';
import type { Dashboard, DayCount, LogStatus } from '../../src/services/audit-dashboard.ts';
import { PERIODS } from '../../src/services/audit-dashboard.ts';
import { EMPTY_FILTERS, type EventItem } from '../../src/services/audit-events.ts';
import { LOG_LABELS } from '../../src/services/audit-integrity.ts';
import type { SessionUser } from '../../src/services/sessions.ts';
import { escapeHtml } from '../escape.ts';
import { Layout } from '../layout.tsx';
import {
  AuditNav,
  AuditStyles,
  actionLabel,
  eventHref,
  eventsHref,
  formatJst,
  OutcomeBadge,
  outcomeLabel,
} from './parts.tsx';

export const DASHBOARD_TITLE = '監査 概要';

const W = 720;
const H = 240;
const LEFT = 52;
const BOTTOM = 28;
const TOP = 12;

/** A round axis maximum ≥ n: 1, 2, 5 × 10^k. */
function niceMax(n: number): number {
  if (n <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

function shortDate(date: string): string {
  return `${Number(date.slice(5, 7))}/${Number(date.slice(8, 10))}`;
}

function longDate(date: string): string {
  return date.replaceAll('-', '/');
}

const BarChart: FC<{ days: DayCount[]; total: number; from: string; to: string }> = ({
  days,
  total,
  from,
  to,
}) => {
  const max = niceMax(Math.max(0, ...days.map((d) => d.count)));
  const plotW = W - LEFT - 8;
  const plotH = H - TOP - BOTTOM;
  const step = plotW / days.length;
  const barW = Math.max(1, step * 0.7);
  const labelEvery = days.length <= 7 ? 1 : days.length <= 31 ? 5 : 15;
  const peak = days.reduce((a, d) => (d.count > a.count ? d : a), days[0]!);
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  // The <svg> is built as a string (escaped here): SVG's attribute names are not HTML's, and the JSX runtime writes
  // HTML only (views/jsx/jsx-runtime.ts refuses <svg>).
  const num = (v: number) => String(Math.round(v * 100) / 100);
  const parts: string[] = [
    `<svg class="audit-chart__svg" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="audit-chart-title audit-chart-desc" preserveAspectRatio="xMidYMid meet">`,
    '<title id="audit-chart-title">日別のアクセスイベント件数</title>',
    `<desc id="audit-chart-desc">${escapeHtml(`${longDate(from)} から ${longDate(to)} までの ${days.length} 日間で合計 ${total.toLocaleString('ja-JP')} 件。最も多い日は ${longDate(peak.date)} の ${peak.count.toLocaleString('ja-JP')} 件。日ごとの件数は下の表にあります。`)}</desc>`,
  ];
  for (const v of [0, max / 2, max]) {
    parts.push(
      `<g><line class="audit-chart__grid" x1="${LEFT}" x2="${W - 8}" y1="${num(y(v))}" y2="${num(y(v))}"/>`,
      `<text class="audit-chart__label" x="${LEFT - 6}" y="${num(y(v) + 4)}" text-anchor="end">${escapeHtml(v.toLocaleString('ja-JP'))}</text></g>`,
    );
  }
  days.forEach((d, i) => {
    const x = LEFT + i * step + (step - barW) / 2;
    const h = (d.count / max) * plotH;
    parts.push(
      `<g><rect class="audit-chart__bar" x="${num(x)}" y="${num(TOP + plotH - h)}" width="${num(barW)}" height="${num(h)}">`,
      `<title>${escapeHtml(`${longDate(d.date)}：${d.count.toLocaleString('ja-JP')} 件`)}</title></rect>`,
    );
    if (i % labelEvery === 0 || i === days.length - 1) {
      parts.push(
        `<text class="audit-chart__label" x="${num(x + barW / 2)}" y="${H - 8}" text-anchor="middle">${escapeHtml(shortDate(d.date))}</text>`,
      );
    }
    parts.push('</g>');
  });
  parts.push('</svg>');
  return (
    <figure class="audit-chart">
      {raw(parts.join(''))}
      <figcaption class="audit-chart__caption">
        日別の件数（日本時間、{longDate(from)}〜{longDate(to)}、合計 {total.toLocaleString('ja-JP')} 件）
      </figcaption>
    </figure>
  );
};

const DayTable: FC<{ days: DayCount[] }> = ({ days }) => (
  <details class="audit-details">
    <summary>日別の件数を表で見る</summary>
    <div class="table-wrap">
      <table class="table">
        <caption>日別のアクセスイベント件数（日本時間）</caption>
        <thead>
          <tr>
            <th scope="col">日付</th>
            <th scope="col" class="audit-num">
              件数
            </th>
          </tr>
        </thead>
        <tbody>
          {[...days].reverse().map((d) => (
            <tr>
              <th scope="row">
                <a href={eventsHref({ ...EMPTY_FILTERS, from: d.date, to: d.date })}>{longDate(d.date)}</a>
              </th>
              <td class="audit-num">{d.count.toLocaleString('ja-JP')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  </details>
);

export const ProblemTable: FC<{ items: EventItem[]; caption: string }> = ({ items, caption }) =>
  items.length === 0 ? (
    <p>この期間に、失敗・ロック・回数制限などの記録はありません。</p>
  ) : (
    <div class="table-wrap">
      <table class="table audit-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">ログ番号</th>
            <th scope="col">日時</th>
            <th scope="col">操作</th>
            <th scope="col">結果</th>
            <th scope="col">操作者</th>
            <th scope="col">保証契約番号</th>
          </tr>
        </thead>
        <tbody>
          {items.map(({ row, actorLabel }) => (
            <tr>
              <th scope="row">
                <a href={eventHref(row.log_index)}>{row.log_index}</a>
              </th>
              <td class="audit-nowrap">{formatJst(row.at)}</td>
              <td>{actionLabel(row.action)}</td>
              <td>
                <OutcomeBadge outcome={row.outcome} />
              </td>
              <td>{actorLabel ?? row.actor ?? '―'}</td>
              <td>{row.target ?? '―'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );

function recomputeText(s: LogStatus): string {
  if (s.job?.status === 'running')
    return `実行中（${s.job.done.toLocaleString('ja-JP')} / ${s.job.total.toLocaleString('ja-JP')} 件）`;
  const r = s.lastRecompute;
  if (!r) return 'まだ実行されていません';
  const size = r.size === null ? '' : `、大きさ ${r.size.toLocaleString('ja-JP')}`;
  if (r.outcome === 'ok') return `✓ 問題なし（${formatJst(r.at)}${size}）`;
  if (r.outcome === 'failed') return `✗ 不一致を検出（${formatJst(r.at)}${size}）：${r.finding ?? ''}`;
  return `検証を完了できませんでした（${formatJst(r.at)}）`;
}

export const LogStatusTable: FC<{ logs: LogStatus[] }> = ({ logs }) => (
  <div class="table-wrap">
    <table class="table audit-outcomes">
      <caption class="visually-hidden">ログの完全性</caption>
      <thead>
        <tr>
          <th scope="col">ログ</th>
          <th scope="col" class="audit-num">
            最新チェックポイントの大きさ
          </th>
          <th scope="col">署名日時</th>
          <th scope="col">最後の全件再計算</th>
        </tr>
      </thead>
      <tbody>
        {logs.map((s) => (
          <tr>
            <th scope="row">{LOG_LABELS[s.log]}</th>
            <td class="audit-num">{s.size.toLocaleString('ja-JP')}</td>
            <td class="audit-nowrap">{s.checkpointAt === null ? '―' : formatJst(s.checkpointAt)}</td>
            <td>{recomputeText(s)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

/** The part htmx swaps when the period changes. */
export const DashboardBody: FC<{ data: Dashboard }> = ({ data }) => {
  const period = { ...EMPTY_FILTERS, from: data.from, to: data.to };
  return (
    <div id="audit-dashboard" class="audit-dashboard">
      <section class="section" aria-labelledby="audit-daily-h">
        <h2 id="audit-daily-h">日別の件数</h2>
        <BarChart days={data.days} total={data.total} from={data.from} to={data.to} />
        <DayTable days={data.days} />
      </section>
      <section class="section" aria-labelledby="audit-outcomes-h">
        <h2 id="audit-outcomes-h">結果別の件数</h2>
        {data.outcomes.length === 0 ? (
          <p>この期間の記録はありません。</p>
        ) : (
          <div class="table-wrap">
            <table class="table audit-outcomes">
              <caption>結果別の件数（{data.period} 日間）</caption>
              <thead>
                <tr>
                  <th scope="col">結果</th>
                  <th scope="col" class="audit-num">
                    件数
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.outcomes.map((o) => (
                  <tr>
                    <th scope="row">
                      <a href={eventsHref({ ...period, outcome: o.outcome })}>
                        {outcomeLabel(o.outcome)}
                        {outcomeLabel(o.outcome) !== o.outcome ? `（${o.outcome}）` : ''}
                      </a>
                    </th>
                    <td class="audit-num">{o.count.toLocaleString('ja-JP')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="section" aria-labelledby="audit-problems-h">
        <h2 id="audit-problems-h">最近の失敗・ロック</h2>
        <ProblemTable items={data.problems} caption="最近の失敗・ロック・回数制限（新しい順、最大10件）" />
        <p>
          <a href={eventsHref({ ...period, action: 'verify.lock' })}>
            この期間の保証確認のロックをすべて見る
          </a>
        </p>
      </section>
      <section class="section" aria-labelledby="audit-integrity-h">
        <h2 id="audit-integrity-h">ログの完全性</h2>
        <LogStatusTable logs={data.logs} />
        <p>
          <a href="/audit/integrity">チェックポイントの確認と全件の再計算へ</a>
        </p>
      </section>
    </div>
  );
};

const PeriodForm: FC<{ period: number }> = ({ period }) => (
  <form
    class="audit-period"
    method="get"
    action="/audit"
    hx-get="/audit"
    hx-target="#audit-dashboard"
    hx-swap="outerHTML"
    hx-push-url="true"
  >
    <div class="field">
      <label class="field__label" for="period">
        期間
      </label>
      <select id="period" name="period">
        {PERIODS.map((p) => (
          <option value={String(p)} selected={p === period}>
            直近 {p} 日間
          </option>
        ))}
      </select>
    </div>
    <button class="button button--secondary" type="submit">
      表示する
    </button>
  </form>
);

export const DashboardPage: FC<{ user: SessionUser; csrfToken: string; data: Dashboard }> = ({
  user,
  csrfToken,
  data,
}) => (
  <Layout title={DASHBOARD_TITLE} user={user} csrfToken={csrfToken} current="/audit">
    <AuditStyles />
    <h1>{DASHBOARD_TITLE}</h1>
    <AuditNav current="/audit" user={user} />
    <p class="lead">
      アクセスログ（閲覧・保証確認・ログイン・書き出しなどの記録）の概要です。日時はすべて日本時間です。この画面を開いたことも、アクセスログに記録されます。
    </p>
    <PeriodForm period={data.period} />
    <DashboardBody data={data} />
  </Layout>
);
