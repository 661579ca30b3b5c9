// `densho export` / `densho import`: move an instance between Node/SQLite and Cloudflare D1 + Workers. export writes
// one consistent snapshot as D1-ready SQL plus, in a separate 0600 file, the keys and secrets as Workers secret
// values; import replays both into a NEW Node data directory (the way back, and how the tests prove the round trip).
// The log origin travels inside the data (every checkpoint names it), so the target must keep the same
// DENSHO_ORIGIN; the keys travel beside it, because a log without the key that signed it cannot be continued.
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { keyDir, loadOrCreateKeys, writeKeyDirectory } from '../../platform/node/keys.ts';
import { migrate, migrationStatus } from '../../platform/node/migrator.ts';
import { openDatabase } from '../../platform/node/sqlite.ts';
import { ALL_SECRET_NAMES } from '../../platform/secret-names.ts';
import { platformKeysFromSecrets, secretsFromPlatformKeys } from '../../services/platform-secrets.ts';
import { ExportError, exportD1Sql } from '../d1-export.ts';
import { summaryLine, verifyLocalLogs } from '../verify-log.ts';
import {
  assertNoServer,
  CliError,
  type Command,
  dbFile,
  flag,
  recordOperatorAction,
  required,
  str,
} from './shared.ts';

export function secretsFileFor(sqlFile: string): string {
  return `${sqlFile}.secrets.json`;
}

/** The public origin a log origin implies: "densho.example.jp/log/certs" → "densho.example.jp". */
function hostOf(logOrigin: string): string {
  return logOrigin.split('/')[0]!;
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write the database as SQL for Cloudflare D1, and the keys as Workers secrets',
  usage: 'densho export --to FILE [--secrets SECRETS_FILE] [--force]',
  help: `Reads one consistent snapshot of DENSHO_DATA_DIR/densho.db (safe while the server runs: one read transaction)
and writes FILE: INSERT statements for every table in foreign-key order, one statement per line, each under D1's
100 KB statement limit, blobs as X'..' literals, line breaks never raw. It checks itself on import: the target must
be empty and carry the same migrations, and the row counts must match at the end — else nothing is imported.
d1_migrations is not exported: apply the migrations on the target first (wrangler d1 migrations apply).
The checkpoint key, the receipt keys and the HMAC secrets go to SECRETS_FILE (default FILE.secrets.json, mode 0600)
as {"NAME": "value"} for \`wrangler secret bulk\` — never into the SQL. FILE is 0600 too: it holds password hashes.
For the final move stop the server first: events accepted after the snapshot are not in FILE.
  --to FILE               the SQL file to write
  --secrets SECRETS_FILE  where the Workers secret values go (default FILE.secrets.json)
  --force                 overwrite existing files
Then (see README "Moving to Cloudflare D1"): wrangler d1 migrations apply densho, wrangler d1 execute densho --file FILE,
wrangler secret bulk SECRETS_FILE, deploy with the same DENSHO_ORIGIN.`,
  options: { to: { type: 'string' }, secrets: { type: 'string' }, force: { type: 'boolean' } },
  async run(ctx) {
    const config = ctx.config();
    const to = resolve(required(ctx.values, 'to', 'densho-export.sql'));
    const secretsTo = resolve(str(ctx.values, 'secrets') ?? secretsFileFor(to));
    const force = flag(ctx.values, 'force');
    const src = dbFile(config);
    if (!existsSync(src)) {
      throw new CliError(
        `no database at ${src} — set DENSHO_DATA_DIR to the data directory of the instance to export (the one holding densho.db and keys/)`,
      );
    }
    const dir = keyDir(config.dataDir);
    for (const f of ['note.jwk', 'receipt-current', 'secrets.json']) {
      if (!existsSync(`${dir}/${f}`)) {
        throw new CliError(
          `no ${f} in ${dir} — the export needs the keys that signed the logs; restore the key directory from backup (densho restore) first`,
        );
      }
    }
    if (secretsTo === to) throw new CliError('--secrets must name another file than --to');
    for (const f of [to, secretsTo]) {
      if (!existsSync(dirname(f)))
        throw new CliError(`the directory ${dirname(f)} does not exist — create it first`);
      if (existsSync(f) && !force)
        throw new CliError(`${f} exists — choose another file, or add --force to overwrite`);
    }
    const keys = await loadOrCreateKeys(config.dataDir);

    const opened = openDatabase(src, { readonly: true });
    const tmp = `${to}.tmp-${process.pid}`;
    const t0 = performance.now();
    let summary: ReturnType<typeof exportD1Sql>;
    try {
      const status = migrationStatus(opened.sqlite);
      if (status.pending.length > 0) {
        throw new CliError(
          `database has unapplied migrations (${status.pending.join(', ')}) — run \`densho migrate\` first`,
        );
      }
      const fd = openSync(tmp, 'w', 0o600);
      try {
        summary = exportD1Sql(opened.sqlite, (chunk) => writeSync(fd, chunk), {
          createdAt: new Date(),
          source: src,
        });
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      rmSync(tmp, { force: true });
      if (e instanceof ExportError) throw new CliError(e.message);
      throw e;
    } finally {
      opened.sqlite.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    renameSync(tmp, to);
    const stmp = `${secretsTo}.tmp-${process.pid}`;
    const values = secretsFromPlatformKeys(keys);
    const fd = openSync(stmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(values, null, 2)}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(stmp, secretsTo);

    const rows = summary.tables.reduce((n, t) => n + t.rows, 0);
    const logs = summary.logs.map((l) => `${l.name} ${l.size}`).join(', ') || 'no log yet';
    ctx.io.out(
      `export: ${to} (${summary.statements} statements, ${summary.bytes} bytes; ${rows} rows; ${logs} entries) in ${seconds.toFixed(2)} s (${Math.round(rows / Math.max(seconds, 1e-3))} rows/s)`,
    );
    ctx.io.out(
      `secrets: ${secretsTo} (0600 — private keys; never commit it; delete it once the secrets are set)`,
    );
    const hosts = [...new Set(summary.logs.map((l) => hostOf(l.origin)))];
    ctx.io.out(
      'next, in the Worker project (densho = database_name in wrangler.toml; import before its first request):',
    );
    ctx.io.out('  npx wrangler d1 migrations apply densho --remote');
    ctx.io.out(`  npx wrangler d1 execute densho --remote --file ${to}`);
    ctx.io.out(`  npx wrangler secret bulk ${secretsTo}`);
    ctx.io.out('  or one at a time:');
    for (const name of ALL_SECRET_NAMES) {
      ctx.io.out(
        `  node -e 'process.stdout.write(require(process.argv[1]).${name})' ${secretsTo} | npx wrangler secret put ${name}`,
      );
    }
    if (hosts.length > 0) {
      ctx.io.out(
        `  keep DENSHO_ORIGIN=https://${hosts.join(' / ')} — the log origins (${summary.logs.map((l) => l.origin).join(', ')}) are inside every checkpoint`,
      );
    }
    // Private keys left the key directory: that is an operator action worth an access event (after the snapshot,
    // so the export holds the log up to the sizes printed above — like backup).
    await recordOperatorAction(ctx, 'export', {
      action: 'admin.export',
      detail: {
        to,
        secrets: secretsTo,
        bytes: statSync(to).size,
        logs: Object.fromEntries(summary.logs.map((l) => [l.name, l.size])),
      },
    });
  },
};

/** Split an export into its statements the way D1's exec() does: one per line; `--` lines are comments. */
export function exportStatements(sql: string): string[] {
  return sql.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('--'));
}

/** Run an export's statements on a migrated SQLite database, all in one transaction (as D1 imports a file). */
export function applyExport(sqlite: BetterSqlite3.Database, sql: string): number {
  const statements = exportStatements(sql);
  sqlite.transaction(() => {
    for (const s of statements) sqlite.prepare(s).run();
  })();
  return statements.length;
}

export const importCommand: Command = {
  name: 'import',
  summary: 'fill a new data directory from `densho export` output (round trip, rehearsal)',
  usage: 'densho import --from FILE [--secrets SECRETS_FILE]',
  help: `Creates DENSHO_DATA_DIR/densho.db, applies the migrations, runs FILE's statements in one transaction (the same
statements D1 runs), writes the key directory from SECRETS_FILE (default FILE.secrets.json), then runs the full
verify-log. DENSHO_DATA_DIR must not hold a database or keys yet; if anything fails, no database is left behind.
Serve the result with the DENSHO_ORIGIN the logs were created with (printed at the end).
  --from FILE             SQL written by densho export
  --secrets SECRETS_FILE  its secrets file (default FILE.secrets.json)`,
  options: { from: { type: 'string' }, secrets: { type: 'string' } },
  async run(ctx) {
    const config = ctx.config();
    const from = resolve(required(ctx.values, 'from', 'densho-export.sql'));
    const secretsFrom = resolve(str(ctx.values, 'secrets') ?? secretsFileFor(from));
    const target = dbFile(config);
    if (existsSync(target) || existsSync(`${keyDir(config.dataDir)}/note.jwk`)) {
      throw new CliError(
        `${config.dataDir} already holds a database or keys — densho import only fills a new data directory; set DENSHO_DATA_DIR to an empty one`,
      );
    }
    assertNoServer(config, 'import');
    const read = (f: string, what: string): string => {
      try {
        return readFileSync(f, 'utf8');
      } catch (e) {
        throw new CliError(
          `cannot read ${what} ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} — give the files densho export wrote`,
        );
      }
    };
    const sql = read(from, 'the export');
    if (!sql.startsWith('-- densho export')) {
      throw new CliError(
        `${from} was not written by densho export — export the source with \`densho export --to FILE\``,
      );
    }
    let keys: ReturnType<typeof platformKeysFromSecrets>;
    try {
      keys = platformKeysFromSecrets(
        JSON.parse(read(secretsFrom, 'the secrets file')) as Record<string, unknown>,
      );
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`${secretsFrom}: ${(e as Error).message}`);
    }

    const opened = openDatabase(target);
    let statements: number;
    try {
      migrate(opened.sqlite);
      try {
        statements = applyExport(opened.sqlite, sql);
      } catch (e) {
        throw new CliError(`the import stopped and left nothing behind: ${(e as Error).message}`);
      }
    } catch (e) {
      await opened.close();
      for (const f of [target, `${target}-wal`, `${target}-shm`]) rmSync(f, { force: true });
      throw e;
    }
    const origins = (
      opened.sqlite.prepare('SELECT origin FROM logs ORDER BY name').all() as { origin: string }[]
    ).map((r) => r.origin);
    await opened.close();
    writeKeyDirectory(config.dataDir, keys);
    ctx.io.out(`import: ${statements} statements into ${target}; keys in ${keyDir(config.dataDir)}`);
    const summaries = await verifyLocalLogs({ dataDir: config.dataDir });
    for (const s of summaries) ctx.io.out(summaryLine(s));
    if (origins.length > 0) {
      ctx.io.out(
        `serve it with DENSHO_ORIGIN=<scheme>://${[...new Set(origins.map(hostOf))].join(' / ')} (the log origins are ${origins.join(', ')})`,
      );
    }
  },
};
