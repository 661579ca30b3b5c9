// Export of the auditor's current filter as CSV (UTF-8 with BOM, Excel-friendly) or JSON Lines, streamed with
// constant memory: keyset pages of EXPORT_PAGE rows are read one at a time as the client consumes the stream
// (ReadableStream pull), never the whole result. The export is recorded (audit.export) durably before the first
// byte, and covers exactly the events that existed when it started: the cursor starts below the log's size then.
//
// CSV rules: RFC 4180 (CRLF line ends; a field with a comma, quote, CR or LF is quoted, quotes doubled) and the
// OWASP CSV-injection guard — a cell starting with = + - @ (or TAB / CR) gets a leading ' so a spreadsheet shows
// it as text instead of running it as a formula.
import { utf8 } from '../domain/bytes.ts';
import { listEvents } from '../repos/access-events.ts';
import type { AccessEventRow } from '../repos/database.ts';
import {
  type AuditDeps,
  type AuditFilters,
  auditScope,
  filterParams,
  type RequestMeta,
  recordAudit,
  resolveQuery,
} from './audit-events.ts';
import type { SessionUser } from './sessions.ts';

export const EXPORT_PAGE = 1000;

export type ExportFormat = 'csv' | 'jsonl';

/** Columns: Japanese label with the English key, so both a clerk and a script can read the header. */
export const CSV_COLUMNS: { key: string; label: string; value: (r: AccessEventRow) => string }[] = [
  { key: 'log_index', label: 'ログ番号', value: (r) => String(r.log_index) },
  { key: 'at_jst', label: '日時（日本時間）', value: (r) => formatJst(r.at) },
  { key: 'at', label: '日時（UTC）', value: (r) => new Date(r.at).toISOString() },
  { key: 'action', label: '操作', value: (r) => r.action },
  { key: 'outcome', label: '結果', value: (r) => r.outcome },
  { key: 'actor', label: '操作者', value: (r) => r.actor ?? '' },
  { key: 'org_code', label: '組織コード', value: (r) => r.org_code ?? '' },
  { key: 'target', label: '保証契約番号', value: (r) => r.target ?? '' },
  { key: 'ip', label: 'IPアドレス', value: (r) => r.ip ?? '' },
  { key: 'user_agent', label: 'ユーザーエージェント', value: (r) => r.user_agent ?? '' },
  { key: 'request_id', label: 'リクエストID', value: (r) => r.request_id ?? '' },
  { key: 'net', label: 'ネットワーク識別子', value: (r) => r.net },
  { key: 'detail', label: '詳細', value: (r) => r.detail ?? '' },
];

const JST_OFFSET_MS = 9 * 3600_000;
function formatJst(ms: number): string {
  const iso = new Date(ms + JST_OFFSET_MS).toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '/')} ${iso.slice(11, 19)}`;
}

/** One CSV field: formula guard first, then RFC 4180 quoting. */
export function csvCell(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

export function csvLine(cells: string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function csvHeader(): string {
  return csvLine(CSV_COLUMNS.map((c) => `${c.label} (${c.key})`));
}

export function csvRow(r: AccessEventRow): string {
  return csvLine(CSV_COLUMNS.map((c) => c.value(r)));
}

/** One JSON Lines record: English keys, ISO time, `detail` as JSON when it is JSON. */
export function jsonlRow(r: AccessEventRow): string {
  let detail: unknown = r.detail;
  if (r.detail !== null) {
    try {
      detail = JSON.parse(r.detail);
    } catch {
      detail = r.detail;
    }
  }
  return `${JSON.stringify({
    logIndex: r.log_index,
    at: new Date(r.at).toISOString(),
    atMs: r.at,
    action: r.action,
    outcome: r.outcome,
    actor: r.actor,
    orgCode: r.org_code,
    target: r.target,
    ip: r.ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
    net: r.net,
    detail,
  })}\n`;
}

export interface ExportStream {
  stream: ReadableStream<Uint8Array>;
  contentType: string;
  filename: string;
}

/**
 * Record the export, then return a stream that reads the filtered events page by page as it is consumed.
 * Memory stays at one page whatever the size of the result.
 */
export async function exportAuditEvents(
  deps: AuditDeps,
  input: { user: SessionUser; filters: AuditFilters; format: ExportFormat; meta: RequestMeta },
): Promise<ExportStream> {
  const scope = auditScope(input.user);
  const { filter, range } = await resolveQuery(deps, scope, input.filters, null);
  await recordAudit(deps, input.user, input.meta, {
    action: 'audit.export',
    outcome: 'success',
    detail: { format: input.format, filters: filterParams(input.filters), below: range.hi },
  });
  let cursor = range.hi;
  let first = true;
  let done = range.lo >= range.hi;
  const render = input.format === 'csv' ? csvRow : jsonlRow;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let text = '';
        if (first) {
          first = false;
          // The BOM tells Excel the file is UTF-8 (without it Japanese turns into mojibake).
          if (input.format === 'csv') text += `\uFEFF${csvHeader()}`;
        }
        if (!done) {
          const rows = await listEvents(deps.db, scope, filter, { lo: range.lo, hi: cursor }, EXPORT_PAGE);
          for (const r of rows) text += render(r);
          if (rows.length < EXPORT_PAGE) done = true;
          else cursor = rows[rows.length - 1]!.log_index;
        }
        if (text !== '') controller.enqueue(utf8(text));
        if (done) controller.close();
      },
    },
    // One page in flight: the next is read only when the consumer has taken this one.
    { highWaterMark: 0 },
  );
  const stamp = new Date(deps.clock.now() + JST_OFFSET_MS).toISOString().slice(0, 19).replace(/[-:T]/g, '');
  return {
    stream,
    contentType:
      input.format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/jsonl; charset=utf-8',
    filename: `densho-access-${stamp}.${input.format}`,
  };
}
