// The orderer's certificate pages and 確認済み保証一覧: only certificates the user's organisation has verified,
// the history under the D-Sure display rule, and every view appended durably to the access log BEFORE it is served.
import type { CompiledQuery } from 'kysely';
import type { AppDeps } from '../app.ts';
import { toBase64 } from '../domain/bytes.ts';
import type { ProductCode } from '../domain/certificate.ts';
import { type HistoryRow, type Projection, project, type StoredEvent } from '../domain/history.ts';
import { leafHash } from '../domain/merkle.ts';
import { type AcknowledgementWithUser, listAcknowledgementsForOrg } from '../repos/acknowledgements.ts';
import { listEventHeads, storedEvent } from '../repos/certificates.ts';
import {
  type CertificateForOrg,
  findOrgCertificate,
  type ListCursor,
  listOrgCertificates,
  markViewedQuery,
  type OrgCertificate,
} from '../repos/org-certificates.ts';

/** Who is looking: the session user reduced to what these rules need. */
export interface Viewer {
  id: number;
  orgCode: string;
}

/** Request facts that go into the access event. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface CertificateDetail {
  certificate: OrgCertificate & { surety_name: string };
  events: StoredEvent[];
  projection: Projection;
  /**
   * The highest event version (= certificates.versions). "Changed since last viewed" compares THIS, not
   * projection.currentVersion: a 変更取消 moves currentVersion backwards and a 解約 leaves it unchanged, yet both
   * are exactly the changes domain.md says an orderer "must be told" about.
   */
  latestVersion: number;
  /** The version this organisation had seen before this view (null: first view). */
  previouslyViewedVersion: number | null;
  previouslyViewedAt: number | null;
  changedSinceLastView: boolean;
  acknowledgements: AcknowledgementWithUser[];
  checkpoint: { size: number; note: string };
}

export interface LogEntryInfo {
  logIndex: number;
  /** base64 of SHA-256(0x00 ‖ leaf): what the inclusion proof proves. */
  leafHash: string;
}

export type CertificateResult = { kind: 'not-found' } | { kind: 'found'; detail: CertificateDetail };
export type VersionResult =
  | { kind: 'not-found' }
  | { kind: 'found'; detail: CertificateDetail; row: HistoryRow; entry: LogEntryInfo };

/** The access-event actions of this feature (the auditor console filters on them). */
export type ViewAction = 'certificate.view' | 'certificate.version_view' | 'certificate.copy_view';

/** Only a plausible 保証契約番号 goes into the log as a target; anything else typed into a URL is not kept. */
function loggableTarget(contractNumber: string): string | null {
  return /^[A-Z0-9-]{1,32}$/.test(contractNumber) ? contractNumber : null;
}

async function load(
  deps: AppDeps,
  viewer: Viewer,
  contractNumber: string,
): Promise<CertificateDetail | null> {
  // domain.md: "Only users of that organisation may view it": no row in org_certificates is the same 404 as a
  // number that does not exist, so knowing a number gives another organisation nothing.
  const certificate = await findOrgCertificate(deps.db, viewer.orgCode, contractNumber);
  return certificate ? detailOf(deps, viewer, certificate) : null;
}

/**
 * The page of a certificate a 保証確認 has just proved the clerk may see (verify-certificate.ts), built from the row
 * that check read — BEFORE the grant that lists it commits, so the marks are those of an earlier verification, or
 * none.
 */
export function verifiedCertificateDetail(
  deps: AppDeps,
  viewer: Viewer,
  row: CertificateForOrg,
  now: number,
): Promise<CertificateDetail> {
  const { auth_key_digest: _digest, ...certificate } = row;
  // First verification: the grant in this request's transaction sets first_verified_at to now; and there are no
  // acknowledgements yet — only an organisation that has the certificate on its list may mark it (acknowledge.ts).
  const first = row.first_verified_at === null;
  return detailOf(deps, viewer, { ...certificate, first_verified_at: row.first_verified_at ?? now }, first);
}

async function detailOf(
  deps: AppDeps,
  viewer: Viewer,
  certificate: OrgCertificate & { surety_name: string },
  firstVerification = false,
): Promise<CertificateDetail> {
  const contractNumber = certificate.contract_number;
  const rows = await listEventHeads(deps.db, contractNumber);
  const events: StoredEvent[] = rows.map(storedEvent);

  const projection = project(events);
  const latestVersion = events.length;
  const before = certificate.last_viewed_version;
  const acknowledgements = firstVerification
    ? []
    : await listAcknowledgementsForOrg(deps.db, viewer.orgCode, contractNumber);
  const cp = deps.logs.certs.latestCheckpoint;
  return {
    certificate,
    events,
    projection,
    latestVersion,
    previouslyViewedVersion: before,
    previouslyViewedAt: certificate.last_viewed_at,
    changedSinceLastView: before !== null && latestVersion > before,
    acknowledgements,
    checkpoint: { size: cp.size, note: cp.note },
  };
}

/** `await`ed by every caller before it builds a response: resolves only once the event is durable. */
async function logView(
  deps: AppDeps,
  viewer: Viewer,
  meta: RequestMeta,
  action: ViewAction,
  contractNumber: string,
  outcome: 'success' | 'not_found',
  detail: Record<string, unknown> | null,
  writes: readonly CompiledQuery[] = [],
): Promise<void> {
  await deps.access.record({
    action,
    outcome,
    actor: `user:${viewer.id}`,
    orgCode: viewer.orgCode,
    target: loggableTarget(contractNumber),
    ip: meta.ip,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
    detail,
    writes,
  });
}

/**
 * The certificate page (保証証書). Order matters: "changed since last viewed" is computed from the marks as they
 * were, then the view is logged and last_viewed moved in ONE transaction (the mark rides the access event's group
 * commit) — so a failed log append leaves the notice to be shown again next time instead of silently consuming it.
 */
export async function viewCertificate(
  deps: AppDeps,
  input: { viewer: Viewer; contractNumber: string; meta: RequestMeta },
): Promise<CertificateResult> {
  const { viewer, contractNumber, meta } = input;
  const detail = await load(deps, viewer, contractNumber);
  if (!detail) {
    await logView(deps, viewer, meta, 'certificate.view', contractNumber, 'not_found', null);
    return { kind: 'not-found' };
  }
  await recordCertificateView(deps, viewer, meta, detail);
  return { kind: 'found', detail };
}

/**
 * The view event of a 保証証書 page, with the "viewed" mark that rides its transaction. Submitted to the access log
 * synchronously on call (the promise is for durability), so a caller that first submits a 保証確認's grant gets
 * both in order, in one group commit.
 */
export function recordCertificateView(
  deps: AppDeps,
  viewer: Viewer,
  meta: RequestMeta,
  detail: CertificateDetail,
): Promise<void> {
  const contractNumber = detail.certificate.contract_number;
  return logView(
    deps,
    viewer,
    meta,
    'certificate.view',
    contractNumber,
    'success',
    { version: detail.latestVersion, changedSinceLastView: detail.changedSinceLastView },
    [
      markViewedQuery(deps.db, {
        orgCode: viewer.orgCode,
        contractNumber,
        version: detail.latestVersion,
        now: deps.clock.now(),
      }),
    ],
  );
}

/**
 * One visible version (a row of 電子保証情報(履歴情報)), as a page or as the printable 写し. `version` is the row's
 * own version k; a 訂正 or 変更取消 event, or a cancelled 変更, is not a row and answers not-found
 * (seed: 「訂正、変更取消された履歴は表示されません」).
 */
export async function viewCertificateVersion(
  deps: AppDeps,
  input: {
    viewer: Viewer;
    contractNumber: string;
    version: number;
    copy: boolean;
    meta: RequestMeta;
  },
): Promise<VersionResult> {
  const { viewer, contractNumber, version, meta } = input;
  const action: ViewAction = input.copy ? 'certificate.copy_view' : 'certificate.version_view';
  const detail = await load(deps, viewer, contractNumber);
  const row = detail?.projection.rows.find((r) => r.version === version);
  const shown = row ? detail?.events[row.shownVersion - 1] : undefined;
  if (!detail || !row || !shown) {
    await logView(deps, viewer, meta, action, contractNumber, 'not_found', { version });
    return { kind: 'not-found' };
  }
  const leaf = await deps.logs.certs.leaf(shown.logIndex);
  if (!leaf)
    throw new Error(`certificate ${contractNumber} v${shown.version}: log entry ${shown.logIndex} missing`);
  await logView(deps, viewer, meta, action, contractNumber, 'success', {
    version,
    shownVersion: row.shownVersion,
  });
  return {
    kind: 'found',
    detail,
    row,
    entry: { logIndex: shown.logIndex, leafHash: toBase64(leafHash(leaf)) },
  };
}

// ---------------------------------------------------------------------------------------------
// 確認済み保証一覧
// ---------------------------------------------------------------------------------------------

export const LIST_PAGE_SIZE = 20;

export interface ListFilters {
  /** Search text as typed: 保証契約番号, 工事名 or 請負契約者 contains it. Empty = no search. */
  q: string;
  product: ProductCode | null;
  status: 'active' | 'terminated' | null;
  /** Opaque keyset cursor from a previous page's `next`. */
  after: string | null;
}

export interface ListItem {
  contractNumber: string;
  product: string;
  status: 'active' | 'terminated';
  workName: string;
  contractorName: string;
  lastIssuedAt: number;
  versions: number;
  /** Viewed before, and a new event arrived since (certificates.versions > last_viewed_version). */
  updated: boolean;
  /** Verified but the certificate page was never opened. */
  neverViewed: boolean;
}

export interface ListPage {
  items: ListItem[];
  /** Cursor for the next page, or null on the last page. */
  next: string | null;
}

/** `<last_issued_at>.<contract number>`: both parts are URL-safe as they are. */
export function encodeCursor(c: ListCursor): string {
  return `${c.lastIssuedAt}.${c.contractNumber}`;
}

export function decodeCursor(s: string): ListCursor | null {
  const m = /^([0-9]{1,15})\.([A-Z0-9-]{1,32})$/.exec(s);
  return m ? { lastIssuedAt: Number(m[1]), contractNumber: m[2]! } : null;
}

/** Identifier folding for 保証契約番号 search: full-width → ASCII, any dash → "-", upper-case. */
export function foldNumber(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/[\p{Pd}\u2212\u30FC]/gu, '-')
    .toUpperCase();
}

export async function listCertificates(
  deps: AppDeps,
  input: { viewer: Viewer; filters: ListFilters; meta: RequestMeta },
): Promise<ListPage> {
  const { viewer, filters, meta } = input;
  const text = filters.q.normalize('NFC').trim();
  const rows = await listOrgCertificates(deps.db, {
    orgCode: viewer.orgCode,
    text: text === '' ? null : text,
    numberText: text === '' ? null : foldNumber(text),
    product: filters.product,
    status: filters.status,
    // A cursor that does not parse (hand-edited URL) starts from the top rather than failing the page.
    after: filters.after === null ? null : decodeCursor(filters.after),
    limit: LIST_PAGE_SIZE,
  });
  const page = rows.slice(0, LIST_PAGE_SIZE);
  const last = page[page.length - 1];
  await deps.access.record({
    action: 'certificate.list',
    outcome: 'success',
    actor: `user:${viewer.id}`,
    orgCode: viewer.orgCode,
    target: null,
    ip: meta.ip,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
    detail: {
      q: text,
      product: filters.product,
      status: filters.status,
      after: filters.after,
      count: page.length,
    },
  });
  return {
    items: page.map((r) => ({
      contractNumber: r.contract_number,
      product: r.product,
      status: r.status,
      workName: r.work_name,
      contractorName: r.contractor_name,
      lastIssuedAt: r.last_issued_at,
      versions: r.versions,
      updated: r.last_viewed_version !== null && r.versions > r.last_viewed_version,
      neverViewed: r.last_viewed_version === null,
    })),
    next:
      rows.length > LIST_PAGE_SIZE && last
        ? encodeCursor({ lastIssuedAt: last.last_issued_at, contractNumber: last.contract_number })
        : null,
  };
}
