// Node migrator: applies db/migrations/NNNN_*.sql in order, each in its own transaction, recording them in
// the same `d1_migrations` table that `wrangler d1 migrations apply` uses, so one database moves between both.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqliteHandle } from './sqlite.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../db/migrations/', import.meta.url));

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

function listMigrations(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
}

function ensureTable(sqlite: SqliteHandle): void {
  sqlite.exec(`CREATE TABLE IF NOT EXISTS d1_migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
  )`);
}

export function migrationStatus(sqlite: SqliteHandle, dir = MIGRATIONS_DIR): MigrationStatus {
  const all = listMigrations(dir);
  const exists = sqlite
    .prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='d1_migrations'")
    .get();
  const applied = exists
    ? (sqlite.prepare('SELECT name FROM d1_migrations ORDER BY id').all() as { name: string }[]).map(
        (r) => r.name,
      )
    : [];
  const unknown = applied.filter((a) => !all.includes(a));
  if (unknown.length > 0) {
    throw new Error(
      `the database has migrations this version of densho does not know (${unknown.join(', ')}); run a newer densho`,
    );
  }
  return { applied, pending: all.filter((m) => !applied.includes(m)) };
}

/** Apply pending migrations; returns their names. */
export function migrate(sqlite: SqliteHandle, dir = MIGRATIONS_DIR): string[] {
  ensureTable(sqlite);
  const { pending } = migrationStatus(sqlite, dir);
  for (const name of pending) {
    const sql = readFileSync(`${dir}/${name}`, 'utf8');
    sqlite
      .transaction(() => {
        sqlite.exec(sql);
        sqlite.prepare('INSERT INTO d1_migrations (name) VALUES (?)').run(name);
      })
      .immediate();
  }
  return pending;
}
