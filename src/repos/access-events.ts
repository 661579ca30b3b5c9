// Access events as the auditor console reads them: all Kysely code for access_events and access_scopes (0004_audit).
// Every list is keyset-paged on log_index, newest first, and never uses OFFSET; every filter has an index on
// (column, log_index) so a filtered page is one ordered index range walk (test/routes/audit-plans.test.ts checks
// the plans). Times never appear in a WHERE clause here except to find a log index: `at` never decreases along the
// log, so a period is a log_index range [lo, hi).
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import type { AccessEventRow, Database, OrganisationRow } from './database.ts';
import { preparedCompiled } from './prepared.ts';

/** Whose events an auditor may read: everything (the platform), or one organisation's scope. */
/** The row of one access event, as the access log's batch writes it (compiled once, repos/prepared.ts). */
const insertAccessEvent = preparedCompiled(
  (
    db: Kysely<Database>,
    logIndex: number,
    at: number,
    action: string,
    outcome: string,
    actor: string | null,
    orgCode: string | null,
    target: string | null,
    net: string,
    ip: string | null,
    userAgent: string | null,
    requestId: string | null,
    detail: string | null,
  ) =>
    db.insertInto('access_events').values({
      log_index: logIndex,
      at,
      action,
      outcome,
      actor,
      org_code: orgCode,
      target,
      net,
      ip,
      user_agent: userAgent,
      request_id: requestId,
      detail,
    }),
);

export function insertAccessEventQuery(db: Kysely<Database>, row: AccessEventRow): CompiledQuery {
  return insertAccessEvent(
    db,
    row.log_index,
    row.at,
    row.action,
    row.outcome,
    row.actor,
    row.org_code,
    row.target,
    row.net,
    row.ip,
    row.user_agent,
    row.request_id,
    row.detail,
  );
}

export type AuditScope = { kind: 'platform' } | { kind: 'org'; orgCode: string };

/** Exact-match filters (null: any). `orgCode` is the acting user's organisation (access_events.org_code). */
export interface EventFilter {
  orgCode: string | null;
  actor: string | null;
  action: string | null;
  outcome: string | null;
  target: string | null;
  ip: string | null;
}

export const NO_FILTER: EventFilter = {
  orgCode: null,
  actor: null,
  action: null,
  outcome: null,
  target: null,
  ip: null,
};

/** A half-open log_index range [lo, hi): a period, a cursor, or both. */
export interface IndexRange {
  lo: number;
  hi: number;
}

type EventColumn = keyof EventFilter;
const COLUMN: Record<EventColumn, 'org_code' | 'actor' | 'action' | 'outcome' | 'target' | 'ip'> = {
  orgCode: 'org_code',
  actor: 'actor',
  action: 'action',
  outcome: 'outcome',
  target: 'target',
  ip: 'ip',
};

/**
 * Filters rare enough that driving an organisation's page from their own index beats walking the organisation's
 * whole scope (a contract number, a user, an address); action and outcome are common, so the scope drives.
 */
const SELECTIVE: readonly EventColumn[] = ['target', 'actor', 'ip'];

/** What a caller does with the page query: run it, or compile it (to EXPLAIN it). */
export interface EventQuery {
  execute(): Promise<AccessEventRow[]>;
  compile(): CompiledQuery;
}

/**
 * The query behind every page and export chunk (exported so a test can EXPLAIN it). Shapes:
 * - platform: access_events alone; SQLite walks the index of one filter (or the rowid) backwards.
 * - organisation, no selective filter: access_scopes (org_code, log_index) drives, CROSS JOIN pins that order
 *   (SQLite never reorders a CROSS JOIN), each event fetched by rowid.
 * - organisation with a contract number / user / address: that index drives, scope checked per row by EXISTS.
 */
export function listEventsQuery(
  db: Kysely<Database>,
  scope: AuditScope,
  filter: EventFilter,
  range: IndexRange,
  limit: number,
  /** An organisation's page: which index drives ('auto': the scope unless a selective filter is set). */
  drive: 'auto' | 'scope' | 'filter' = 'auto',
): EventQuery {
  const active = (Object.keys(COLUMN) as EventColumn[]).filter((k) => filter[k] !== null);
  const orgCode = scope.kind === 'org' ? scope.orgCode : null;
  const scopeDrives =
    drive === 'auto' ? !active.some((k) => SELECTIVE.includes(k)) : drive === 'scope' || active.length === 0;
  if (orgCode !== null && scopeDrives) {
    let q = db
      .selectFrom('access_scopes as s')
      .crossJoin('access_events as e')
      .selectAll('e')
      .where('s.org_code', '=', orgCode)
      .where('s.log_index', '>=', range.lo)
      .where('s.log_index', '<', range.hi)
      .whereRef('e.log_index', '=', 's.log_index');
    for (const k of active) q = q.where(`e.${COLUMN[k]}`, '=', filter[k] as string);
    return q.orderBy('s.log_index', 'desc').limit(limit);
  }
  let q = db
    .selectFrom('access_events as e')
    .selectAll('e')
    .where('e.log_index', '>=', range.lo)
    .where('e.log_index', '<', range.hi);
  for (const k of active) q = q.where(`e.${COLUMN[k]}`, '=', filter[k] as string);
  if (orgCode !== null) {
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('access_scopes as s')
          .select(sql<number>`1`.as('one'))
          .where('s.org_code', '=', orgCode)
          .whereRef('s.log_index', '=', 'e.log_index'),
      ),
    );
  }
  return q.orderBy('e.log_index', 'desc').limit(limit);
}

/** Up to `limit` events in [range.lo, range.hi), newest first. */
export function listEvents(
  db: Kysely<Database>,
  scope: AuditScope,
  filter: EventFilter,
  range: IndexRange,
  limit: number,
): Promise<AccessEventRow[]> {
  if (range.lo >= range.hi) return Promise.resolve([]);
  return listEventsQuery(db, scope, filter, range, limit).execute();
}

/** The first log index whose time is ≥ `ms` (null: none yet). One probe of access_events_by_at. */
export async function firstIndexAtOrAfter(db: Kysely<Database>, ms: number): Promise<number | null> {
  const row = await firstIndexQuery(db, ms).executeTakeFirst();
  return row?.log_index ?? null;
}

export function firstIndexQuery(db: Kysely<Database>, ms: number) {
  return db
    .selectFrom('access_events')
    .select('log_index')
    .where('at', '>=', ms)
    .orderBy('at')
    .orderBy('log_index')
    .limit(1);
}

export function findEvent(db: Kysely<Database>, index: number): Promise<AccessEventRow | undefined> {
  return db.selectFrom('access_events').selectAll().where('log_index', '=', index).executeTakeFirst();
}

/** May this organisation's auditors see event `index`? */
export async function inScope(db: Kysely<Database>, orgCode: string, index: number): Promise<boolean> {
  const row = await db
    .selectFrom('access_scopes')
    .select('log_index')
    .where('org_code', '=', orgCode)
    .where('log_index', '=', index)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The distinct values of action or outcome, in order, by skipping through their index (one probe per value, not
 * a scan of millions of rows); at most `limit`.
 */
export async function distinctValues(
  db: Kysely<Database>,
  column: 'action' | 'outcome',
  limit = 200,
): Promise<string[]> {
  const out: string[] = [];
  let after: string | null = null;
  while (out.length < limit) {
    let q = db.selectFrom('access_events').select(column);
    q = after === null ? q.where(column, 'is not', null) : q.where(column, '>', after);
    const row = await q.orderBy(column).limit(1).executeTakeFirst();
    if (!row) break;
    const v = (row as Record<string, string>)[column]!;
    out.push(v);
    after = v;
  }
  return out;
}

/** The key of the platform-wide rows of access_daily (every event); other keys are organisation codes. */
export const ALL_EVENTS = '*';

/** access_daily's day number of an instant: the JST calendar day (JST has no daylight saving time). */
export function jstDayNumber(ms: number): number {
  return Math.floor((ms + 9 * 3600_000) / 86_400_000);
}

/**
 * Per-day, per-outcome counts of a scope for JST days [fromDay, toDay] from the rollup the triggers of
 * 0005_audit_daily keep: one primary-key range of at most days × outcomes rows, whatever the number of events.
 */
export function dailyCounts(
  db: Kysely<Database>,
  scope: AuditScope,
  fromDay: number,
  toDay: number,
): Promise<{ day: number; outcome: string; n: number }[]> {
  return db
    .selectFrom('access_daily')
    .select(['day', 'outcome', 'n'])
    .where('org_code', '=', scope.kind === 'platform' ? ALL_EVENTS : scope.orgCode)
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .execute();
}

/**
 * The newest events of one outcome in [lo, hi) within a scope. `scopeRows` and `outcomeRows` are the rollup's
 * counts for the period (the scope's events, and this outcome's events platform-wide): an organisation's query is
 * driven by whichever index has fewer rows to walk before finding `limit` matches — its scope (checking the outcome
 * per row) or the outcome index (checking the scope per row by EXISTS). Either way no scan of the whole period.
 */
export function recentOfOutcome(
  db: Kysely<Database>,
  scope: AuditScope,
  outcome: string,
  range: IndexRange,
  limit: number,
  counts: { scopeRows: number; outcomeRows: number },
): Promise<AccessEventRow[]> {
  if (range.lo >= range.hi) return Promise.resolve([]);
  const filter = { ...NO_FILTER, outcome };
  const drive = scope.kind === 'org' && counts.outcomeRows < counts.scopeRows ? 'filter' : 'scope';
  return listEventsQuery(db, scope, filter, range, limit, drive).execute();
}

/** The newest events of one action (any scope: used for the platform-wide integrity results). */
export function latestOfAction(
  db: Kysely<Database>,
  action: string,
  limit: number,
): Promise<AccessEventRow[]> {
  return db
    .selectFrom('access_events')
    .selectAll()
    .where('action', '=', action)
    .orderBy('log_index', 'desc')
    .limit(limit)
    .execute();
}

/** Logins and display names of the users among `ids` (for showing `user:<id>` actors). */
export function usersByIds(
  db: Kysely<Database>,
  ids: readonly number[],
): Promise<{ id: number; login: string; display_name: string | null }[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('users')
    .select(['id', 'login', 'display_name'])
    .where('id', 'in', [...ids])
    .execute();
}

/** Every organisation (the platform auditor's organisation filter). */
export function listOrganisations(
  db: Kysely<Database>,
): Promise<Pick<OrganisationRow, 'code' | 'name' | 'kind'>[]> {
  return db
    .selectFrom('organisations')
    .select(['code', 'name', 'kind'])
    .orderBy('kind')
    .orderBy('code')
    .execute();
}
