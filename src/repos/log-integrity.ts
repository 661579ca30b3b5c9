// Reads for the auditor console's full recompute of a log (services/audit-integrity.ts): leaves joined with their
// domain rows, hash tiles and checkpoints, chunk by chunk. All Kysely code; read-only. Everything below a tree
// size that was already checkpointed is immutable (the triggers of 0001_init), so chunks read at different
// moments still describe one tree even while the sequencer appends.
import { type Kysely, sql } from 'kysely';
import type { Database, LogName } from './database.ts';

export interface AccessLeafRow {
  idx: number;
  leaf: Uint8Array;
  /** Null when the leaf has no access_events row. */
  log_index: number | null;
  at: number | null;
  action: string | null;
  actor: string | null;
  net: string | null;
  outcome: string | null;
  target: string | null;
}

export interface CertLeafRow {
  idx: number;
  leaf: Uint8Array;
  log_index: number | null;
  contract_number: string | null;
  event: string | null;
  version: number | null;
  issued_at: number | null;
  submission: Uint8Array | null;
  surety_id: number | null;
  jws: string | null;
  tree_size: number | null;
}

/** Leaves [start, end) of the access log with their access_events rows, in index order. */
export function accessLeafRows(db: Kysely<Database>, start: number, end: number): Promise<AccessLeafRow[]> {
  return db
    .selectFrom('log_entries as l')
    .leftJoin('access_events as a', 'a.log_index', 'l.idx')
    .select([
      'l.idx',
      'l.leaf',
      'a.log_index',
      'a.at',
      'a.action',
      'a.actor',
      'a.net',
      'a.outcome',
      'a.target',
    ])
    .where('l.log', '=', 'access')
    .where('l.idx', '>=', start)
    .where('l.idx', '<', end)
    .orderBy('l.idx')
    .execute();
}

/**
 * Fast pass over leaves [start, end) of the access log (the same SQL test as `densho verify-log`): each leaf's text
 * when it is byte-for-byte the leaf its access_events row implies, else null; and the row's time. Two columns per
 * leaf instead of nine. Values go between the quotes unescaped, which is exact for a leaf without a backslash
 * (every JSON escape starts with one, and equal texts leave no room for an extra quote); others come back null
 * and take the precise pass.
 */
export async function accessLeafTexts(
  db: Kysely<Database>,
  start: number,
  end: number,
): Promise<{ idx: number; text: string | null; at: number | null }[]> {
  const quoted = (c: string) => sql.raw(`CASE WHEN ${c} IS NULL THEN 'null' ELSE '"' || ${c} || '"' END`);
  const r = await sql<{ idx: number; text: string | null; at: number | null }>`
    SELECT e.idx AS idx,
           CASE WHEN a.log_index IS NOT NULL AND instr(e.leaf, char(92)) = 0
                 AND e.leaf = CAST('densho/access/v1' || char(10) || '{"action":"' || a.action || '","actor":' ||
                       ${quoted('a.actor')} || ',"at":' || a.at || ',"net":"' || a.net || '","outcome":"' ||
                       a.outcome || '","target":' || ${quoted('a.target')} || '}' AS BLOB)
                THEN CAST(e.leaf AS TEXT) END AS text,
           a.at AS at
    FROM log_entries e
    LEFT JOIN access_events a ON a.log_index = e.idx
    WHERE e.log = 'access' AND e.idx >= ${start} AND e.idx < ${end}
    ORDER BY e.idx`.execute(db);
  return r.rows;
}

/** Leaves [start, end) of the certificate log with their certificate_events rows, in index order. */
export function certLeafRows(db: Kysely<Database>, start: number, end: number): Promise<CertLeafRow[]> {
  return db
    .selectFrom('log_entries as l')
    .leftJoin('certificate_events as c', 'c.log_index', 'l.idx')
    .select([
      'l.idx',
      'l.leaf',
      'c.log_index',
      'c.contract_number',
      'c.event',
      'c.version',
      'c.issued_at',
      'c.submission',
      'c.surety_id',
      'c.jws',
      'c.tree_size',
    ])
    .where('l.log', '=', 'certs')
    .where('l.idx', '>=', start)
    .where('l.idx', '<', end)
    .orderBy('l.idx')
    .execute();
}

/** Checkpoints with after < size ≤ upto, oldest first. */
export function checkpointsIn(
  db: Kysely<Database>,
  log: LogName,
  after: number,
  upto: number,
): Promise<{ size: number; root: Uint8Array; note: string }[]> {
  return db
    .selectFrom('log_checkpoints')
    .select(['size', 'root', 'note'])
    .where('log', '=', log)
    .where('size', '>', after)
    .where('size', '<=', upto)
    .orderBy('size')
    .execute();
}

export function checkpointAtSize(
  db: Kysely<Database>,
  log: LogName,
  size: number,
): Promise<{ size: number; root: Uint8Array; note: string; created_at: number } | undefined> {
  return db
    .selectFrom('log_checkpoints')
    .select(['size', 'root', 'note', 'created_at'])
    .where('log', '=', log)
    .where('size', '=', size)
    .executeTakeFirst();
}

/** Stored hash tiles of one level with first ≤ idx ≤ last, in index order. */
export function tilesIn(
  db: Kysely<Database>,
  log: LogName,
  level: number,
  first: number,
  last: number,
): Promise<{ idx: number; hashes: Uint8Array }[]> {
  return db
    .selectFrom('log_tiles')
    .select(['idx', 'hashes'])
    .where('log', '=', log)
    .where('level', '=', level)
    .where('idx', '>=', first)
    .where('idx', '<=', last)
    .orderBy('idx')
    .execute();
}

/** Rows of the log's domain table below `size` (each leaf has exactly one). */
export async function domainRowsBelow(db: Kysely<Database>, log: LogName, size: number): Promise<number> {
  const table = log === 'certs' ? 'certificate_events' : 'access_events';
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('log_index', '<', size)
    .executeTakeFirstOrThrow();
  return row.n;
}

/** Surety codes by organisation id: a certificate leaf names its surety by code, the event row by id. */
export async function suretyCodes(db: Kysely<Database>): Promise<Map<number, string>> {
  const rows = await db
    .selectFrom('organisations')
    .select(['id', 'code'])
    .where('kind', '=', 'surety')
    .execute();
  return new Map(rows.map((r) => [r.id, r.code]));
}

/** When the latest checkpoint of each log was signed. */
export async function latestCheckpointTimes(db: Kysely<Database>): Promise<Map<LogName, number>> {
  const out = new Map<LogName, number>();
  for (const log of ['certs', 'access'] as const) {
    const row = await db
      .selectFrom('log_checkpoints')
      .select('created_at')
      .where('log', '=', log)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row) out.set(log, row.created_at);
  }
  return out;
}
