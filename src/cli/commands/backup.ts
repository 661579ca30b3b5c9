// `densho backup` / `densho restore`: an online SQLite backup plus the key directory (the database cannot pass its
// startup self-check without the checkpoint key that signed it), and a restore that checks a backup completely
// before it atomically replaces the live database and keys.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../../config.ts';
import { keyDir } from '../../platform/node/keys.ts';
import { acquireLock } from '../../platform/node/lockfile.ts';
import { migrationStatus } from '../../platform/node/migrator.ts';
import { openRuntime } from '../../platform/node/runtime.ts';
import { openDatabase } from '../../platform/node/sqlite.ts';
import { summaryLine, verifyLocalLogs } from '../verify-log.ts';
import {
  CliError,
  type Command,
  commitExclusive,
  dbFile,
  flag,
  oneLine,
  openCliRuntime,
  recordOperatorAction,
  required,
  str,
} from './shared.ts';

const KEYS_FORMAT = 'densho-keys/1';
/** Only the files the key directory holds; anything else in a keys file is refused (no path tricks). */
const KEY_FILE_RE = /^(note\.jwk|secrets\.json|receipt-current|receipt-[A-Za-z0-9_-]{1,128}\.jwk)$/;

interface KeysFile {
  format: string;
  createdAt: string;
  files: Record<string, string>;
}

export function keysFileFor(backupFile: string): string {
  return `${backupFile}.keys.json`;
}

function readKeyDirectory(config: Config): Record<string, string> {
  const dir = keyDir(config.dataDir);
  if (!existsSync(join(dir, 'note.jwk'))) {
    throw new CliError(
      `no keys in ${dir} — a backup without them could never start again; restore the key directory first (or run \`densho serve\` once on a new data directory)`,
    );
  }
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    if (KEY_FILE_RE.test(name)) files[name] = readFileSync(join(dir, name), 'utf8');
  }
  return files;
}

function timestamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export const backup: Command = {
  name: 'backup',
  summary: 'online backup of the database plus the key directory',
  usage: 'densho backup --to FILE [--force]',
  help: `Copies DENSHO_DATA_DIR/densho.db to FILE with SQLite's online backup (safe while the server runs) and the key
directory to FILE.keys.json (mode 0600). Keep the two together: a database without the keys that signed its
checkpoints cannot pass the startup self-check, and the keys are the only copy of the platform's identity.
FILE.keys.json holds private keys and secrets — store it like one. Refuses to overwrite without --force.
The backup is recorded in the access log (admin.backup, with the log sizes it holds) just after the copy.`,
  options: { to: { type: 'string' }, force: { type: 'boolean' } },
  async run(ctx) {
    const config = ctx.config();
    const to = resolve(required(ctx.values, 'to', 'densho-2025-12-20.db'));
    const keysTo = keysFileFor(to);
    const force = flag(ctx.values, 'force');
    const src = dbFile(config);
    if (!existsSync(src)) throw new CliError(`no database at ${src} — check DENSHO_DATA_DIR`);
    if (!existsSync(dirname(to)))
      throw new CliError(`the directory ${dirname(to)} does not exist — create it first`);
    for (const f of [to, keysTo]) {
      if (existsSync(f) && !force)
        throw new CliError(`${f} exists — choose another --to, or add --force to overwrite`);
    }
    const keys = readKeyDirectory(config);
    const tmp = `${to}.tmp-${process.pid}`;
    const opened = openDatabase(src, { readonly: true });
    try {
      await opened.sqlite.backup(tmp);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new CliError(`backup to ${to} failed: ${(e as Error).message}`);
    } finally {
      await opened.close();
    }
    try {
      chmodSync(tmp, 0o600);
      const check = openDatabase(tmp, { readonly: true });
      let result: unknown;
      let sizes: { log: string; size: number }[];
      try {
        result = check.sqlite.pragma('quick_check', { simple: true });
        sizes = check.sqlite
          .prepare('SELECT log, max(size) AS size FROM log_checkpoints GROUP BY log ORDER BY log')
          .all() as { log: string; size: number }[];
      } finally {
        check.sqlite.close();
      }
      if (result !== 'ok')
        throw new CliError(`the backup copy fails SQLite's check (${String(result)}) — try again`);
      const keysFile: KeysFile = { format: KEYS_FORMAT, createdAt: new Date().toISOString(), files: keys };
      writeFileSync(`${keysTo}.tmp-${process.pid}`, `${JSON.stringify(keysFile, null, 2)}\n`, {
        mode: 0o600,
      });
      renameSync(`${keysTo}.tmp-${process.pid}`, keysTo);
      renameSync(tmp, to);
      for (const f of [`${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
      const logs = sizes.map((s) => `${s.log} ${s.size}`).join(', ') || 'no log yet';
      ctx.io.out(`backup: ${to} (${statSync(to).size} bytes; ${logs} entries)`);
      ctx.io.out(`keys:   ${keysTo} (0600 — private keys; keep it with the backup, and secret)`);
      // Recorded after the copy (so the backup holds the log up to the sizes named here), server running or not.
      await recordOperatorAction(ctx, 'backup', {
        action: 'admin.backup',
        detail: { to, bytes: statSync(to).size, logs: Object.fromEntries(sizes.map((s) => [s.log, s.size])) },
      });
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  },
};

function readKeysFile(path: string): KeysFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(
      `cannot read the keys file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} — it is written next to the backup as FILE.keys.json (or give --keys)`,
    );
  }
  const k = parsed as Partial<KeysFile>;
  if (k?.format !== KEYS_FORMAT || typeof k.files !== 'object' || k.files === null) {
    throw new CliError(`${path} is not a densho keys file (format ${KEYS_FORMAT})`);
  }
  for (const [name, content] of Object.entries(k.files)) {
    if (!KEY_FILE_RE.test(name) || typeof content !== 'string')
      throw new CliError(`${path} holds an unexpected entry ${JSON.stringify(name)}`);
  }
  if (!('note.jwk' in k.files) || !('receipt-current' in k.files) || !('secrets.json' in k.files)) {
    throw new CliError(`${path} lacks note.jwk, receipt-current or secrets.json — it is incomplete`);
  }
  return k as KeysFile;
}

/** Fold the WAL into the main file and remove -wal/-shm, so the file alone is the whole database. */
function checkpointAndDetach(file: string): void {
  const opened = openDatabase(file);
  try {
    opened.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    opened.sqlite.close();
  }
  for (const f of [`${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}

export const restore: Command = {
  name: 'restore',
  summary: 'check a backup completely, then replace the database and keys with it',
  usage: 'densho restore --from FILE [--keys KEYS_FILE]',
  help: `Refused while a server (or anything else) holds the data directory's lock. Checks the backup in a staging
directory first: SQLite integrity_check, migrations known to this version, the startup self-check with the keys
from FILE.keys.json (or --keys), and a full verify-log of both logs. Only then it replaces
DENSHO_DATA_DIR/densho.db (atomic rename; the previous database is kept as densho.db.before-restore-<time>) and
the key directory (previous one kept as keys.before-restore-<time>). On any failure nothing is changed.
The restore is then recorded in the restored access log (admin.restore).`,
  options: { from: { type: 'string' }, keys: { type: 'string' } },
  async run(ctx) {
    const config = ctx.config();
    const from = resolve(required(ctx.values, 'from', 'densho-2025-12-20.db'));
    const keysPath = resolve(str(ctx.values, 'keys') ?? keysFileFor(from));
    if (!existsSync(from)) throw new CliError(`no backup at ${from} — check --from`);
    const keys = readKeysFile(keysPath);
    mkdirSync(config.dataDir, { recursive: true });
    const lock = acquireLock(config.dataDir, 'restore');
    const ts = timestamp();
    const staging = join(config.dataDir, `.restore-${ts}-${process.pid}`);
    try {
      mkdirSync(join(staging, 'keys'), { recursive: true, mode: 0o700 });
      chmodSync(join(staging, 'keys'), 0o700);
      const stagedDb = join(staging, 'densho.db');
      copyFileSync(from, stagedDb);
      chmodSync(stagedDb, 0o600);
      for (const [name, content] of Object.entries(keys.files)) {
        writeFileSync(join(staging, 'keys', name), content, { mode: 0o600 });
      }
      const refuse = (why: string): never => {
        throw new CliError(`restore refused: ${from} ${why} — nothing was changed`);
      };
      // 1. SQLite's own structural check.
      const opened = openDatabase(stagedDb);
      try {
        const integrity = opened.sqlite.pragma('integrity_check', { simple: true });
        if (integrity !== 'ok') refuse(`is damaged (integrity_check: ${String(integrity)})`);
        // 2. Migrations this version knows (a newer densho's backup is refused rather than half-understood).
        try {
          migrationStatus(opened.sqlite);
        } catch (e) {
          refuse(`was written by a newer densho: ${(e as Error).message}`);
        }
      } finally {
        opened.sqlite.close();
      }
      // 3. The startup self-check, with the backup's own keys.
      try {
        const runtime = await openRuntime({ ...config, dataDir: staging });
        await runtime.close();
      } catch (e) {
        refuse(`does not pass the startup self-check with ${keysPath}: ${oneLine((e as Error).message)}`);
      }
      // 4. Every leaf, tile, checkpoint and domain row.
      let summaries: Awaited<ReturnType<typeof verifyLocalLogs>> = [];
      try {
        summaries = await verifyLocalLogs({ dataDir: staging });
      } catch (e) {
        refuse(`fails verify-log: ${oneLine((e as Error).message)}`);
      }
      checkpointAndDetach(stagedDb);

      // Replace: keep the old database (hard link) and keys, then rename the checked copies into place.
      const live = dbFile(config);
      const keptDb = `${live}.before-restore-${ts}`;
      const liveKeys = keyDir(config.dataDir);
      const keptKeys = `${liveKeys}.before-restore-${ts}`;
      if (existsSync(live)) {
        checkpointAndDetach(live);
        linkSync(live, keptDb);
      }
      renameSync(stagedDb, live);
      if (existsSync(liveKeys)) renameSync(liveKeys, keptKeys);
      renameSync(join(staging, 'keys'), liveKeys);
      for (const s of summaries) ctx.io.out(summaryLine(s));
      ctx.io.out(`restored ${from} into ${config.dataDir}`);
      // The restore is an operator action in the restored database's access log (we still hold the lock).
      try {
        const runtime = await openCliRuntime(config);
        try {
          await commitExclusive(runtime, {
            writes: [],
            action: 'admin.restore',
            detail: {
              from,
              logs: Object.fromEntries(summaries.map((s) => [s.log, s.leaves])),
              previous: existsSync(keptDb) ? keptDb : null,
            },
            done: '',
          });
        } finally {
          await runtime.close();
        }
      } catch (e) {
        ctx.io.err(
          `densho: note: restored, but recording admin.restore in the access log failed (${oneLine((e as Error).message)}) — start the server to check the logs`,
        );
      }
      if (existsSync(keptDb)) ctx.io.out(`previous database kept as ${keptDb}`);
      if (existsSync(keptKeys)) ctx.io.out(`previous keys kept as ${keptKeys}`);
    } finally {
      rmSync(staging, { recursive: true, force: true });
      lock.release();
    }
  },
};
