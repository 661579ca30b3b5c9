// densho export / import: a real instance (HTTP pushes, a receipt, a key rotation, bulk log entries, texts with line
// breaks, quotes and emoji, one row too long for a single D1 statement) exported, then (1) replayed line by line into
// a fresh migrated SQLite — identical rows, verify-log passes, the old receipt verifies against the imported server,
// which keeps appending; (2) applied to a real local D1 with wrangler, read back; plus every refusal.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import type { JSONWebKeySet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { fillLogs } from '../../bench/fixtures.ts';
import { applyExport, exportStatements } from '../../src/cli/commands/export.ts';
import { D1_MAX_STATEMENT_BYTES, TABLES, textLiteral } from '../../src/cli/d1-export.ts';
import { loadConfig } from '../../src/config.ts';
import { loadOrCreateKeys } from '../../src/platform/node/keys.ts';
import { MIGRATIONS_DIR, migrate } from '../../src/platform/node/migrator.ts';
import { openRuntime } from '../../src/platform/node/runtime.ts';
import { ALL_SECRET_NAMES, SECRET_NAMES } from '../../src/platform/secret-names.ts';
import { insertOrganisation } from '../../src/repos/organisations.ts';
import { platformKeysFromSecrets, secretsFromPlatformKeys } from '../../src/services/platform-secrets.ts';
import { type ReceiptDocument, verifyReceiptDocument } from '../../src/services/receipts.ts';
import { followUp, issueEvent, startTestPlatform } from '../helpers/platform.ts';
import { cli, envFor, freePort, ROOT, tempDir } from './helpers.ts';

const run = promisify(execFile);

// Everything a text column must carry through unchanged: CRLF, tab, quotes, SQL comment and statement markers,
// U+2028, CJK and an astral-plane emoji.
const TRICKY = "那須塩原市長\r\n'第1工区' \"JV\"\t-- /* ; */ END; \u2028 😀 ''";
// Longer than one D1 statement can hold (100,000 bytes): goes through the parts table.
const BIG = `${'長い名前'.repeat(9_000)}\n${'x'.repeat(30_000)}`;

let work: string;
let source: string;
let port: number;
let sqlFile: string;
let before: Record<string, unknown[]>;
let receipt: ReceiptDocument;
let sourceVkey: string;
let exportOut: string[];

/** Every exported table's rows in primary-key order, blobs as hex, integers exact. */
function dumpAll(file: string): Record<string, unknown[]> {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of TABLES) {
      const rows = db.prepare(`SELECT * FROM "${t.name}" ORDER BY 1, 2`).safeIntegers(true).raw(true).all();
      out[t.name] = (rows as unknown[][]).map((r) =>
        r.map((v) =>
          Buffer.isBuffer(v) ? `x${v.toString('hex')}` : typeof v === 'bigint' ? v.toString() : v,
        ),
      );
    }
    return out;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  work = tempDir('densho-export-');
  source = join(work, 'source');
  port = await freePort();
  const platform = await startTestPlatform({ dataDir: source, port, keepDataDir: true });
  try {
    const base = issueEvent();
    const r = await platform.push(await platform.surety.sign(base));
    expect(r.status).toBe(201);
    receipt = (await r.json()) as ReceiptDocument;
    for (const ev of [
      followUp(base, 'change', { contractAmount: 60_000_000 }),
      followUp(base, 'correction'),
    ]) {
      expect((await platform.push(await platform.surety.sign(ev))).status).toBe(201);
    }
    sourceVkey = (await (await fetch(`${platform.url}/log/certs/vkey`)).text()).trim();
    const db = platform.server.runtime.database.db;
    for (const [code, name] of [
      ['TRICKY', TRICKY],
      ['BIG', BIG],
    ] as const) {
      await insertOrganisation(db, {
        kind: 'orderer',
        code,
        name,
        acceptsEsurety: true,
        acceptsSince: null,
        now: Date.now(),
      });
    }
  } finally {
    await platform.close();
  }
  // Volume: enough rows that every log table needs many INSERT statements.
  const runtime = await openRuntime(loadConfig(envFor(source, { PORT: String(port) })));
  try {
    await fillLogs(runtime, { certs: 2_000, access: 3_000 }, { batch: 500 });
  } finally {
    await runtime.close();
  }
  // The receipt above was signed with the key rotated away here: only its public half travels.
  expect((await cli(envFor(source), ['keys', 'rotate'])).code).toBe(0);

  before = dumpAll(join(source, 'densho.db'));
  sqlFile = join(work, 'densho-export.sql');
  const r = await cli(envFor(source), ['export', '--to', sqlFile]);
  expect(r.code, r.err.join('\n')).toBe(0);
  exportOut = r.out;
}, 120_000);

describe('densho export', () => {
  it('writes D1-shaped SQL: one statement per line, each under 100 KB, chunked, 0600, no secrets inside', () => {
    expect(exportOut[0]).toMatch(
      /^export: .* \(\d+ statements, \d+ bytes; \d+ rows; access \d+, certs 2003 entries\)/,
    );
    expect(statSync(sqlFile).mode & 0o777).toBe(0o600);
    const sql = readFileSync(sqlFile, 'utf8');
    const lines = sql.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.at(-2)).toBe('-- end of densho export');
    for (const line of lines.slice(0, -1)) {
      expect(Buffer.byteLength(line)).toBeLessThan(D1_MAX_STATEMENT_BYTES);
      expect(line.startsWith('--') || line.endsWith(';')).toBe(true);
      expect(line).not.toMatch(/[\r\u2028]/);
    }
    // 2003 cert + 3000+ access leaves do not fit one statement: split into several.
    expect(lines.filter((l) => l.startsWith('INSERT INTO "log_entries"')).length).toBeGreaterThan(5);
    expect(lines.filter((l) => l.startsWith('INSERT INTO "access_events"')).length).toBeGreaterThan(2);
    expect(sql).toContain('INSERT INTO _densho_import_parts');
    expect(lines.some((l) => l.startsWith('INSERT INTO "d1_migrations"'))).toBe(false);

    const secretsFile = `${sqlFile}.secrets.json`;
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>;
    expect(Object.keys(secrets).sort()).toEqual([...ALL_SECRET_NAMES].sort());
    const note = JSON.parse(secrets.DENSHO_NOTE_KEY_JWK!) as { d: string };
    const jwks = JSON.parse(secrets.DENSHO_RECEIPT_KEYS_JWKS!) as { keys: { d?: string; kid: string }[] };
    expect(jwks.keys).toHaveLength(2);
    expect(jwks.keys[0]!.d).toBeTypeOf('string'); // current: private
    expect(jwks.keys[1]!.d).toBeUndefined(); // earlier: public only
    for (const secret of [
      note.d,
      jwks.keys[0]!.d!,
      secrets.DENSHO_AUTHKEY_SECRET!,
      secrets.DENSHO_NET_SECRET!,
    ]) {
      expect(sql).not.toContain(secret);
    }
    for (const name of ALL_SECRET_NAMES) {
      expect(exportOut.some((l) => l.endsWith(`npx wrangler secret put ${name}`))).toBe(true);
    }
    expect(exportOut.join('\n')).toMatch(new RegExp(`keep DENSHO_ORIGIN=https://127\\.0\\.0\\.1:${port}`));
  });

  it('records the export in the access log of the source (after the snapshot)', () => {
    const db = new BetterSqlite3(join(source, 'densho.db'), { readonly: true });
    try {
      const last = db.prepare('SELECT action FROM access_events ORDER BY log_index DESC LIMIT 1').get();
      expect(last).toEqual({ action: 'admin.export' });
    } finally {
      db.close();
    }
  });

  it('refuses a missing data directory, existing files, and names the fix', async () => {
    const none = await cli(envFor(join(work, 'nowhere')), ['export', '--to', join(work, 'x.sql')]);
    expect(none.code).toBe(1);
    expect(none.err[0]).toMatch(/no database at .*nowhere.*set DENSHO_DATA_DIR to the data directory/);
    const again = await cli(envFor(source), ['export', '--to', sqlFile]);
    expect(again.code).toBe(1);
    expect(again.err[0]).toMatch(/exists — choose another file, or add --force/);
    const noTo = await cli(envFor(source), ['export']);
    expect(noTo.code).toBe(2);
  });

  it('the secret values are exactly the key set (the Worker reads them with platformKeysFromSecrets)', async () => {
    const keys = await loadOrCreateKeys(source);
    const values = secretsFromPlatformKeys(keys);
    expect(JSON.parse(readFileSync(`${sqlFile}.secrets.json`, 'utf8'))).toEqual(values);
    const back = platformKeysFromSecrets(values);
    expect(back.note).toEqual(keys.note);
    expect(back.receipt).toEqual(keys.receipt);
    expect(back.receiptPublic.map((k) => k.kid)).toEqual(keys.receiptPublic.map((k) => k.kid));
    expect(back.secrets).toEqual(keys.secrets);
    const { [SECRET_NAMES.netSecret]: _gone, ...missing } = values;
    expect(() => platformKeysFromSecrets(missing)).toThrow(
      /DENSHO_NET_SECRET is not set — run `npx wrangler secret put DENSHO_NET_SECRET`/,
    );
    expect(() => platformKeysFromSecrets({ ...values, [SECRET_NAMES.authKeySecret]: 'c2hvcnQ=' })).toThrow(
      /DENSHO_AUTHKEY_SECRET must be 32 bytes/,
    );
  });

  it('has help in the CLI style', async () => {
    const help = await cli(envFor(source), ['export', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: densho export --to FILE/);
    const all = await cli(envFor(source), ['--help']);
    expect(all.stdout).toMatch(/^ {2}export +write the database as SQL for Cloudflare D1/m);
    expect(all.stdout).toMatch(/^ {2}import +fill a new data directory/m);
  });

  it('text literals round-trip exactly through SQLite', () => {
    const db = new BetterSqlite3(':memory:');
    try {
      for (const s of [TRICKY, '', "'", '\n', 'a\u0001b', '\u2029', '😀'.repeat(3)]) {
        const lit = textLiteral(s);
        expect(lit).not.toMatch(/[\n\r]/);
        const got = db.prepare(`SELECT ${lit} AS v, typeof(${lit}) AS t`).get() as { v: string; t: string };
        expect(got).toEqual({ v: s, t: 'text' });
      }
    } finally {
      db.close();
    }
  });
});

describe('densho import (the same statements, replayed into SQLite)', () => {
  let imported: string;

  beforeAll(async () => {
    imported = join(work, 'imported');
    const r = await cli(envFor(imported), ['import', '--from', sqlFile]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out.join('\n')).toMatch(/^certs: 2003 leaves, .*OK/m);
    expect(r.out.join('\n')).toMatch(/^access: \d+ leaves, .*OK/m);
  }, 60_000);

  it('every table is identical, derived audit rows included', () => {
    const after = dumpAll(join(imported, 'densho.db'));
    for (const t of TABLES) expect(after[t.name], t.name).toEqual(before[t.name]);
    expect(before.access_scopes!.length).toBeGreaterThan(0);
    const names = (before.organisations as string[][]).map((r) => r[3]);
    expect(names).toContain(TRICKY);
    expect(names).toContain(BIG);
  });

  it('verify-log passes on the copy with the exported keys; an old receipt verifies against the copy, which appends on', async () => {
    const v = await cli(envFor(imported), ['verify-log']);
    expect(v.code, v.err.join('\n')).toBe(0);
    // Same port = same DENSHO_ORIGIN as the source (the rule README states for moving an instance).
    const platform = await startTestPlatform({ dataDir: imported, port, keepDataDir: true });
    try {
      const jwks = (await (await fetch(`${platform.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
      expect(jwks.keys).toHaveLength(2);
      const vkey = (await (await fetch(`${platform.url}/log/certs/vkey`)).text()).trim();
      expect(vkey).toBe(sourceVkey);
      const payload = await verifyReceiptDocument(receipt, { jwks, vkey });
      expect(payload.idx).toBe(0);
      // verify-receipt also proves consistency from the receipt's tree to the imported server's current one.
      const file = join(work, 'receipt.json');
      writeFileSync(file, JSON.stringify(receipt));
      const vr = await cli(envFor(imported), [
        'verify-receipt',
        file,
        '--url',
        platform.url,
        '--vkey',
        vkeyFile(vkey),
      ]);
      expect(vr.code, vr.err.join('\n')).toBe(0);
      expect(vr.out.at(-1)).toMatch(/^consistency: OK \(tree 1 → 2003,/);
      // The log continues: a new event gets index 2003 and a receipt signed with the (imported) current key.
      const next = await platform.push(await platform.surety.sign(issueEvent()));
      expect(next.status).toBe(201);
      const doc = (await next.json()) as ReceiptDocument;
      expect(doc.log.index).toBe(2003);
      await verifyReceiptDocument(doc, { jwks, vkey });

      // Exporting while this server runs: one read snapshot, which replays cleanly.
      const live = join(work, 'live.sql');
      const ex = await cli(envFor(imported), ['export', '--to', live]);
      expect(ex.code, ex.err.join('\n')).toBe(0);
      expect(ex.out[0]).toMatch(/certs 2004 entries/);
      const db = new BetterSqlite3(':memory:');
      try {
        migrate(db);
        applyExport(db, readFileSync(live, 'utf8'));
        expect(db.prepare("SELECT count(*) AS n FROM log_entries WHERE log = 'certs'").get()).toEqual({
          n: 2004,
        });
      } finally {
        db.close();
      }
    } finally {
      await platform.close();
    }
  });

  it('refuses a data directory that already has a database, and a target with other migrations', async () => {
    const r = await cli(envFor(imported), ['import', '--from', sqlFile]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/already holds a database or keys — .*set DENSHO_DATA_DIR to an empty one/);

    // A target migrated only up to 0004: the guard stops the import before any row.
    const dir = tempDir('densho-migrations-');
    for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f < '0005')) {
      writeFileSync(join(dir, f), readFileSync(join(MIGRATIONS_DIR, f)));
    }
    const db = new BetterSqlite3(':memory:');
    try {
      migrate(db, dir);
      expect(() => applyExport(db, readFileSync(sqlFile, 'utf8'))).toThrow(/migrations_must_match_export/);
      expect(db.prepare('SELECT count(*) AS n FROM organisations').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('a truncated file fails the row check', () => {
    const sql = readFileSync(sqlFile, 'utf8');
    const statements = exportStatements(sql);
    const truncated = [...statements.slice(0, 40), ...statements.slice(-3)].join('\n');
    const db = new BetterSqlite3(':memory:');
    try {
      migrate(db);
      expect(() => applyExport(db, truncated)).toThrow(/rows_must_match_export/);
      expect(db.prepare('SELECT count(*) AS n FROM log_entries').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});

function vkeyFile(vkey: string): string {
  const f = join(work, 'certs.vkey');
  writeFileSync(f, `${vkey}\n`);
  return f;
}

describe('wrangler d1 execute --local (a real local D1, offline)', () => {
  const wrangler = join(ROOT, 'node_modules/.bin/wrangler');
  const env = {
    ...process.env,
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_SEND_METRICS: 'false',
    CI: '1',
  };
  let cwd: string;
  const d1 = async (...args: string[]) =>
    run(wrangler, ['d1', ...args, 'DB', '--local', '--persist-to', join(cwd, 'state')], {
      cwd,
      env,
      timeout: 120_000,
      maxBuffer: 64 << 20,
    });
  const query = async (sql: string): Promise<Record<string, unknown>[]> => {
    const { stdout } = await d1('execute', '--json', '--command', sql);
    return (JSON.parse(stdout) as { results: Record<string, unknown>[] }[]).flatMap((r) => r.results);
  };

  beforeAll(async () => {
    cwd = tempDir('densho-d1-');
    writeFileSync(
      join(cwd, 'wrangler.toml'),
      [
        'name = "densho-export-test"',
        'compatibility_date = "2026-05-01"',
        '[[d1_databases]]',
        'binding = "DB"',
        'database_name = "densho"',
        'database_id = "00000000-0000-4000-8000-000000000000"',
        `migrations_dir = ${JSON.stringify(MIGRATIONS_DIR)}`,
        '',
      ].join('\n'),
    );
    await d1('migrations', 'apply');
    await d1('execute', '--file', sqlFile);
  }, 180_000);

  it('has the same rows, log sizes and roots, and exact texts', async () => {
    const counts = await query(
      `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM "${t.name}") AS "${t.name}"`).join(', ')}`,
    );
    expect(counts[0]).toEqual(Object.fromEntries(TABLES.map((t) => [t.name, before[t.name]!.length])));
    const roots = await query(
      'SELECT log, size, hex(root) AS root FROM log_checkpoints c WHERE size = (SELECT max(size) FROM log_checkpoints WHERE log = c.log) ORDER BY log',
    );
    // The snapshot's latest checkpoint per log (rows: log, size, root, note, created_at; blobs as "x<hex>").
    const latest = new Map<string, { log: string; size: number; root: string }>();
    for (const [log, size, root] of before.log_checkpoints as [string, string, string][]) {
      latest.set(log, { log, size: Number(size), root: root.slice(1).toUpperCase() });
    }
    expect(roots).toEqual([latest.get('access'), latest.get('certs')]);
    const names = await query(
      "SELECT code, name, length(name) AS n FROM organisations WHERE code IN ('TRICKY', 'BIG') ORDER BY code",
    );
    expect(names).toEqual([
      { code: 'BIG', name: BIG, n: [...BIG].length },
      { code: 'TRICKY', name: TRICKY, n: [...TRICKY].length },
    ]);
    expect(await query("SELECT name FROM sqlite_master WHERE name LIKE '\\_densho%' ESCAPE '\\'")).toEqual(
      [],
    );
  }, 60_000);

  it('a second import into the now non-empty D1 is refused by the guard, and nothing changes', async () => {
    // The export's opening statements (its guard) are enough, and spare wrangler's slow local splitter the rest.
    const head = join(cwd, 'head.sql');
    const lines = readFileSync(sqlFile, 'utf8').split('\n');
    writeFileSync(
      head,
      `${lines.slice(0, lines.findIndex((l) => l.startsWith('INSERT INTO "')) + 1).join('\n')}\n`,
    );
    await expect(d1('execute', '--file', head)).rejects.toMatchObject({
      stderr: expect.stringMatching(/database_must_be_empty/),
    });
    const [{ n }] = (await query('SELECT count(*) AS n FROM log_entries')) as [{ n: number }];
    expect(n).toBe(before.log_entries!.length);
    expect(existsSync(join(cwd, 'state'))).toBe(true);
  }, 60_000);
});
