// preparedQuery (repos/prepared.ts): compiled once per database, run with new values — on a real SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/platform/node/migrator.ts';
import { type OpenedDatabase, openDatabase } from '../../src/platform/node/sqlite.ts';
import { preparedQuery } from '../../src/repos/prepared.ts';

let dir: string;
let a: OpenedDatabase;
let b: OpenedDatabase;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'densho-prepared-'));
  a = openDatabase(join(dir, 'a.db'));
  b = openDatabase(join(dir, 'b.db'));
  for (const d of [a, b]) {
    migrate(d.sqlite);
    const insert = d.sqlite.prepare(
      'INSERT INTO throttles (key, failures, window_start, locked_until) VALUES (?, ?, ?, ?)',
    );
    for (let i = 0; i < 10; i++) insert.run(`${d === a ? 'a' : 'b'}:k${i}`, i, 1000 + i, 0);
  }
});
afterAll(async () => {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('preparedQuery', () => {
  it('maps each argument to its parameter whatever order the SQL binds them in, and keeps constants', async () => {
    // Arguments given (max, key) but bound key-first; `failures >= 2` is a constant of the query.
    const q = preparedQuery((db, max: number, key: string) =>
      db
        .selectFrom('throttles')
        .select(['key', 'failures'])
        .where('key', '>=', key)
        .where('failures', '>=', 2)
        .where('failures', '<=', max)
        .orderBy('key'),
    );
    expect(await q(a.db, 5, 'a:k3')).toEqual([
      { key: 'a:k3', failures: 3 },
      { key: 'a:k4', failures: 4 },
      { key: 'a:k5', failures: 5 },
    ]);
    // Second call: the compiled query is reused with new values, never the old ones.
    expect(await q(a.db, 9, 'a:k8')).toEqual([
      { key: 'a:k8', failures: 8 },
      { key: 'a:k9', failures: 9 },
    ]);
    // Another database handle gets its own compiled query and its own rows.
    expect(await q(b.db, 2, 'b:k0')).toEqual([{ key: 'b:k2', failures: 2 }]);
  });

  it('an argument may repeat in the SQL', async () => {
    const q = preparedQuery((db, v: number) =>
      db
        .selectFrom('throttles')
        .select('key')
        .where('failures', '=', v)
        .where('window_start', '=', sql<number>`${v} + 1000`),
    );
    expect(await q(a.db, 7)).toEqual([{ key: 'a:k7' }]);
    expect(await q(a.db, 1)).toEqual([{ key: 'a:k1' }]);
  });

  it('refuses a builder that inlines an argument into the SQL text', async () => {
    const q = preparedQuery((db, key: string) =>
      db.selectFrom('throttles').select('key').where('key', '=', sql.lit(key)),
    );
    await expect(q(a.db, 'a:k1')).rejects.toThrow(/bound value/);
  });
});
