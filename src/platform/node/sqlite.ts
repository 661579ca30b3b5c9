// Node adapter for SQLite: opens the database file with the durability pragmas, wraps it in Kysely,
// and provides the AtomicWriter (one synchronous better-sqlite3 transaction per call).
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type CompiledQuery, Kysely, type SqliteDatabase, SqliteDialect } from 'kysely';
import type { Database } from '../../repos/database.ts';
import type { AtomicWriter } from '../ports.ts';

export type SqliteHandle = BetterSqlite3.Database;

export interface OpenedDatabase {
  sqlite: SqliteHandle;
  db: Kysely<Database>;
  atomic: SqliteAtomicWriter;
  close(): Promise<void>;
}

/**
 * Open (creating if needed) the SQLite file. WAL + synchronous=FULL: a COMMIT has reached the disk
 * (fsync of the WAL) before better-sqlite3 returns, which is what every receipt and every
 * "logged before served" page relies on. better-sqlite3's default with WAL is NORMAL, which can lose
 * the last commits on power loss — so we set FULL explicitly and check it took.
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): OpenedDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  if (!options.readonly) {
    sqlite.pragma('journal_mode = WAL');
    // The database holds password hashes and auth-key digests: owner-only, like the key directory.
    if (file !== ':memory:') {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        try {
          chmodSync(f, 0o600);
        } catch {
          // -wal/-shm may not exist yet; SQLite creates them with the database file's mode.
        }
      }
    }
  }
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const sync = sqlite.pragma('synchronous', { simple: true });
  if (sync !== 2)
    throw new Error(`SQLite refused synchronous=FULL (got ${String(sync)}); cannot promise durability`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: preparedOnce(sqlite) }) });
  const atomic = new SqliteAtomicWriter(sqlite);
  return {
    sqlite,
    db,
    atomic,
    close: async () => {
      await db.destroy(); // closes the better-sqlite3 handle too
    },
  };
}

/**
 * Kysely's SQLite driver prepares every query anew; under load better-sqlite3's prepare() was 13 % of a 保証確認
 * request's CPU. The app issues a few dozen distinct SQL shapes, so each is prepared once and reused. Safe because
 * Kysely runs one query at a time on its single connection (its mutex is held until a streamed query ends), so a
 * cached statement is never busy twice; SQLite re-prepares a statement by itself after a schema change.
 */
function preparedOnce(sqlite: SqliteHandle): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      let st = statements.get(sql);
      if (!st) {
        // Bounded like the writer's cache: odd multi-row shapes must not grow it forever.
        if (statements.size > 512) statements.clear();
        st = sqlite.prepare(sql);
        statements.set(sql, st);
      }
      return st;
    },
  };
}

/** Runs compiled Kysely queries in one IMMEDIATE transaction; statements are prepared once and reused. */
export class SqliteAtomicWriter implements AtomicWriter {
  /** Called after every successful commit (the WAL checkpointer waits for the writer to go quiet). */
  onCommit: (() => void) | null = null;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly runAll: (queries: readonly CompiledQuery[]) => void;

  constructor(private readonly sqlite: SqliteHandle) {
    this.runAll = sqlite.transaction((queries: readonly CompiledQuery[]) => {
      for (const q of queries) this.statement(q.sql).run(...q.parameters.map(toSqliteValue));
    }).immediate;
  }

  run(queries: readonly CompiledQuery[]): Promise<void> {
    // Synchronous on purpose: the transaction, including the fsync at COMMIT, completes before we resolve.
    try {
      this.runAll(queries);
      this.onCommit?.();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      // Batches produce a handful of distinct multi-row shapes; bound the cache so odd sizes can't grow it forever.
      if (this.statements.size > 512) this.statements.clear();
      st = this.sqlite.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }
}

/** better-sqlite3 binds Buffers, not plain Uint8Arrays. */
function toSqliteValue(v: unknown): unknown {
  if (v instanceof Uint8Array && !Buffer.isBuffer(v))
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}
