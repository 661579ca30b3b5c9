// アクセスログ (/audit/events): the filter form (GET), the table of events newest first, keyset paging — a plain
// "次の50件" link without JS, which htmx turns into rows appended in place — and the CSV / JSON Lines exports of
// the same filter.
import type { FC } from 'hono/jsx';
import type { AuditFilters, EventItem, EventsPage, FilterError } from '../../src/services/audit-events.ts';
import { hasFilters, PAGE_SIZE } from '../../src/services/audit-events.ts';
import type { SessionUser } from '../../src/services/sessions.ts';
import { ErrorSummary } from '../components/error-summary.tsx';
import { Layout } from '../layout.tsx';
import {
  AuditNav,
  AuditStyles,
  actionLabel,
  eventHref,
  eventsHref,
  exportHref,
  formatJst,
  OutcomeBadge,
} from './parts.tsx';

export const EVENTS_TITLE = 'アクセスログ';

export interface FilterOptions {
  /** Organisations for the platform auditor's filter (null: not offered). */
  organisations: { code: string; name: string; kind: string }[] | null;
  actions: string[];
  outcomes: string[];
}

const Row: FC<{ item: EventItem }> = ({ item: { row, actorLabel } }) => (
  <tr>
    <th scope="row" class="audit-index">
      <a href={eventHref(row.log_index)} aria-label={`ログ番号 ${row.log_index} の詳細`}>
        {row.log_index}
      </a>
    </th>
    <td class="audit-nowrap">{formatJst(row.at)}</td>
    <td>
      {actionLabel(row.action)}
      {actionLabel(row.action) !== row.action ? <span class="audit-key">{row.action}</span> : null}
    </td>
    <td>
      <OutcomeBadge outcome={row.outcome} />
    </td>
    <td>
      {actorLabel ?? row.actor ?? '―'}
      {actorLabel && row.actor ? <span class="audit-key">{row.actor}</span> : null}
    </td>
    <td>{row.org_code ?? '―'}</td>
    <td class="audit-nowrap">{row.target ?? '―'}</td>
    <td class="audit-nowrap">{row.ip ?? '―'}</td>
  </tr>
);

const COLUMNS = 8;

/** The "more" row: a normal link to the next page; with htmx it replaces itself with the next rows. */
const MoreRow: FC<{ filters: AuditFilters; next: number }> = ({ filters, next }) => (
  <tr id="audit-more" class="audit-more">
    <td colspan={COLUMNS}>
      <a
        href={eventsHref(filters, next)}
        hx-get={eventsHref(filters, next)}
        hx-target="#audit-more"
        hx-swap="outerHTML"
        rel="next"
      >
        次の{PAGE_SIZE}件を表示
      </a>
    </td>
  </tr>
);

/** htmx fragment for "more": the next rows, then the next "more" row. */
export const MoreRows: FC<{ page: EventsPage; filters: AuditFilters }> = ({ page, filters }) => (
  <>
    {page.items.map((item) => (
      <Row item={item} />
    ))}
    {page.next !== null ? <MoreRow filters={filters} next={page.next} /> : null}
  </>
);

/** The results region (htmx fragment for the filter form): exports, the table, paging. */
export const EventResults: FC<{
  page: EventsPage;
  filters: AuditFilters;
  before: number | null;
  errors: FilterError[];
}> = ({ page, filters, before, errors }) => (
  <div id="audit-results" class="audit-results">
    <ErrorSummary errors={errors} />
    {errors.length > 0 ? null : (
      <>
        <ul class="audit-exports">
          <li>
            <a class="button button--secondary button--small" href={exportHref(filters, 'csv')} download>
              この条件で CSV に書き出す
            </a>
          </li>
          <li>
            <a class="button button--secondary button--small" href={exportHref(filters, 'jsonl')} download>
              JSON Lines に書き出す
            </a>
          </li>
        </ul>
        {page.items.length === 0 ? (
          <p class="audit-empty" role="status">
            {hasFilters(filters)
              ? '条件に合う記録はありません。条件を変えてお試しください。'
              : 'まだ記録はありません。'}
          </p>
        ) : (
          <div class="table-wrap">
            <table class="table audit-table">
              <caption>
                アクセスイベント{before !== null ? '（続き）' : ''}
                <span class="audit-caption-note">新しい順。ログ番号から詳細と検証結果を表示できます。</span>
              </caption>
              <thead>
                <tr>
                  <th scope="col">ログ番号</th>
                  <th scope="col">日時（日本時間）</th>
                  <th scope="col">操作</th>
                  <th scope="col">結果</th>
                  <th scope="col">操作者</th>
                  <th scope="col">組織</th>
                  <th scope="col">保証契約番号</th>
                  <th scope="col">IP アドレス</th>
                </tr>
              </thead>
              <tbody id="audit-rows">
                <MoreRows page={page} filters={filters} />
              </tbody>
            </table>
          </div>
        )}
        {before !== null ? (
          <p>
            <a href={eventsHref(filters)}>最新の記録から表示する</a>
          </p>
        ) : null}
      </>
    )}
  </div>
);

const TextFilter: FC<{
  name: keyof AuditFilters;
  label: string;
  value: string;
  hint?: string;
  type?: 'text' | 'date';
  error: string | undefined;
}> = ({ name, label, value, hint, type, error }) => {
  const id = `f-${name}`;
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div class={error ? 'field field--error' : 'field'}>
      <label class="field__label" for={id}>
        {label}
      </label>
      {hint ? (
        <p class="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="field__error" id={`${id}-error`}>
          <span class="visually-hidden">エラー：</span>
          {error}
        </p>
      ) : null}
      <input
        class="input input--medium"
        id={id}
        name={name}
        type={type ?? 'text'}
        value={value}
        maxlength={200}
        autocomplete="off"
        spellcheck={false}
        aria-describedby={describedBy || undefined}
        aria-invalid={error ? 'true' : undefined}
      />
    </div>
  );
};

const SelectFilter: FC<{
  name: keyof AuditFilters;
  label: string;
  value: string;
  options: { value: string; label: string }[];
}> = ({ name, label, value, options }) => {
  // A value typed into the URL that is not among the options is kept (and shown) rather than silently dropped.
  const all =
    value !== '' && !options.some((o) => o.value === value) ? [...options, { value, label: value }] : options;
  return (
    <div class="field">
      <label class="field__label" for={`f-${name}`}>
        {label}
      </label>
      <select id={`f-${name}`} name={name}>
        <option value="">すべて</option>
        {all.map((o) => (
          <option value={o.value} selected={o.value === value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
};

export const FilterForm: FC<{ filters: AuditFilters; options: FilterOptions; errors: FilterError[] }> = ({
  filters,
  options,
  errors,
}) => {
  const err = (field: string) => errors.find((e) => e.field === field)?.message;
  return (
    // biome-ignore lint/a11y/useSemanticElements: older browsers predate <search>; role="search" works in all.
    <form
      class="audit-filter"
      method="get"
      action="/audit/events"
      role="search"
      aria-label="アクセスログの絞り込み"
      hx-get="/audit/events"
      hx-target="#audit-results"
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      <fieldset class="audit-filter__group">
        <legend>期間（日本時間）</legend>
        <TextFilter name="from" label="開始日" type="date" value={filters.from} error={err('f-from')} />
        <TextFilter
          name="to"
          label="終了日（この日を含む）"
          type="date"
          value={filters.to}
          error={err('f-to')}
        />
      </fieldset>
      <div class="audit-filter__fields">
        {options.organisations ? (
          <SelectFilter
            name="org"
            label="組織（操作した利用者の所属）"
            value={filters.org}
            options={options.organisations.map((o) => ({ value: o.code, label: `${o.name}（${o.code}）` }))}
          />
        ) : null}
        <TextFilter
          name="user"
          label="利用者"
          hint="ログインID、または user:12 のような操作者ID"
          value={filters.user}
          error={err('f-user')}
        />
        <SelectFilter
          name="action"
          label="操作"
          value={filters.action}
          options={options.actions.map((a) => ({ value: a, label: `${actionLabel(a)}（${a}）` }))}
        />
        <SelectFilter
          name="outcome"
          label="結果"
          value={filters.outcome}
          options={options.outcomes.map((o) => ({ value: o, label: o }))}
        />
        <TextFilter name="target" label="保証契約番号" value={filters.target} error={err('f-target')} />
        <TextFilter name="ip" label="IP アドレス（完全一致）" value={filters.ip} error={err('f-ip')} />
      </div>
      <div class="audit-filter__actions">
        <button class="button" type="submit">
          絞り込む
        </button>
        {hasFilters(filters) ? (
          <a class="button button--secondary" href="/audit/events">
            条件をクリア
          </a>
        ) : null}
      </div>
    </form>
  );
};

export const EventsPageView: FC<{
  user: SessionUser;
  csrfToken: string;
  page: EventsPage;
  filters: AuditFilters;
  before: number | null;
  options: FilterOptions;
  errors: FilterError[];
}> = ({ user, csrfToken, page, filters, before, options, errors }) => (
  <Layout title={EVENTS_TITLE} user={user} csrfToken={csrfToken} current="/audit/events">
    <AuditStyles />
    <h1>{EVENTS_TITLE}</h1>
    <AuditNav current="/audit/events" user={user} />
    <p class="lead">
      閲覧・保証確認・ログイン・書き出しなどの記録です。各記録は署名付きのアクセスログ（Merkle
      ログ）の1件で、詳細画面で改ざんされていないことを確かめられます。この照会もアクセスログに記録されます。
    </p>
    <FilterForm filters={filters} options={options} errors={errors} />
    <EventResults page={page} filters={filters} before={before} errors={errors} />
  </Layout>
);
