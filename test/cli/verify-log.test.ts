// verify-log against real logs: a clean log passes; copies with one leaf byte, a tile hash, a checkpoint root or
// signature, or an event row changed (triggers dropped on the copy) fail and name what is wrong. Also the worker
// path (many small segments) and in-order reporting.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { fillLogs } from '../../bench/fixtures.ts';
import { verifyLocalLogs } from '../../src/cli/verify-log.ts';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/entry-node.ts';
import { openRuntime } from '../../src/platform/node/runtime.ts';
import { cli, envFor, freePort, issueEvent, tempDir } from './helpers.ts';

let base: string;

/** A copy of the data directory (database and keys) with `sql` applied to its database. */
function tampered(sql: string): string {
  const copy = join(tempDir('densho-tamper-'), 'data');
  cpSync(base, copy, { recursive: true });
  const db = new BetterSqlite3(join(copy, 'densho.db'));
  db.exec(sql);
  db.close();
  return copy;
}

async function failure(dataDir: string): Promise<string> {
  const r = await cli(envFor(dataDir), ['verify-log']);
  expect(r.code).toBe(1);
  expect(r.err).toHaveLength(1);
  return r.err[0]!;
}

beforeAll(async () => {
  // Five certificate events pushed over HTTP by the real client, then the server stopped.
  const dir = tempDir();
  base = join(dir, 'data');
  const env = envFor(base, { PORT: String(await freePort()) });
  const key = join(dir, 'k.jwk');
  for (const args of [
    ['migrate'],
    ['org', 'add', '--kind', 'orderer', '--code', '092134', '--name', '那須塩原市長', '--accepts-esurety'],
    ['org', 'add', '--kind', 'surety', '--code', 'ejcs', '--name', '東日本建設業保証株式会社'],
    ['keygen', '--out', key, '--public', join(dir, 'p.jwk')],
    ['surety-key', 'add', '--surety', 'ejcs', '--jwk', join(dir, 'p.jwk')],
  ]) {
    expect((await cli(env, args)).code).toBe(0);
  }
  const server = await startServer(loadConfig(env));
  const { writeFileSync } = await import('node:fs');
  for (let i = 1; i <= 5; i++) {
    const file = join(dir, `e${i}.json`);
    writeFileSync(file, JSON.stringify(issueEvent(`31074-0000${i}M`)));
    const r = await cli(env, ['push', '--key', key, '--url', server.url, file]);
    expect(r.code, r.err.join()).toBe(0);
  }
  await server.close();
});

describe('verify-log (local)', () => {
  it('passes on a fresh log with events, one summary line per log', async () => {
    const r = await cli(envFor(base), ['verify-log']);
    expect(r.code, r.err.join()).toBe(0);
    expect(r.out).toHaveLength(2);
    expect(r.out[0]).toMatch(/^certs: 5 leaves, 6 checkpoints, 1 tiles, OK \(/);
    // 3 operator changes (org add ×2, surety-key add) and the 5 pushes (each surety API call is an access event).
    expect(r.out[1]).toMatch(/^access: 8 leaves, 9 checkpoints, 1 tiles, OK \(/);
  });

  it('never writes: the database file is unchanged', async () => {
    const copy = tampered('SELECT 1');
    const { readFileSync } = await import('node:fs');
    const before = readFileSync(join(copy, 'densho.db'));
    expect((await cli(envFor(copy), ['verify-log'])).code).toBe(0);
    expect(readFileSync(join(copy, 'densho.db')).equals(before)).toBe(true);
  });

  it('finds one changed leaf byte', async () => {
    const copy = tampered(`DROP TRIGGER log_entries_no_update;
      UPDATE log_entries SET leaf = CAST(replace(CAST(leaf AS TEXT), '31074-00003M', '31074-00008M') AS BLOB)
      WHERE log = 'certs' AND idx = 2;`);
    expect(await failure(copy)).toMatch(
      /^densho: certs: leaf 2 does not match its event row — contract_number is "31074-00003M" in the row but "31074-00008M" in the leaf/,
    );
  });

  it('finds a changed tile hash', async () => {
    const copy = tampered(`DROP TRIGGER log_tiles_only_grow;
      UPDATE log_tiles SET hashes = CAST(substr(hashes, 1, 32) || zeroblob(32) || substr(hashes, 65) AS BLOB)
      WHERE log = 'certs' AND level = 0 AND idx = 0;`);
    expect(await failure(copy)).toMatch(
      /^densho: certs: tile 0\/000\.p\/5 entry 1 differs from the hash recomputed/,
    );
  });

  it('finds a changed checkpoint root', async () => {
    const copy = tampered(`DROP TRIGGER log_checkpoints_no_update;
      UPDATE log_checkpoints SET root = zeroblob(32) WHERE log = 'certs' AND size = 3;`);
    expect(await failure(copy)).toMatch(
      /^densho: certs: checkpoint at size 3: its root column AAAA.* differs from the root recomputed/,
    );
  });

  it('finds a checkpoint whose signed note was altered', async () => {
    const copy = tampered(`DROP TRIGGER log_checkpoints_no_update;
      UPDATE log_checkpoints SET note = replace(note, substr(note, instr(note, '— ') + 2, 60), substr(note, instr(note, '— ') + 2, 50) || 'AAAAAAAAAA')
      WHERE log = 'access' AND size = 2;`);
    expect(await failure(copy)).toMatch(/^densho: access: checkpoint at size 2: /);
  });

  it("finds an event row's changed issued_at", async () => {
    const copy = tampered(`DROP TRIGGER certificate_events_no_update;
      UPDATE certificate_events SET issued_at = issued_at + 1 WHERE log_index = 1;`);
    expect(await failure(copy)).toMatch(
      /^densho: certs: leaf 1 does not match its event row — issued_at is \S+ in the row but \S+ in the leaf/,
    );
  });

  it('finds a JWS that no longer hashes to its submission', async () => {
    const copy = tampered(`DROP TRIGGER certificate_events_no_update;
      UPDATE certificate_events SET jws = jws || 'A' WHERE log_index = 4;`);
    expect(await failure(copy)).toMatch(
      /^densho: certs: event row 4: submission is not the SHA-256 of its stored JWS/,
    );
  });

  it('finds an access row that disagrees with its leaf, and a missing leaf', async () => {
    const copy = tampered(`DROP TRIGGER access_events_leaf_fields_frozen;
      UPDATE access_events SET actor = 'operator:mallory' WHERE log_index = 0;`);
    expect(await failure(copy)).toMatch(
      /^densho: access: leaf 0 does not match its event row — actor is "operator:mallory" in the row/,
    );
    const gone = tampered(
      `DROP TRIGGER log_entries_no_delete; DELETE FROM log_entries WHERE log = 'certs' AND idx = 4;`,
    );
    expect(await failure(gone)).toMatch(
      /^densho: certs: the log has 4 leaves but its latest checkpoint covers 5/,
    );
  });

  it('says what to do when the keys are missing', async () => {
    const copy = tampered('SELECT 1');
    const { rmSync } = await import('node:fs');
    rmSync(join(copy, 'keys'), { recursive: true });
    expect(await failure(copy)).toMatch(/no checkpoint key at .*restore the key directory/);
  });
});

describe('verify-log over many segments (worker threads)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(tempDir(), 'data');
    const runtime = await openRuntime(loadConfig(envFor(dir)));
    await fillLogs(runtime, { certs: 3000, access: 1300 }, { batch: 700 });
    await runtime.close();
  });

  it('agrees inline and with workers, segment by segment', async () => {
    const inline = await verifyLocalLogs({ dataDir: dir, segmentBits: 8, workers: 1 });
    const parallel = await verifyLocalLogs({ dataDir: dir, segmentBits: 8, workers: 2 });
    const big = await verifyLocalLogs({ dataDir: dir });
    const strip = (s: typeof inline) => s.map(({ ms: _ms, ...rest }) => rest);
    expect(strip(inline)).toEqual([
      { log: 'certs', leaves: 3000, checkpoints: 6, tiles: 13 },
      { log: 'access', leaves: 1300, checkpoints: 3, tiles: 7 },
    ]);
    expect(strip(parallel)).toEqual(strip(inline));
    expect(strip(big)).toEqual(strip(inline));
  });

  it('reports the first finding in log order even when a later segment also fails', async () => {
    const copy = join(tempDir(), 'data');
    cpSync(dir, copy, { recursive: true });
    const db = new BetterSqlite3(join(copy, 'densho.db'));
    db.exec(`DROP TRIGGER certificate_events_no_update;
      UPDATE certificate_events SET issued_at = issued_at + 5 WHERE log_index IN (2900, 1500);`);
    db.close();
    await expect(verifyLocalLogs({ dataDir: copy, segmentBits: 8, workers: 2 })).rejects.toThrow(
      /^certs: leaf 1500 does not match its event row — issued_at/,
    );
  });
});
