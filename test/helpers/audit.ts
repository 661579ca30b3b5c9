// Test helpers for the auditor console: the platform organisation, access events written straight through the
// AccessLog (as the app writes them), a streaming RFC 4180 CSV parser written for these tests (so the export is
// checked against an independent reading, not against its own writer), and JST helpers.

import { insertOrganisation } from '../../src/repos/organisations.ts';
import type { AccessEventInput } from '../../src/services/access-log.ts';
import type { TestPlatform } from './platform.ts';

export const PLATFORM_ORG = 'densho';

export async function ensurePlatformOrg(p: TestPlatform): Promise<void> {
  const db = p.server.runtime.database.db;
  const exists = await db
    .selectFrom('organisations')
    .select('id')
    .where('kind', '=', 'platform')
    .where('code', '=', PLATFORM_ORG)
    .executeTakeFirst();
  if (!exists) {
    await insertOrganisation(db, {
      kind: 'platform',
      code: PLATFORM_ORG,
      name: '電証 運営',
      acceptsEsurety: false,
      acceptsSince: null,
      now: Date.now(),
    });
  }
}

/** Record access events concurrently (they group-commit) and return their log indexes in order given. */
export async function recordEvents(p: TestPlatform, events: AccessEventInput[]): Promise<number[]> {
  const done = await Promise.all(events.map((e) => p.server.runtime.access.record(e)));
  return done.map((d) => d.index);
}

/**
 * A streaming CSV parser (RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends, newlines inside quotes).
 * Feed it text chunks; it calls onRow for every complete record. Independent of the exporter's code.
 */
export class CsvParser {
  private field = '';
  private row: string[] = [];
  private inQuotes = false;
  /** The previous chunk ended on a quote inside a quoted field: it may be the first of a doubled pair. */
  private pendingQuote = false;
  private afterCr = false;
  rows = 0;

  constructor(private readonly onRow: (row: string[]) => void) {}

  push(chunk: string): void {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (ch === '"') {
          this.field += '"';
          continue;
        }
        this.inQuotes = false; // that quote closed the field; handle ch as outside quotes
      }
      if (this.inQuotes) {
        if (ch === '"') this.pendingQuote = true;
        else this.field += ch;
        continue;
      }
      if (this.afterCr) {
        this.afterCr = false;
        if (ch === '\n') continue;
      }
      if (ch === '"') {
        if (this.field !== '') throw new Error(`quote inside an unquoted field at row ${this.rows + 1}`);
        this.inQuotes = true;
      } else if (ch === ',') {
        this.row.push(this.field);
        this.field = '';
      } else if (ch === '\r' || ch === '\n') {
        this.afterCr = ch === '\r';
        this.endRow();
      } else {
        this.field += ch;
      }
    }
  }

  private endRow(): void {
    this.row.push(this.field);
    this.field = '';
    this.onRow(this.row);
    this.rows++;
    this.row = [];
  }

  /** The end of input: a last record without a line end is still a record. */
  end(): void {
    if (this.pendingQuote) {
      this.pendingQuote = false;
      this.inQuotes = false;
    }
    if (this.inQuotes) throw new Error('unterminated quoted field');
    if (this.field !== '' || this.row.length > 0) this.endRow();
  }
}

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  const p = new CsvParser((r) => rows.push(r));
  p.push(text);
  p.end();
  return rows;
}

/** Today's date in JST (YYYY-MM-DD), computed independently of the app's helpers. */
export function jstToday(ms = Date.now()): string {
  return new Date(ms + 9 * 3600_000).toISOString().slice(0, 10);
}

/** All `<a href="/audit/events/N"` indexes in a page, in order. */
export function eventIndexes(html: string): number[] {
  return [...html.matchAll(/<th scope="row" class="audit-index"><a href="\/audit\/events\/(\d+)"/g)].map(
    (m) => Number(m[1]),
  );
}

/** The "next" link of the events table, decoded. */
export function moreHref(html: string): string | null {
  const m = /<tr id="audit-more"[\s\S]*?<a href="([^"]+)"/.exec(html);
  return m ? m[1]!.replaceAll('&amp;', '&') : null;
}
