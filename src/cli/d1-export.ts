// The SQL behind `densho export`: one consistent snapshot of a Node/SQLite database written as INSERT statements
// that Cloudflare D1 accepts (`wrangler d1 execute densho --file …`) and that `densho import` replays into SQLite.
// Trusts the source database (it is the operator's own); what it guarantees is the shape of the output:
// - one statement per line and no raw line break inside any literal (D1's exec() splits on newlines; wrangler
//   splits on `;` outside quotes), every statement under D1's 100,000-byte statement limit, no bound parameters;
// - tables in foreign-key order, and in an order where the derived-data triggers of 0004/0005 reproduce the
//   source's derived rows exactly (see TABLES);
// - a guard first (the target must be empty and carry exactly the source's migrations) and a row-count check
//   last, so a wrong target or a truncated file fails the whole import — D1 runs a --file import atomically.
import type BetterSqlite3 from 'better-sqlite3';

/** D1: "Maximum SQL statement length 100,000 bytes (100 KB)" (developers.cloudflare.com/d1/platform/limits, Apr 2026). */
export const D1_MAX_STATEMENT_BYTES = 100_000;
/** What we aim under, leaving room for the statement around the values. */
const STATEMENT_BUDGET = 90_000;
/** Rows per multi-row INSERT: also bounded so one statement never grows a huge VALUES list. */
const MAX_ROWS_PER_INSERT = 500;
/** A text value whose literal is longer than this is sent in parts when its row alone exceeds the budget. */
const PART_CODE_POINTS = 8_000;

/** Scratch tables the import creates and drops again (names say why they exist if an import stops half-way). */
const GUARD_TABLE = '_densho_import_guard';
const PARTS_TABLE = '_densho_import_parts';

type Mode = 'insert' | 'insert-or-ignore' | 'overwrite';

interface TablePlan {
  name: string;
  /**
   * insert: plain rows. insert-or-ignore: a trigger may already have written some of these rows (access_scopes).
   * overwrite: a trigger kept a running value that the source's exact value replaces (access_daily counts).
   */
  mode: Mode;
}

/**
 * Every table, in the order the import writes it. Foreign keys point backwards (checked at export time). The
 * derived tables need this order: access_events goes in BEFORE certificates, so its trigger adds only the
 * organisation scopes (as it did at the time) and none from certificates that did not exist yet when the event
 * was written; the source's exact access_scopes rows follow (insert-or-ignore) and the exact access_daily counts
 * last (overwrite), so every derived row equals the source's rather than a recomputation of it.
 */
export const TABLES: readonly TablePlan[] = [
  { name: 'organisations', mode: 'insert' },
  { name: 'surety_keys', mode: 'insert' },
  { name: 'users', mode: 'insert' },
  { name: 'logs', mode: 'insert' },
  { name: 'log_entries', mode: 'insert' },
  { name: 'log_tiles', mode: 'insert' },
  { name: 'log_checkpoints', mode: 'insert' },
  { name: 'access_events', mode: 'insert' },
  { name: 'certificates', mode: 'insert' },
  { name: 'certificate_events', mode: 'insert' },
  { name: 'org_certificates', mode: 'insert' },
  { name: 'acknowledgements', mode: 'insert' },
  { name: 'access_scopes', mode: 'insert-or-ignore' },
  { name: 'access_daily', mode: 'overwrite' },
  { name: 'sessions', mode: 'insert' },
  { name: 'throttles', mode: 'insert' },
  { name: 'api_jti', mode: 'insert' },
];

/**
 * Not exported: d1_migrations belongs to whoever applies the migrations (`wrangler d1 migrations apply`, or the
 * Node migrator) — the guard checks the target has the same ones instead; sqlite_* and D1's _cf_* are internal.
 */
function skipped(table: string): boolean {
  return table === 'd1_migrations' || table.startsWith('sqlite_') || table.startsWith('_cf_');
}

export interface ExportSummary {
  migrations: string[];
  tables: { name: string; rows: number }[];
  logs: { name: string; origin: string; size: number; root: string }[];
  statements: number;
  bytes: number;
}

export class ExportError extends Error {
  override name = 'ExportError';
}

/**
 * Write the SQL for the database to `write` (called with chunks of whole lines). Reads everything inside one read
 * transaction, so a server appending meanwhile changes nothing the export sees.
 */
export function exportD1Sql(
  sqlite: BetterSqlite3.Database,
  write: (chunk: string) => void,
  meta: { createdAt: Date; source: string },
): ExportSummary {
  const out = new LineWriter(write);
  sqlite.exec('BEGIN');
  try {
    const migrations = (
      sqlite.prepare('SELECT name FROM d1_migrations ORDER BY name').all() as { name: string }[]
    ).map((r) => r.name);
    checkTables(sqlite);
    const counts = TABLES.map((t) => ({
      name: t.name,
      rows: Number((sqlite.prepare(`SELECT count(*) AS n FROM "${t.name}"`).get() as { n: number }).n),
    }));
    const logs = (
      sqlite
        .prepare(
          `SELECT l.name, l.origin, c.size, hex(c.root) AS root FROM logs l
           JOIN log_checkpoints c ON c.log = l.name
           WHERE c.size = (SELECT max(size) FROM log_checkpoints WHERE log = l.name) ORDER BY l.name`,
        )
        .all() as { name: string; origin: string; size: number; root: string }[]
    ).map((l) => ({ ...l, root: Buffer.from(l.root, 'hex').toString('base64') }));

    out.comment(`densho export — ${meta.createdAt.toISOString()} — from ${meta.source}`);
    out.comment(`migrations: ${migrations.join(', ')}`);
    for (const l of logs) out.comment(`log ${l.name}: origin ${l.origin}, size ${l.size}, root ${l.root}`);
    for (const c of counts) out.comment(`${c.name}: ${c.rows} rows`);
    out.comment('Apply to a database that has exactly these migrations and no rows, e.g.');
    out.comment(
      '  npx wrangler d1 migrations apply densho --remote && npx wrangler d1 execute densho --remote --file THIS_FILE',
    );
    out.comment(
      'One statement per line; the import is all or nothing (the guard below and the row check at the end).',
    );

    const everyTableEmpty = TABLES.map((t) => `NOT EXISTS (SELECT 1 FROM "${t.name}")`).join(' AND ');
    out.statement(
      `CREATE TABLE ${GUARD_TABLE} (database_must_be_empty INTEGER CHECK (database_must_be_empty = 1), migrations_must_match_export INTEGER CHECK (migrations_must_match_export = 1), rows_must_match_export INTEGER CHECK (rows_must_match_export = 1))`,
    );
    // Migrations first, alone: with other migrations a table named below might not exist, and "no such table"
    // would hide the real reason.
    out.statement(
      `INSERT INTO ${GUARD_TABLE} (migrations_must_match_export) SELECT coalesce((SELECT group_concat(name, ',' ORDER BY name) FROM d1_migrations), '') = ${textLiteral(migrations.join(','))}`,
    );
    out.statement(`INSERT INTO ${GUARD_TABLE} (database_must_be_empty) SELECT ${everyTableEmpty}`);

    const parts = new PartWriter(out);
    for (const table of TABLES) writeTable(sqlite, table, out, parts);

    const rowsMatch = counts.map((c) => `(SELECT count(*) FROM "${c.name}") = ${c.rows}`).join(' AND ');
    out.statement(`INSERT INTO ${GUARD_TABLE} (rows_must_match_export) SELECT ${rowsMatch}`);
    if (parts.used) out.statement(`DROP TABLE ${PARTS_TABLE}`);
    out.statement(`DROP TABLE ${GUARD_TABLE}`);
    out.comment('end of densho export');
    out.flush();
    return { migrations, tables: counts, logs, statements: out.statements, bytes: out.bytes };
  } finally {
    sqlite.exec('COMMIT');
  }
}

/** Every table of the source is planned (a new migration's table must be added to TABLES), and FKs point back. */
function checkTables(sqlite: BetterSqlite3.Database): void {
  const present = (
    sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  )
    .map((r) => r.name)
    .filter((n) => !skipped(n));
  const planned = TABLES.map((t) => t.name);
  const unknown = present.filter((n) => !planned.includes(n));
  if (unknown.length > 0) {
    throw new ExportError(
      `the database has table(s) densho export does not know (${unknown.join(', ')}) — add them to TABLES in src/cli/d1-export.ts (in foreign-key order) and export again`,
    );
  }
  const missing = planned.filter((n) => !present.includes(n));
  if (missing.length > 0) {
    throw new ExportError(
      `the database lacks table(s) ${missing.join(', ')} — run \`densho migrate\` on it first`,
    );
  }
  planned.forEach((name, i) => {
    const parents = sqlite.prepare(`PRAGMA foreign_key_list("${name}")`).all() as { table: string }[];
    for (const p of parents) {
      const at = planned.indexOf(p.table);
      if (at > i) {
        throw new ExportError(
          `TABLES in src/cli/d1-export.ts lists ${name} before ${p.table}, which it references — move ${p.table} up`,
        );
      }
    }
  });
}

function writeTable(
  sqlite: BetterSqlite3.Database,
  table: TablePlan,
  out: LineWriter,
  parts: PartWriter,
): void {
  const info = sqlite.prepare(`PRAGMA table_xinfo("${table.name}")`).all() as {
    name: string;
    pk: number;
    hidden: number;
  }[];
  const columns = info.filter((c) => c.hidden === 0);
  const pk = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  const orderBy = (pk.length > 0 ? pk : columns).map((c) => `"${c.name}"`).join(', ');
  const columnList = columns.map((c) => `"${c.name}"`).join(', ');
  const head =
    table.mode === 'insert-or-ignore'
      ? `INSERT OR IGNORE INTO "${table.name}" (${columnList}) VALUES `
      : `INSERT INTO "${table.name}" (${columnList}) VALUES `;
  let tail = '';
  if (table.mode === 'overwrite') {
    const set = columns.filter((c) => c.pk === 0).map((c) => `"${c.name}" = excluded."${c.name}"`);
    tail = ` ON CONFLICT (${pk.map((c) => `"${c.name}"`).join(', ')}) DO UPDATE SET ${set.join(', ')}`;
  }
  const fixed = utf8Length(head) + utf8Length(tail);

  let rows: string[] = [];
  let size = fixed;
  const flush = (): void => {
    if (rows.length === 0) return;
    out.statement(`${head}${rows.join(', ')}${tail}`);
    rows = [];
    size = fixed;
  };
  const stmt = sqlite.prepare(`SELECT ${columnList} FROM "${table.name}" ORDER BY ${orderBy}`);
  stmt.raw(true).safeIntegers(true);
  for (const values of stmt.iterate() as IterableIterator<unknown[]>) {
    let literals = values.map(literal);
    let tuple = `(${literals.join(', ')})`;
    let length = utf8Length(tuple) + 2;
    if (fixed + length > STATEMENT_BUDGET) {
      // One row alone is too long (a 64 KB JWS with its payload): its long texts go in parts first.
      flush();
      literals = values.map((v, i) =>
        typeof v === 'string' && utf8Length(literals[i]!) > STATEMENT_BUDGET / 8
          ? parts.write(v, `${table.name}.${columns[i]!.name}`)
          : literals[i]!,
      );
      tuple = `(${literals.join(', ')})`;
      length = utf8Length(tuple) + 2;
      if (fixed + length > STATEMENT_BUDGET) {
        throw new ExportError(
          `a row of ${table.name} needs a ${fixed + length}-byte statement even with its texts in parts (D1 allows ${D1_MAX_STATEMENT_BYTES}) — a blob this large cannot go through D1's SQL import`,
        );
      }
    }
    if (size + length > STATEMENT_BUDGET || rows.length >= MAX_ROWS_PER_INSERT) flush();
    rows.push(tuple);
    size += length;
  }
  flush();
}

/**
 * Texts too long for one statement are inserted in pieces into a scratch table and put together in the row's
 * INSERT with group_concat(… ORDER BY seq) (SQLite ≥ 3.44; D1 and better-sqlite3 both are).
 */
class PartWriter {
  used = false;
  private next = 0;
  constructor(private readonly out: LineWriter) {}

  write(value: string, what: string): string {
    if (!this.used) {
      this.out.statement(
        `CREATE TABLE ${PARTS_TABLE} (seq INTEGER PRIMARY KEY, k TEXT NOT NULL, part TEXT NOT NULL)`,
      );
      this.used = true;
    }
    const key = `${what}#${this.next++}`;
    const points = Array.from(value);
    for (let i = 0; i < points.length; i += PART_CODE_POINTS) {
      const piece = points.slice(i, i + PART_CODE_POINTS).join('');
      this.out.statement(
        `INSERT INTO ${PARTS_TABLE} (k, part) VALUES (${textLiteral(key)}, ${textLiteral(piece)})`,
      );
    }
    return `(SELECT group_concat(part, '' ORDER BY seq) FROM ${PARTS_TABLE} WHERE k = ${textLiteral(key)})`;
  }
}

/** SQL literal for one SQLite value (integers arrive as bigint: exact beyond 2^53). */
export function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NULL'; // SQLite stores NaN as NULL already
    if (!Number.isFinite(v)) return v > 0 ? '9e999' : '-9e999';
    const s = String(v);
    // A REAL must stay REAL: "1" would be read back as an INTEGER.
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  if (typeof v === 'string') return textLiteral(v);
  if (v instanceof Uint8Array)
    return `X'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'`;
  throw new ExportError(`cannot export a value of type ${typeof v}`);
}

// Line breaks (and every other control character) never appear raw: D1's exec() would split the statement there.
// \p{Cc} is U+0000–U+001F and U+007F–U+009F; U+2028/U+2029 are line terminators to some readers too.
const NEEDS_HEX = /[\p{Cc}\u2028\u2029]/u;

/** A TEXT literal: quoted with '' doubled; a text with control characters as its exact UTF-8 bytes in hex. */
export function textLiteral(s: string): string {
  if (NEEDS_HEX.test(s)) return `CAST(X'${Buffer.from(s, 'utf8').toString('hex')}' AS TEXT)`;
  return `'${s.replaceAll("'", "''")}'`;
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Buffers whole lines and hands them to `write` in ~1 MB chunks; counts statements and bytes. */
class LineWriter {
  statements = 0;
  bytes = 0;
  private buffer: string[] = [];
  private buffered = 0;
  constructor(private readonly write: (chunk: string) => void) {}

  comment(text: string): void {
    this.line(`-- ${text.replace(/[\r\n]+/g, ' ')}`);
  }

  statement(sql: string): void {
    if (utf8Length(sql) + 1 > D1_MAX_STATEMENT_BYTES) {
      throw new ExportError(
        `internal: a ${utf8Length(sql)}-byte statement — D1 allows ${D1_MAX_STATEMENT_BYTES}`,
      );
    }
    this.statements++;
    this.line(`${sql};`);
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    this.write(this.buffer.join(''));
    this.buffer = [];
    this.buffered = 0;
  }

  private line(text: string): void {
    const l = `${text}\n`;
    this.buffer.push(l);
    this.buffered += l.length;
    this.bytes += utf8Length(l);
    if (this.buffered > 1 << 20) this.flush();
  }
}
