// The auditor's view of the access log: who may see which events (scope), the filter form (period in JST,
// organisation, user, action, outcome, contract number, IP), keyset pages newest first, and one event with its leaf,
// inclusion proof and the verification of both. Every query is itself an access event (audit.query), recorded
// durably BEFORE anything is read or served — an auditor's reading is as visible as a clerk's.
//
// Roles (decided here, documented in docs/auditing.md): auditors and admins. A user of the platform organisation
// (kind 'platform') sees every event; anyone else sees their organisation's scope only — events of its own users
// and events about certificates it orders (access_scopes, 0004_audit). An event outside the scope is "not found".
import type { AppDeps } from '../app.ts';
import { fromUtf8, toBase64 } from '../domain/bytes.ts';
import { openCheckpoint } from '../domain/checkpoint.ts';
import { accessLeaf, parseLeaf } from '../domain/leaf.ts';
import { leafHash, verifyInclusion } from '../domain/merkle.ts';
import {
  type AuditScope,
  type EventFilter,
  findEvent,
  firstIndexAtOrAfter,
  type IndexRange,
  inScope,
  listEvents,
  usersByIds,
} from '../repos/access-events.ts';
import type { AccessEventRow } from '../repos/database.ts';
import { findUserByLogin } from '../repos/users.ts';
import { netOf } from './access-log.ts';
import { normalizeLogin } from './login.ts';
import type { SessionUser } from './sessions.ts';

export type AuditDeps = Pick<AppDeps, 'db' | 'access' | 'logs' | 'clock'>;

/** Roles that may open /audit (an admin audits their organisation like its auditor does). */
export const AUDIT_ROLES: SessionUser['role'][] = ['auditor', 'admin'];

export const PAGE_SIZE = 50;

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export function isPlatformAuditor(user: SessionUser): boolean {
  return user.orgKind === 'platform' && AUDIT_ROLES.includes(user.role);
}

export function auditScope(user: SessionUser): AuditScope {
  return user.orgKind === 'platform' ? { kind: 'platform' } : { kind: 'org', orgCode: user.orgCode };
}

/** Record an auditor's action in the access log; resolves once durable. */
export function recordAudit(
  deps: Pick<AppDeps, 'access'>,
  user: SessionUser,
  meta: RequestMeta,
  event: {
    action: 'audit.query' | 'audit.export' | 'audit.integrity';
    outcome: string;
    detail: Record<string, unknown>;
  },
): Promise<unknown> {
  return deps.access.record({
    action: event.action,
    outcome: event.outcome,
    actor: `user:${user.id}`,
    orgCode: user.orgCode,
    target: null,
    ...meta,
    detail: event.detail,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Times: the UI's dates are JST calendar days (JST has no daylight saving).
// ---------------------------------------------------------------------------------------------------------------

const JST_OFFSET_MS = 9 * 3600_000;
export const DAY_MS = 86_400_000;

/** Epoch ms of 00:00 JST on `date` (YYYY-MM-DD). */
export function jstDayStart(date: string): number {
  return Date.parse(`${date}T00:00:00.000Z`) - JST_OFFSET_MS;
}

/** The JST calendar date (YYYY-MM-DD) of an instant. */
export function jstDate(ms: number): string {
  return new Date(ms + JST_OFFSET_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return jstDate(jstDayStart(date) + days * DAY_MS);
}

function isDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const ms = Date.parse(`${s}T00:00:00.000Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === s;
}

/** The first log index at or after `ms`, or the log's size when every event is older. */
export async function firstIndexFor(deps: AuditDeps, ms: number): Promise<number> {
  return (await firstIndexAtOrAfter(deps.db, ms)) ?? deps.logs.access.size;
}

/** The log_index range of events whose time falls in [fromMs, toMs): `at` never decreases along the log. */
export async function periodRange(
  deps: AuditDeps,
  fromMs: number | null,
  toMs: number | null,
): Promise<IndexRange> {
  const lo = fromMs === null ? 0 : await firstIndexFor(deps, fromMs);
  const hi = toMs === null ? deps.logs.access.size : await firstIndexFor(deps, toMs);
  return { lo, hi: Math.max(lo, hi) };
}

// ---------------------------------------------------------------------------------------------------------------
// The filter form
// ---------------------------------------------------------------------------------------------------------------

/** The filters as typed ('' = any): what the form shows again, what links and exports carry. */
export interface AuditFilters {
  from: string;
  to: string;
  org: string;
  user: string;
  action: string;
  outcome: string;
  target: string;
  ip: string;
}

export const FILTER_KEYS = ['from', 'to', 'org', 'user', 'action', 'outcome', 'target', 'ip'] as const;

export const EMPTY_FILTERS: AuditFilters = {
  from: '',
  to: '',
  org: '',
  user: '',
  action: '',
  outcome: '',
  target: '',
  ip: '',
};

export interface FilterError {
  field: string;
  message: string;
}

export interface ParsedFilters {
  filters: AuditFilters;
  /** Keyset cursor: only events with log_index < before (null: from the newest). */
  before: number | null;
  errors: FilterError[];
}

const MAX_TEXT = 200;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;

const FIELD_LABELS: Record<(typeof FILTER_KEYS)[number], string> = {
  from: '期間（開始日）',
  to: '期間（終了日）',
  org: '組織',
  user: '利用者',
  action: '操作',
  outcome: '結果',
  target: '保証契約番号',
  ip: 'IP アドレス',
};

/** Read and check the filters from a query string. Invalid input keeps the typed text and says what is wrong. */
export function parseFilters(query: (name: string) => string | undefined): ParsedFilters {
  const filters: AuditFilters = { ...EMPTY_FILTERS };
  const errors: FilterError[] = [];
  for (const key of FILTER_KEYS) {
    const raw = (query(key) ?? '').trim();
    const value = raw.slice(0, MAX_TEXT);
    filters[key] = value;
    if (raw.length > MAX_TEXT)
      errors.push({
        field: `f-${key}`,
        message: `${FIELD_LABELS[key]}は ${MAX_TEXT} 文字以内で入力してください。`,
      });
    else if (CONTROL.test(value))
      errors.push({ field: `f-${key}`, message: `${FIELD_LABELS[key]}に使えない文字が含まれています。` });
  }
  for (const key of ['from', 'to'] as const) {
    if (filters[key] !== '' && !isDate(filters[key])) {
      errors.push({
        field: `f-${key}`,
        message: `${FIELD_LABELS[key]}は 2025-12-20 の形式の日付で入力してください。`,
      });
    }
  }
  if (
    filters.from !== '' &&
    filters.to !== '' &&
    isDate(filters.from) &&
    isDate(filters.to) &&
    filters.from > filters.to
  ) {
    errors.push({ field: 'f-to', message: '期間の終了日は開始日と同じか、それより後の日付にしてください。' });
  }
  const rawBefore = query('before') ?? '';
  let before: number | null = null;
  if (rawBefore !== '') {
    if (/^(0|[1-9][0-9]{0,15})$/.test(rawBefore) && Number.isSafeInteger(Number(rawBefore)))
      before = Number(rawBefore);
    else
      errors.push({
        field: 'f-from',
        message: '続きの位置（before）が正しくありません。最初から表示し直してください。',
      });
  }
  return { filters, before, errors };
}

export function hasFilters(f: AuditFilters): boolean {
  return FILTER_KEYS.some((k) => f[k] !== '');
}

/** The filters that are set, for links, exports and the access event's detail. */
export function filterParams(f: AuditFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of FILTER_KEYS) if (f[k] !== '') out[k] = f[k];
  return out;
}

/**
 * `user` as typed: an actor id (`user:12`, `surety:ejcs`, `operator:root`) as is, else a login name looked up.
 * An unknown login is kept as typed, which matches no actor — the page simply finds nothing.
 */
async function resolveActor(deps: AuditDeps, typed: string): Promise<string | null> {
  if (typed === '') return null;
  if (/^(user|surety|operator):/.test(typed)) return typed;
  const user = await findUserByLogin(deps.db, normalizeLogin(typed));
  return user ? `user:${user.id}` : `login:${typed}`;
}

/** Filters and period as a query: the exact-match filter, and the log_index range (before the cursor). */
export async function resolveQuery(
  deps: AuditDeps,
  scope: AuditScope,
  f: AuditFilters,
  before: number | null,
): Promise<{ filter: EventFilter; range: IndexRange }> {
  const range = await periodRange(
    deps,
    f.from === '' ? null : jstDayStart(f.from),
    f.to === '' ? null : jstDayStart(f.to) + DAY_MS,
  );
  if (before !== null) range.hi = Math.max(range.lo, Math.min(range.hi, before));
  const filter: EventFilter = {
    // An organisation's auditor is confined to its scope; the organisation filter is the platform auditor's.
    orgCode: scope.kind === 'platform' && f.org !== '' ? f.org : null,
    actor: await resolveActor(deps, f.user),
    action: f.action === '' ? null : f.action,
    outcome: f.outcome === '' ? null : f.outcome,
    target: f.target === '' ? null : f.target,
    ip: f.ip === '' ? null : f.ip,
  };
  return { filter, range };
}

// ---------------------------------------------------------------------------------------------------------------
// Pages of events
// ---------------------------------------------------------------------------------------------------------------

export interface EventItem {
  row: AccessEventRow;
  /** The login (and display name) behind a `user:<id>` actor, when known. */
  actorLabel: string | null;
}

export interface EventsPage {
  items: EventItem[];
  /** Cursor of the next page (the last row's log_index), or null at the end. */
  next: number | null;
}

/** `user:<id>` actors of the rows → "login（display name）". */
export async function withActorLabels(deps: AuditDeps, rows: AccessEventRow[]): Promise<EventItem[]> {
  const ids = new Set<number>();
  for (const r of rows) {
    const m = /^user:(\d{1,15})$/.exec(r.actor ?? '');
    if (m) ids.add(Number(m[1]));
  }
  const users = new Map((await usersByIds(deps.db, [...ids])).map((u) => [`user:${u.id}`, u]));
  return rows.map((row) => {
    const u = row.actor ? users.get(row.actor) : undefined;
    return { row, actorLabel: u ? (u.display_name ? `${u.login}（${u.display_name}）` : u.login) : null };
  });
}

/**
 * One page of events for the auditor, newest first. The query is logged (audit.query) before anything is read.
 * Keyset on log_index: events that arrive while someone pages land above the first page, so no row is skipped or
 * shown twice.
 */
export async function listAuditEvents(
  deps: AuditDeps,
  input: { user: SessionUser; filters: AuditFilters; before: number | null; meta: RequestMeta },
): Promise<EventsPage> {
  const scope = auditScope(input.user);
  await recordAudit(deps, input.user, input.meta, {
    action: 'audit.query',
    outcome: 'success',
    detail: { view: 'events', filters: filterParams(input.filters), before: input.before },
  });
  const { filter, range } = await resolveQuery(deps, scope, input.filters, input.before);
  const rows = await listEvents(deps.db, scope, filter, range, PAGE_SIZE + 1);
  const more = rows.length > PAGE_SIZE;
  const page = more ? rows.slice(0, PAGE_SIZE) : rows;
  return {
    items: await withActorLabels(deps, page),
    next: more ? page[page.length - 1]!.log_index : null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// One event, with its leaf and the proof that the leaf is in the signed tree
// ---------------------------------------------------------------------------------------------------------------

export interface EventDetail {
  item: EventItem;
  /** The exact leaf bytes as text (`densho/access/v1\n{…}`), and its JSON body pretty-printed. */
  leafText: string;
  leafBody: string;
  leafHash: string;
  /** The stored leaf is exactly what the row's fields encode to. */
  leafMatchesRow: boolean;
  /**
   * The retained clear IP hashes to the leaf's `net` (HMAC under the server secret): the operator's record of the
   * address was not changed after the fact. null once retention cleared it (or none was recorded).
   */
  ipMatchesNet: boolean | null;
  checkpoint: { size: number; root: string; note: string };
  /** Inclusion proof against that checkpoint (null when the event is newer than it: a moment after commit). */
  proof: string[] | null;
  proofOk: boolean;
  signatureOk: boolean;
  signatureError: string | null;
  vkey: string;
}

export type EventDetailResult = { kind: 'not-found' } | { kind: 'found'; detail: EventDetail };

export async function viewAuditEvent(
  deps: AuditDeps & Pick<AppDeps, 'keys'>,
  input: { user: SessionUser; index: number; meta: RequestMeta },
): Promise<EventDetailResult> {
  const scope = auditScope(input.user);
  const row = await findEvent(deps.db, input.index);
  const visible =
    row !== undefined && (scope.kind === 'platform' || (await inScope(deps.db, scope.orgCode, input.index)));
  // Logged before served, found or not (an organisation's auditor probing other indexes is worth seeing).
  await recordAudit(deps, input.user, input.meta, {
    action: 'audit.query',
    outcome: visible ? 'success' : 'not_found',
    detail: { view: 'event', index: input.index },
  });
  if (!row || !visible) return { kind: 'not-found' };

  const log = deps.logs.access;
  const leaf = await log.leaf(input.index);
  const cp = log.latestCheckpoint;
  if (!leaf) return { kind: 'not-found' };
  let leafBody = '';
  try {
    leafBody = JSON.stringify(parseLeaf(leaf).body, null, 2);
  } catch (e) {
    leafBody = `（リーフを解釈できません：${(e as Error).message}）`;
  }
  let expected: Uint8Array | null = null;
  try {
    expected = accessLeaf({
      action: row.action,
      actor: row.actor,
      at: row.at,
      net: row.net,
      outcome: row.outcome,
      target: row.target,
    });
  } catch {
    expected = null;
  }
  const hash = leafHash(leaf);
  const proof = input.index < cp.size ? await log.inclusionProof(input.index, cp.size) : null;
  let signatureOk = false;
  let signatureError: string | null = null;
  let signedRoot: Uint8Array | null = null;
  try {
    const opened = await openCheckpoint(cp.note, log.vkey, log.origin);
    signatureOk = opened.size === cp.size;
    signedRoot = opened.root;
  } catch (e) {
    signatureError = (e as Error).message;
  }
  return {
    kind: 'found',
    detail: {
      item: (await withActorLabels(deps, [row]))[0]!,
      leafText: fromUtf8(leaf),
      leafBody,
      leafHash: toBase64(hash),
      leafMatchesRow: expected !== null && toBase64(expected) === toBase64(leaf),
      ipMatchesNet: row.ip === null ? null : netOf(deps.keys.secrets.net, row.ip) === row.net,
      checkpoint: { size: cp.size, root: toBase64(cp.root), note: cp.note },
      proof: proof ? proof.map(toBase64) : null,
      // Against the root inside the signed note, not the column: what an outside verifier would do.
      proofOk:
        proof !== null &&
        signedRoot !== null &&
        verifyInclusion(input.index, cp.size, hash, proof, signedRoot),
      signatureOk,
      signatureError,
      vkey: log.vkey,
    },
  };
}
