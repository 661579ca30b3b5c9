// 確認済み保証一覧: search form (GET), the table of verified certificates with 更新あり / 未表示 badges, and keyset
// paging — a plain "次の20件" link without JS, an htmx "さらに表示" that appends rows in place with it.
import type { FC } from 'hono/jsx';
import { PRODUCT_CODES, PRODUCTS } from '../../src/domain/certificate.ts';
import type { ListFilters, ListItem, ListPage } from '../../src/services/certificate-view.ts';
import type { SessionUser } from '../../src/services/sessions.ts';
import { Badge } from '../components/badge.tsx';
import { Layout } from '../layout.tsx';
import { certificatePath, formatJst, productLabel } from './format.ts';
import { CertificateStyles, StatusText } from './parts.tsx';

export const LIST_TITLE = '確認済み保証一覧';

/** The list URL with the current filters (and a cursor): the no-JS "next" link and the htmx request are the same. */
export function listHref(filters: ListFilters, after: string | null): string {
  const p = new URLSearchParams();
  if (filters.q !== '') p.set('q', filters.q);
  if (filters.product) p.set('product', filters.product);
  if (filters.status) p.set('status', filters.status);
  if (after) p.set('after', after);
  const qs = p.toString();
  return qs === '' ? '/certificates' : `/certificates?${qs}`;
}

const Row: FC<{ item: ListItem }> = ({ item }) => (
  <tr>
    <th scope="row" class="cert-number">
      <a href={certificatePath(item.contractNumber)}>{item.contractNumber}</a>
    </th>
    <td>{item.workName}</td>
    <td>{item.contractorName}</td>
    <td>{productLabel(item.product)}</td>
    <td>
      <StatusText status={item.status} />
    </td>
    <td class="cert-nowrap">{formatJst(item.lastIssuedAt)}</td>
    <td>
      {item.updated ? <Badge kind="warning">更新あり</Badge> : null}
      {item.neverViewed ? <Badge kind="info">未表示</Badge> : null}
    </td>
  </tr>
);

/**
 * The "more" row: a link that works as a normal "next page" without JS; with htmx it fetches the next rows and
 * replaces itself with them (and with the next "more" row, if any).
 */
const MoreRow: FC<{ filters: ListFilters; next: string }> = ({ filters, next }) => (
  <tr id="cert-list-more" class="cert-list__more">
    <td colspan={7}>
      <a
        href={listHref(filters, next)}
        hx-get={listHref(filters, next)}
        hx-target="#cert-list-more"
        hx-swap="outerHTML"
        rel="next"
      >
        次の20件を表示
      </a>
    </td>
  </tr>
);

/** htmx fragment for "more": the next rows, then the next "more" row. */
export const MoreRows: FC<{ page: ListPage; filters: ListFilters }> = ({ page, filters }) => (
  <>
    {page.items.map((item) => (
      <Row item={item} />
    ))}
    {page.next ? <MoreRow filters={filters} next={page.next} /> : null}
  </>
);

function filtered(filters: ListFilters): boolean {
  return filters.q !== '' || filters.product !== null || filters.status !== null;
}

/** The results region (htmx fragment for the search form): a count line, the table, paging links. */
export const ListResults: FC<{ page: ListPage; filters: ListFilters }> = ({ page, filters }) => (
  <div id="cert-list-results" class="cert-list__results">
    {page.items.length === 0 ? (
      <p class="cert-empty" role="status">
        {filtered(filters)
          ? '条件に合う保証はありません。検索条件を変えてお試しください。'
          : 'まだ確認済みの保証はありません。「保証確認」から保証契約番号と認証キーを入力してください。'}
      </p>
    ) : (
      <div class="table-wrap">
        <table class="table cert-list">
          <caption>
            {LIST_TITLE}
            {filters.after ? '（続き）' : ''}
            <span class="cert-caption-note">新しく発行・更新された順</span>
          </caption>
          <thead>
            <tr>
              <th scope="col">保証契約番号</th>
              <th scope="col">工事名</th>
              <th scope="col">請負契約者</th>
              <th scope="col">商品名</th>
              <th scope="col">状態</th>
              <th scope="col">最終の電子保証発行日時</th>
              <th scope="col">お知らせ</th>
            </tr>
          </thead>
          <tbody id="cert-list-rows">
            <MoreRows page={page} filters={filters} />
          </tbody>
        </table>
      </div>
    )}
    {filters.after ? (
      <p class="cert-list__first">
        <a href={listHref({ ...filters, after: null }, null)}>最初から表示する</a>
      </p>
    ) : null}
  </div>
);

const SearchForm: FC<{ filters: ListFilters }> = ({ filters }) => (
  // biome-ignore lint/a11y/useSemanticElements: clerks' older browsers predate <search>; role="search" works in all.
  <form
    class="cert-search"
    method="get"
    action="/certificates"
    role="search"
    aria-label="確認済み保証の検索"
    hx-get="/certificates"
    hx-target="#cert-list-results"
    hx-swap="outerHTML"
    hx-push-url="true"
  >
    <div class="cert-search__fields">
      <div class="field">
        <label class="field__label" for="q">
          保証契約番号・工事名・請負契約者
        </label>
        <input class="input input--long" id="q" name="q" type="search" value={filters.q} maxlength={100} />
      </div>
      <div class="field">
        <label class="field__label" for="product">
          商品名
        </label>
        <select id="product" name="product">
          <option value="">すべて</option>
          {PRODUCT_CODES.map((code) => (
            <option value={code} selected={filters.product === code}>
              {PRODUCTS[code].label}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label class="field__label" for="status">
          状態
        </label>
        <select id="status" name="status">
          <option value="">すべて</option>
          <option value="active" selected={filters.status === 'active'}>
            有効
          </option>
          <option value="terminated" selected={filters.status === 'terminated'}>
            解約
          </option>
        </select>
      </div>
      <div class="cert-search__actions">
        <button class="button" type="submit">
          検索する
        </button>
        {filtered(filters) ? (
          <a class="button button--secondary" href="/certificates">
            条件をクリア
          </a>
        ) : null}
      </div>
    </div>
  </form>
);

export const ListPageView: FC<{
  user: SessionUser;
  csrfToken: string;
  page: ListPage;
  filters: ListFilters;
  canVerify: boolean;
}> = ({ user, csrfToken, page, filters, canVerify }) => (
  <Layout title={LIST_TITLE} user={user} csrfToken={csrfToken} current="/certificates">
    <CertificateStyles />
    <h1>{LIST_TITLE}</h1>
    <p class="lead">
      {user.orgName}
      が保証契約番号と認証キーで確認した電子保証の一覧です。確認後に届いた変更も、認証キーなしで表示できます。
    </p>
    {canVerify ? (
      <p>
        <a class="button button--secondary" href="/verify">
          新しい保証を確認する（保証確認）
        </a>
      </p>
    ) : null}
    <SearchForm filters={filters} />
    <ListResults page={page} filters={filters} />
  </Layout>
);
