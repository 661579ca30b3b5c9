// 電子保証対応の発注者一覧 (the seed's 「電子保証対応の発注者はこちら」): page + the results fragment htmx swaps
// when the filter changes.
import type { FC } from 'hono/jsx';
import type { SessionUser } from '../../src/services/sessions.ts';
import { Pagination } from '../components/pagination.tsx';
import { Layout } from '../layout.tsx';

export interface OrdererEntry {
  code: string;
  name: string;
  acceptsSince: string | null;
}

export interface OrdererListProps {
  q: string;
  page: number;
  totalPages: number;
  total: number;
  /** Every accepting orderer, before the filter (for the lead sentence). */
  all: number;
  rows: OrdererEntry[];
}

/** 2022-05-09 → 2022年5月9日 (an ISO date from the registry; anything else is shown as stored). */
export function japaneseDate(iso: string | null): string {
  if (!iso) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : iso;
}

export function ordererListHref(q: string, page: number): string {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  if (page > 1) p.set('page', String(page));
  const s = p.toString();
  return s ? `/orderers?${s}` : '/orderers';
}

export const OrdererResults: FC<OrdererListProps> = (p) => (
  <>
    <p class="result-count" role="status">
      {p.q ? `「${p.q}」に一致する発注者：${p.total}件` : `${p.total}件の発注者が電子保証に対応しています。`}
    </p>
    {p.rows.length === 0 ? (
      <p>
        該当する発注者は見つかりませんでした。名称の一部（例：「那須塩原」）や発注者コードで、もう一度お試しください。
      </p>
    ) : (
      <div class="table-wrap">
        <table class="table">
          <caption class="visually-hidden">電子保証対応の発注者</caption>
          <thead>
            <tr>
              <th scope="col">発注者名</th>
              <th scope="col">発注者コード</th>
              <th scope="col">電子保証の受付開始日</th>
            </tr>
          </thead>
          <tbody>
            {p.rows.map((r) => (
              <tr>
                <th scope="row">{r.name}</th>
                <td>
                  <span class="code">{r.code}</span>
                </td>
                <td>{japaneseDate(r.acceptsSince)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
    <Pagination page={p.page} totalPages={p.totalPages} href={(n) => ordererListHref(p.q, n)} />
  </>
);

export const OrderersPage: FC<OrdererListProps & { user: SessionUser | null; csrfToken: string }> = (p) => (
  <Layout title="電子保証対応の発注者一覧" user={p.user} csrfToken={p.csrfToken} current="/orderers">
    <h1>電子保証対応の発注者一覧</h1>
    <p class="lead">
      次の発注者は、電証で電子保証（保証契約番号と認証キーによる保証証書の提出）を受け付けています。ただし、電子保証を認めるかどうかは工事・業務ごとに異なる場合があります。詳しくは各発注者の案内をご確認ください。
    </p>
    {/* biome-ignore lint/a11y/useSemanticElements: the <search> element needs Chrome/Firefox 118+; role works everywhere. */}
    <form
      class="filter"
      method="get"
      action="/orderers"
      role="search"
      hx-get="/orderers"
      hx-target="#orderer-results"
      hx-trigger="submit, input delay:400ms"
      hx-push-url="true"
    >
      <label class="field__label" for="q">
        発注者名または発注者コードで絞り込む
      </label>
      <div class="filter__row">
        <input class="input input--medium" id="q" name="q" type="search" value={p.q} autocomplete="off" />
        <button class="button" type="submit">
          絞り込む
        </button>
      </div>
    </form>
    <div id="orderer-results" class="results">
      <OrdererResults {...p} />
    </div>
  </Layout>
);
