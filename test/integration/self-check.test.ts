// Startup self-check: the server refuses to start on a store that disagrees with its latest signed checkpoint.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { databaseFile, openRuntime } from '../../src/platform/node/runtime.ts';
import { openDatabase } from '../../src/platform/node/sqlite.ts';
import { LogIntegrityError } from '../../src/services/trust-log.ts';
import { issueEvent, startTestPlatform, tempDataDir } from '../helpers/platform.ts';

let pristine: string;
const copies: string[] = [];

beforeAll(async () => {
  const p = await startTestPlatform({ keepDataDir: true });
  // Enough events to fill a whole tile (256) and leave a partial one.
  for (let i = 0; i < 300; i += 50) {
    const jwss = await Promise.all(Array.from({ length: 50 }, () => p.surety.sign(issueEvent())));
    const res = await Promise.all(jwss.map((j) => p.push(j)));
    expect(res.every((r) => r.status === 201)).toBe(true);
  }
  pristine = p.dataDir;
  await p.close();
});

afterAll(() => {
  for (const d of [pristine, ...copies]) rmSync(d, { recursive: true, force: true });
});

/** A copy of the data dir with one raw SQL change applied (triggers dropped first, as an attacker would). */
function tampered(sql: string): string {
  const dir = tempDataDir('densho-tamper-');
  copies.push(dir);
  cpSync(pristine, dir, { recursive: true });
  const db = openDatabase(databaseFile(dir));
  for (const t of ['log_tiles_only_grow', 'log_checkpoints_no_update', 'log_entries_no_update']) {
    db.sqlite.exec(`DROP TRIGGER IF EXISTS ${t}`);
  }
  db.sqlite.exec(sql);
  db.sqlite.close();
  return dir;
}

async function start(dir: string) {
  return openRuntime(loadConfig({ DENSHO_DATA_DIR: dir, PORT: '8787' }));
}

describe('startup self-check', () => {
  it('starts on the untouched store', async () => {
    const rt = await start(pristine);
    expect(rt.logs.certs.size).toBe(300);
    await rt.close();
  });

  const cases: [string, string, RegExp][] = [
    // The start-up check reads the O(log n) nodes on the tree's right edge. An interior full tile is covered by
    // its parent tile's hash; rewriting it is caught by `densho verify-log` (full recompute, test/cli), not here.
    [
      'the level-1 tile that commits to the full tile 0',
      "UPDATE log_tiles SET hashes = randomblob(32) WHERE log='certs' AND level=1 AND idx=0",
      /does not match the signed checkpoint/,
    ],
    [
      'a hash in the partial edge tile',
      "UPDATE log_tiles SET hashes = randomblob(length(hashes)) WHERE log='certs' AND level=0 AND idx=1",
      /does not match/,
    ],
    [
      'the latest checkpoint root',
      "UPDATE log_checkpoints SET root = randomblob(32) WHERE log='certs' AND size=(SELECT max(size) FROM log_checkpoints WHERE log='certs')",
      /disagrees with its signed note/,
    ],
    [
      'the latest checkpoint note',
      "UPDATE log_checkpoints SET note = replace(note, '300', '301') WHERE log='certs' AND size=300",
      /does not verify/,
    ],
    [
      'the last leaf',
      "UPDATE log_entries SET leaf = CAST('densho/cert/v1' || char(10) || '{}' AS BLOB) WHERE log='certs' AND idx=299",
      /does not match its stored hash/,
    ],
    [
      'a leaf appended without a checkpoint',
      "INSERT INTO log_entries (log, idx, leaf) VALUES ('certs', 300, CAST('x' AS BLOB))",
      /301 leaves but its latest checkpoint covers 300/,
    ],
  ];

  for (const [what, sql, message] of cases) {
    it(`refuses to start when ${what} was altered`, async () => {
      const dir = tampered(sql);
      const err = await start(dir).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LogIntegrityError);
      expect(String((err as Error).message)).toMatch(message);
      expect(String((err as Error).message)).toMatch(/restore from backup|restore both/);
    });
  }

  it('refuses to start with a key directory that does not belong to the database', async () => {
    const dir = tempDataDir('densho-tamper-');
    copies.push(dir);
    cpSync(pristine, dir, { recursive: true });
    rmSync(join(dir, 'keys'), { recursive: true, force: true }); // fresh keys get generated
    const err = await start(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LogIntegrityError);
    expect(String((err as Error).message)).toMatch(/key directory does not belong to this database/);
  });
});
