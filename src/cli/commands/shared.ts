// Shared CLI plumbing: the command contract, I/O (so tests can run commands in-process), one-line errors, flag
// validation, database readiness checks, and how operator changes are committed together with their access event.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { ParseArgsConfig } from 'node:util';
import type { CompiledQuery } from 'kysely';
import { type Config, loadConfig } from '../../config.ts';
import { accessLeaf } from '../../domain/leaf.ts';
import { acquireLock, LockHeldError, readLock } from '../../platform/node/lockfile.ts';
import { migrationStatus } from '../../platform/node/migrator.ts';
import { databaseFile, type NodeRuntime, openRuntime } from '../../platform/node/runtime.ts';
import { type OpenedDatabase, openDatabase } from '../../platform/node/sqlite.ts';
import type { LogEntryDraft } from '../../services/trust-log.ts';

/** A failure the operator can fix: printed as one line `densho: <message>` (plus optional detail lines). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
    /** Extra lines printed after the message (e.g. each `errors[].path: message` of a refused push). */
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

/** Wrong flags or arguments: exit code 2, like most Unix tools. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, 2);
  }
}

export interface CliIo {
  env: Record<string, string | undefined>;
  /** One line to stdout (results, summaries). */
  out(line: string): void;
  /** One line to stderr (warnings, the failure line). */
  err(line: string): void;
  /** All of stdin (for `user add`: the password). */
  readStdin(): Promise<string>;
  /** Reads one line without echo when stdin is a terminal; null when stdin is not one. */
  promptSecret(prompt: string): Promise<string | null>;
  /** Resolves with the signal name when the process is asked to stop (SIGINT/SIGTERM). */
  waitForStop(): Promise<string>;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  values: Values;
  positionals: string[];
  io: CliIo;
  /** The validated configuration (same environment variables as the server). */
  config(): Config;
}

export interface Command {
  /** "org add", "verify-log" … */
  name: string;
  summary: string;
  usage: string;
  /** Longer help: what it does, each flag, what to know. */
  help: string;
  options: OptionSpec;
  /** Allowed number of positional arguments (default none). */
  positionals?: { min: number; max: number };
  run(ctx: CommandContext): Promise<void>;
}

export function configFrom(env: Record<string, string | undefined>): Config {
  return loadConfig(env);
}

/** A string flag, or undefined. */
export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(values: Values, name: string, example: string): string {
  const v = str(values, name);
  if (v === undefined || v.trim() === '')
    throw new UsageError(`--${name} is required, e.g. --${name} ${example}`);
  return v;
}

export function flag(values: Values, name: string): boolean {
  return values[name] === true;
}

/** Characters refused in names (control, bidi overrides, line separators), as in the certificate schema. */
const FORBIDDEN_CHAR = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/** NFC, trimmed, non-empty, ≤ 200 characters, no control or bidi characters. */
export function displayName(value: string, what: string): string {
  const v = value.normalize('NFC').trim();
  if (v === '') throw new UsageError(`${what} must not be empty`);
  if ([...v].length > 200) throw new UsageError(`${what} must be at most 200 characters`);
  if (FORBIDDEN_CHAR.test(v)) {
    throw new UsageError(`${what} contains a control or text-direction character — remove it`);
  }
  return v;
}

export function dbFile(config: Config): string {
  return databaseFile(config.dataDir);
}

/** The database exists and is fully migrated, else a CliError naming the fix. */
export function assertDatabaseReady(config: Config): void {
  const file = dbFile(config);
  if (!existsSync(file)) {
    throw new CliError(
      `no database at ${file} — run \`densho migrate\` first (or set DENSHO_DATA_DIR to the data directory)`,
    );
  }
  const opened = openDatabase(file, { readonly: true });
  try {
    const status = migrationStatus(opened.sqlite);
    if (status.pending.length > 0) {
      throw new CliError(
        `database has unapplied migrations (${status.pending.join(', ')}) — run \`densho migrate\``,
      );
    }
  } finally {
    opened.sqlite.close();
  }
}

/** Open the (ready) database for reads and plain writes; always closed afterwards. */
export async function withDatabase<T>(config: Config, fn: (db: OpenedDatabase) => Promise<T>): Promise<T> {
  assertDatabaseReady(config);
  const opened = openDatabase(dbFile(config));
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

/** Who did it, for the access log: the operating-system account running the CLI. */
export function operatorActor(): string {
  let name = 'unknown';
  try {
    name = userInfo().username || name;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return `operator:${name}`;
}

/** An operator change: the rows it writes, and the access event that records it. */
export interface AdminChange {
  writes: CompiledQuery[];
  action: string;
  target?: string | null;
  orgCode?: string | null;
  detail: Record<string, unknown>;
  /** What to print on success. */
  done: string;
  /** Default `ok`; e.g. `failed` for a backup that did not complete. */
  outcome?: string;
}

/**
 * Commit a change and its `admin.*` access event in ONE transaction through the access log's TrustLog, so the
 * audit trail can't miss a change that happened (trust-log.md: the access log records admin actions).
 * A server may append to the same log meanwhile: TrustLog.append rebuilds the batch if it lost the race.
 */
export async function commitWithRuntime(runtime: NodeRuntime, change: AdminChange): Promise<void> {
  const db = runtime.database.db;
  const net = runtime.access.net(null);
  const actor = operatorActor();
  const target = change.target ?? null;
  const outcome = change.outcome ?? 'ok';
  const draft: LogEntryDraft<null> = {
    leaf: (_index, at) => accessLeaf({ action: change.action, actor, at, net, outcome, target }),
    finish: (ctx) => ({
      writes: [
        ...change.writes,
        db
          .insertInto('access_events')
          .values({
            log_index: ctx.index,
            at: ctx.timestamp,
            action: change.action,
            outcome,
            actor,
            org_code: change.orgCode ?? null,
            target,
            net,
            ip: null,
            user_agent: 'densho-cli',
            request_id: null,
            detail: JSON.stringify(change.detail),
          })
          .compile(),
      ],
      result: null,
    }),
  };
  try {
    await runtime.logs.access.append([draft]);
  } catch (err) {
    throw translateConstraint(err);
  }
}

/** The runtime of a log-writing CLI command: atomic writes on the main connection (see commitExclusive). */
export function openCliRuntime(config: Config): Promise<NodeRuntime> {
  return openRuntime(config, { writer: 'inline' });
}

/**
 * commitWithRuntime while holding SQLite's write lock (BEGIN IMMEDIATE on the CLI runtime's one connection): no other
 * process can commit in between, so the log state re-read inside is current and the append cannot lose the race.
 * Optimistic retries alone starve a CLI beside a busy server (its commits land back to back, each one invalidating the
 * CLI's slower rebuild); here the server waits instead, for the few milliseconds of one batch (its busy timeout is
 * 5 s), and adopts our entry at its next append. The change is durable when COMMIT returns; the runtime's in-memory
 * tree may run ahead of a failed COMMIT, so the caller closes the runtime afterwards (every CLI command does).
 * Needs a runtime from openCliRuntime: a write through the server's writer thread could not join this transaction.
 */
export async function commitExclusive(runtime: NodeRuntime, change: AdminChange): Promise<void> {
  const sqlite = runtime.database.sqlite;
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    await runtime.logs.access.refresh();
    await commitWithRuntime(runtime, change); // its atomic write nests as a savepoint of this transaction
    sqlite.exec('COMMIT');
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw err;
  }
}

/** Commands that replace or restructure the database: a log writer must not run beside them. */
const EXCLUSIVE_PURPOSES = ['restore', 'migrate'];

/**
 * Take the data directory for a log-writing CLI command. Beside a running server (or another CLI writer) it goes
 * ahead without the lock: appends from two processes are safe (TrustLog's optimistic concurrency). Beside
 * `restore` or `migrate` it refuses. When the lock was free it is held, so `restore` refuses meanwhile.
 */
export function takeForWriting(config: Config, purpose: string): { release(): void } {
  try {
    return acquireLock(config.dataDir, purpose);
  } catch (err) {
    if (!(err instanceof LockHeldError) || EXCLUSIVE_PURPOSES.includes(err.holder.purpose)) throw err;
    return { release() {} };
  }
}

/**
 * The CLI path for operator changes: the change and its `admin.*` access event commit in one transaction, whether
 * or not a server runs on the data directory (the server adopts the new tree at its next append).
 */
export async function applyAdminChange(
  ctx: CommandContext,
  purpose: string,
  prepare: (db: OpenedDatabase) => Promise<AdminChange>,
): Promise<void> {
  const config = ctx.config();
  assertDatabaseReady(config);
  const lock = takeForWriting(config, purpose);
  try {
    const runtime = await openCliRuntime(config);
    try {
      const change = await prepare(runtime.database);
      await commitExclusive(runtime, change);
      ctx.io.out(change.done);
    } finally {
      await runtime.close();
    }
  } finally {
    lock.release();
  }
}

/**
 * Record an operator action that changes no rows (backup, key rotation) as an `admin.*` access event. Skipped with
 * a note when the database is not ready (no database, or unapplied migrations — opening the runtime would migrate).
 */
export async function recordOperatorAction(
  ctx: CommandContext,
  purpose: string,
  event: { action: string; outcome?: string; detail: Record<string, unknown> },
): Promise<void> {
  const config = ctx.config();
  try {
    assertDatabaseReady(config);
  } catch (e) {
    ctx.io.err(`densho: note: ${event.action} is not in the access log: ${(e as Error).message}`);
    return;
  }
  const lock = takeForWriting(config, purpose);
  try {
    const runtime = await openCliRuntime(config);
    try {
      await commitExclusive(runtime, { writes: [], done: '', ...event });
    } finally {
      await runtime.close();
    }
  } finally {
    lock.release();
  }
}

/** A UNIQUE violation that slipped past the pre-check (a concurrent change) still gets a clear message. */
function translateConstraint(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new CliError(`it already exists (${(err as Error).message}) — nothing was changed`);
  }
  return err;
}

/** Refuse while a server runs on the data directory (for commands that replace or migrate the database). */
export function assertNoServer(config: Config, what: string): void {
  const holder = readLock(config.dataDir);
  if (holder) {
    throw new CliError(
      `${what} refused: \`densho ${holder.purpose}\` (pid ${holder.pid}) is using ${config.dataDir} — stop it first`,
    );
  }
}

/** Collapse a possibly multi-line message into the one line the CLI contract promises. */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
}
