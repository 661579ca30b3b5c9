// The log verifier behind `densho verify-log`: recomputes both Merkle logs from their leaves and checks every stored
// tile, checkpoint (root and signature) and domain row — locally from the database (read-only), or remotely from
// the public C2SP endpoints of one origin. Trusts only the checkpoint key: the local key directory, or a vkey
// that is pinned (--vkey) or fetched (trust on first use).
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import { bytesEqual, fromBase64, toBase64 } from '../domain/bytes.ts';
import { openCheckpoint, parseVkey, vkeyText } from '../domain/checkpoint.ts';
import { parseLeaf } from '../domain/leaf.ts';
import { leafHash, verifyConsistency } from '../domain/merkle.ts';
import { foldNodes, HASH, hashText, TILE_WIDTH, TiledRange, tileName } from '../domain/tiled-range.ts';
import { tilePath } from '../domain/tiles.ts';
import { keyDir } from '../platform/node/keys.ts';
import { migrationStatus } from '../platform/node/migrator.ts';
import { databaseFile } from '../platform/node/runtime.ts';
import { openDatabase } from '../platform/node/sqlite.ts';
import { ed25519PublicBytes } from '../services/platform-keys.ts';
import {
  type LogName,
  type SegmentResult,
  type SegmentTask,
  type SuretyCodes,
  tileMismatch,
  verifySegment,
} from './verify-log-segment.ts';

/** A finding: the log is not what its checkpoints say. The message names the log and what is wrong. */
export class LogVerificationError extends Error {
  override name = 'LogVerificationError';
  constructor(
    readonly log: string,
    readonly detail: string,
  ) {
    super(`${log}: ${detail}`);
  }
}

/** The verifier could not run (no database, no keys, unreachable origin): not a finding about the log. */
export class VerifySetupError extends Error {
  override name = 'VerifySetupError';
}

export interface LogSummary {
  log: string;
  leaves: number;
  checkpoints: number;
  tiles: number;
  ms: number;
  /** Extra words for the summary line ("log not created yet", "origin …"). */
  note?: string;
}

export function summaryLine(s: LogSummary): string {
  const extra = s.note ? `; ${s.note}` : '';
  return `${s.log}: ${s.leaves} leaves, ${s.checkpoints} checkpoints, ${s.tiles} tiles, OK (${(s.ms / 1000).toFixed(2)} s${extra})`;
}

export interface LocalVerifyOptions {
  dataDir: string;
  /** log2 of the segment each worker verifies at once: 16 (default) or 8 (tests: exercises workers on tiny logs). */
  segmentBits?: 8 | 16;
  /** Worker threads; default: available cores when the log spans ≥ 2 segments, else none (inline). */
  workers?: number;
  /** Called with each summary line as soon as that log is verified. */
  onLog?: (summary: LogSummary) => void;
}

/** ---------------------------------------------------------------------------------------------------------
 * Checkpoint signatures: verified on libuv's threadpool (WebCrypto jobs run there) while hashing continues.
 * -------------------------------------------------------------------------------------------------------- */
class SignatureChecker {
  private pending: Promise<void>[] = [];
  private failure: { size: number; message: string } | null = null;
  private readonly encoder = new TextEncoder();
  private readonly sigPrefix: string;
  count = 0;

  private constructor(
    private readonly log: string,
    private readonly origin: string,
    private readonly vkey: string,
    private readonly keyId: Uint8Array,
    private readonly key: CryptoKey,
  ) {
    this.sigPrefix = `\n\u2014 ${origin} `;
  }

  static async create(log: string, origin: string, vkey: string): Promise<SignatureChecker> {
    const parsed = parseVkey(vkey);
    const key = await crypto.subtle.importKey(
      'raw',
      parsed.publicKey as Uint8Array<ArrayBuffer>,
      { name: 'Ed25519' },
      false,
      ['verify'],
    );
    return new SignatureChecker(log, origin, vkey, parsed.keyId, key);
  }

  /** Check that `note` is the checkpoint (origin, size, root) signed by the pinned key. */
  async check(note: string, size: number, root: Uint8Array): Promise<void> {
    this.count++;
    const body = `${this.origin}\n${size}\n${toBase64(root)}\n`;
    const prefix = body + this.sigPrefix;
    // Fast path: exactly the note our sequencer writes (body, blank line, one signature line by this key).
    if (
      note.startsWith(prefix) &&
      note.endsWith('\n') &&
      note.indexOf('\n', prefix.length) === note.length - 1
    ) {
      const b64 = note.slice(prefix.length, -1);
      const sig = Buffer.from(b64, 'base64');
      if (sig.length === 68 && sig.toString('base64') === b64 && bytesEqual(sig.subarray(0, 4), this.keyId)) {
        this.pending.push(
          crypto.subtle
            .verify(
              { name: 'Ed25519' },
              this.key,
              sig.subarray(4) as Uint8Array<ArrayBuffer>,
              this.encoder.encode(body) as Uint8Array<ArrayBuffer>,
            )
            .then(
              (ok) => {
                if (!ok)
                  this.fail(
                    size,
                    'its signature does not verify with the checkpoint key (the note was altered)',
                  );
              },
              (e: unknown) => this.fail(size, `its signature could not be checked (${(e as Error).message})`),
            ),
        );
        if (this.pending.length >= 512) await this.drain();
        return;
      }
    }
    // Slow path (other layouts, extra signatures, or something wrong): the full signed-note verifier says what.
    try {
      const cp = await openCheckpoint(note, this.vkey, this.origin);
      if (cp.size !== size) this.fail(size, `its note says size ${cp.size}`);
      else if (!bytesEqual(cp.root, root)) {
        this.fail(
          size,
          `its signed root ${toBase64(cp.root)} differs from the root recomputed from the leaves ${toBase64(root)}`,
        );
      }
    } catch (e) {
      this.fail(size, (e as Error).message);
    }
  }

  private fail(size: number, message: string): void {
    if (!this.failure || size < this.failure.size) this.failure = { size, message };
  }

  private async drain(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    await Promise.all(batch);
  }

  /** Wait for every signature; throws for the smallest checkpoint that failed. */
  async finish(): Promise<void> {
    await this.drain();
    if (this.failure) {
      throw new LogVerificationError(
        this.log,
        `checkpoint at size ${this.failure.size}: ${this.failure.message}`,
      );
    }
  }
}

/** ---------------------------------------------------------------------------------------------------------
 * Worker pool for segments (only for logs of ≥ 2 segments: starting a worker costs ~0.2 s).
 * -------------------------------------------------------------------------------------------------------- */
class SegmentPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: {
    task: SegmentTask;
    resolve: (r: SegmentResult) => void;
    reject: (e: Error) => void;
  }[] = [];
  private readonly running = new Map<
    Worker,
    { resolve: (r: SegmentResult) => void; reject: (e: Error) => void }
  >();

  constructor(file: string, suretyCodes: SuretyCodes, size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./verify-log-worker.mjs', import.meta.url), {
        workerData: { file, suretyCodes: [...suretyCodes] },
      });
      w.on(
        'message',
        (m: { ok: true; result: SegmentResult } | { ok: false; error: string; start: number }) => {
          const job = this.running.get(w);
          this.running.delete(w);
          if (job) {
            if (m.ok) job.resolve(m.result);
            else job.reject(new Error(`segment at leaf ${m.start}: ${m.error}`));
          }
          this.next(w);
        },
      );
      // A worker that dies (it could not start, or crashed) fails everything still queued: waiting jobs would
      // otherwise never get a worker and the verifier would hang.
      w.on('error', (e) => {
        const job = this.running.get(w);
        this.running.delete(w);
        job?.reject(e);
        for (const waiting of this.waiting.splice(0)) waiting.reject(e);
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  run(task: SegmentTask): Promise<SegmentResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ task, resolve, reject });
      const w = this.idle.pop();
      if (w) this.next(w);
    });
  }

  private next(w: Worker): void {
    const job = this.waiting.shift();
    if (!job) {
      this.idle.push(w);
      return;
    }
    this.running.set(w, job);
    w.postMessage(job.task);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

interface LogContext {
  sqlite: BetterSqlite3.Database;
  file: string;
  notePublicKey: Uint8Array;
  suretyCodes: SuretyCodes;
  segmentBits: 8 | 16;
  t0: number;
}

function readNoteKey(dataDir: string): Uint8Array {
  const path = join(keyDir(dataDir), 'note.jwk');
  if (!existsSync(path)) {
    throw new VerifySetupError(
      `no checkpoint key at ${path} — restore the key directory that belongs to this database (from FILE.keys.json of its backup)`,
    );
  }
  try {
    return ed25519PublicBytes(JSON.parse(readFileSync(path, 'utf8')) as JsonWebKey);
  } catch (e) {
    throw new VerifySetupError(`cannot read the checkpoint key ${path}: ${(e as Error).message}`);
  }
}

/**
 * Verify both logs of the database in DENSHO_DATA_DIR. Read-only: one read transaction gives a consistent snapshot
 * even while a server appends; everything is checked up to the latest checkpoint in that snapshot.
 * Throws LogVerificationError at the first finding (in log order), VerifySetupError if it cannot run.
 */
export async function verifyLocalLogs(opts: LocalVerifyOptions): Promise<LogSummary[]> {
  const file = databaseFile(opts.dataDir);
  if (!existsSync(file)) {
    throw new VerifySetupError(
      `no database at ${file} — check DENSHO_DATA_DIR (or run \`densho migrate\` to create one)`,
    );
  }
  const notePublicKey = readNoteKey(opts.dataDir);
  const opened = openDatabase(file, { readonly: true });
  const sqlite = opened.sqlite;
  let pool: SegmentPool | null = null;
  try {
    const status = migrationStatus(sqlite);
    if (status.pending.length > 0) {
      throw new VerifySetupError(
        `database has unapplied migrations (${status.pending.join(', ')}) — run \`densho migrate\``,
      );
    }
    // One snapshot for everything below (WAL readers see the database as of their first read).
    sqlite.exec('BEGIN');
    const suretyCodes = new Map(
      (
        sqlite.prepare("SELECT id, code FROM organisations WHERE kind = 'surety'").raw().all() as [
          number,
          string,
        ][]
      ).map(([id, code]) => [id, code] as const),
    );
    const ctx: LogContext = {
      sqlite,
      file,
      notePublicKey,
      suretyCodes,
      segmentBits: opts.segmentBits ?? 16,
      t0: performance.now(),
    };
    // Plan both logs first and hand every segment to the pool at once: the access log's segments start while the
    // last certs segments finish, and worker start-up is paid once.
    const plans = [planLog(ctx, 'certs'), planLog(ctx, 'access')];
    const segments = plans.reduce((n, p) => n + p.tasks.length, 0);
    const workers = Math.min(opts.workers ?? availableParallelism(), segments);
    if (workers >= 2) pool = new SegmentPool(file, suretyCodes, workers);
    const run = (task: SegmentTask): (() => Promise<SegmentResult>) => {
      if (!pool) return () => Promise.resolve().then(() => verifySegment(sqlite, task, suretyCodes));
      const p = pool.run(task);
      // A rejected segment we never get to (an earlier one failed) must not surface as an unhandled rejection.
      p.catch(() => {});
      return () => p;
    };
    const dispatched = plans.map((plan) => plan.tasks.map(run));
    const out: LogSummary[] = [];
    for (const [i, plan] of plans.entries()) {
      const summary = await finishLog(ctx, plan, dispatched[i]!);
      opts.onLog?.(summary);
      out.push(summary);
    }
    return out;
  } finally {
    await pool?.close();
    if (sqlite.inTransaction) sqlite.exec('COMMIT');
    await opened.close();
  }
}

interface LogPlan {
  log: LogName;
  /** Null when the log was never created (no logs row, no leaves). */
  origin: string | null;
  size: number;
  tasks: SegmentTask[];
}

function failer(log: LogName): (detail: string) => never {
  return (detail) => {
    throw new LogVerificationError(log, detail);
  };
}

function one<T>(sqlite: BetterSqlite3.Database, sql: string, ...params: unknown[]): T {
  return sqlite
    .prepare(sql)
    .pluck()
    .get(...params) as T;
}

/** Sizes and counts that must agree before any hashing, and the segments to verify. */
function planLog(ctx: LogContext, log: LogName): LogPlan {
  const { sqlite } = ctx;
  const fail = failer(log);
  const domainTable = log === 'certs' ? 'certificate_events' : 'access_events';
  const origin = one<string | undefined>(sqlite, 'SELECT origin FROM logs WHERE name = ?', log);
  // max(idx) is one index probe; a missing leaf in the middle is found by the segment that should hold it.
  const maxIdx = one<number | null>(sqlite, 'SELECT max(idx) FROM log_entries WHERE log = ?', log);
  const rowCount = one<number>(sqlite, `SELECT count(*) FROM ${domainTable}`);
  if (origin === undefined) {
    if (maxIdx !== null || rowCount > 0) {
      fail(
        `has leaves or ${domainTable} rows but no logs row — the database was altered; restore from backup`,
      );
    }
    return { log, origin: null, size: 0, tasks: [] };
  }
  const size = one<number | null>(sqlite, 'SELECT max(size) FROM log_checkpoints WHERE log = ?', log);
  if (size === null) fail('the log has no checkpoint at all; restore from backup');
  const N = size as number;
  const leaves = (maxIdx ?? -1) + 1;
  if (leaves !== N) {
    fail(
      `the log has ${leaves} leaves but its latest checkpoint covers ${N} — the database was altered or is incomplete`,
    );
  }
  if (rowCount !== N) fail(`${domainTable} has ${rowCount} rows for ${N} leaves`);
  const bits = ctx.segmentBits;
  const segSize = 2 ** bits;
  const sizes = sqlite
    .prepare('SELECT size FROM log_checkpoints WHERE log = ? AND size > ? AND size <= ? ORDER BY size')
    .pluck();
  const tasks: SegmentTask[] = [];
  for (let start = 0; start < N; start += segSize) {
    const end = Math.min(N, start + segSize);
    tasks.push({
      log,
      start,
      end,
      segmentBits: bits,
      checkpointSizes: sizes.all(log, start, end) as number[],
    });
  }
  return { log, origin, size: N, tasks };
}

/** Consume one log's segment results in log order (so the first finding reported is the first in the log). */
async function finishLog(
  ctx: LogContext,
  plan: LogPlan,
  results: (() => Promise<SegmentResult>)[],
): Promise<LogSummary> {
  const { sqlite } = ctx;
  const { log, origin, size: N } = plan;
  const fail = failer(log);
  if (origin === null) {
    return {
      log,
      leaves: 0,
      checkpoints: 0,
      tiles: 0,
      ms: performance.now() - ctx.t0,
      note: 'log not created yet',
    };
  }
  const sigs = await SignatureChecker.create(log, origin, vkeyText(origin, ctx.notePublicKey));
  const cpRows = sqlite.prepare(
    'SELECT size, root, note FROM log_checkpoints WHERE log = ? AND size > ? AND size <= ? ORDER BY size',
  );
  cpRows.raw(true);
  const checkCheckpoint = async (row: unknown[], root: Uint8Array): Promise<void> => {
    const cpSize = row[0] as number;
    const stored = row[1] as Uint8Array;
    if (!bytesEqual(stored, root)) {
      fail(
        `checkpoint at size ${cpSize}: its root column ${toBase64(stored)} differs from the root recomputed from the leaves ${toBase64(root)}`,
      );
    }
    await sigs.check(row[2] as string, cpSize, root);
  };

  // Size 0: the empty tree's checkpoint, written when the log was created.
  const zero = sqlite
    .prepare('SELECT size, root, note FROM log_checkpoints WHERE log = ? AND size = 0')
    .raw()
    .get(log) as unknown[] | undefined;
  if (zero) await checkCheckpoint(zero, foldNodes(new Uint8Array(0)));

  const bits = ctx.segmentBits;
  const segSize = 2 ** bits;
  const tileGet = sqlite
    .prepare('SELECT hashes FROM log_tiles WHERE log = ? AND level = ? AND idx = ?')
    .pluck();
  let tiles = 0;
  // Segment roots are the entries of tile level bits/8 and up: assembled and checked here.
  const upper = new TiledRange(bits, 0, 64, (level, index, bytes) => {
    const stored = tileGet.get(log, level, index) as Uint8Array | undefined;
    const name = tileName(level, index, TILE_WIDTH);
    if (!stored) fail(`tile ${name} is missing from log_tiles`);
    if (!bytesEqual(stored as Uint8Array, bytes)) fail(tileMismatch(name, stored as Uint8Array, bytes));
    tiles++;
  });

  let lastTimestamp = -1;
  let last: SegmentResult | null = null;
  for (const [k, task] of plan.tasks.entries()) {
    const res = await results[k]!();
    if (res.failure) fail(res.failure.message);
    if (res.firstTimestamp >= 0) {
      if (res.firstTimestamp < lastTimestamp) {
        fail(
          `leaf ${res.start} is timestamped ${new Date(res.firstTimestamp).toISOString()}, earlier than leaf ${res.start - 1}`,
        );
      }
      lastTimestamp = res.lastTimestamp;
    }
    tiles += res.tilesChecked;
    const prefix = upper.nodes();
    // The full rows only now, segment by segment: a log can have as many checkpoints as leaves.
    const rows = cpRows.all(log, task.start, task.end) as unknown[][];
    if (rows.length !== task.checkpointSizes.length) fail('log_checkpoints changed during verification');
    for (let i = 0; i < rows.length; i++) {
      const part = res.cpNodes.subarray(res.cpOffsets[i]!, res.cpOffsets[i + 1]!);
      await checkCheckpoint(rows[i]!, foldNodes(Buffer.concat([prefix, part])));
    }
    if (res.end - res.start === segSize) upper.push(hashText(res.nodes));
    else last = res;
  }

  // The right edge: partial tiles of every level, exactly as stored at this size.
  const partial = [...(last?.partialTiles ?? []), ...upper.partialTiles()];
  for (const t of partial) {
    const name = tileName(t.level, t.index, t.hashes.length / HASH);
    const stored = tileGet.get(log, t.level, t.index) as Uint8Array | undefined;
    if (!stored) fail(`tile ${name} is missing from log_tiles`);
    if (!bytesEqual(stored as Uint8Array, t.hashes)) fail(tileMismatch(name, stored as Uint8Array, t.hashes));
    tiles++;
  }
  // No tile the tree does not have (every expected one was found above, so equal counts mean no extras).
  const counts = sqlite
    .prepare('SELECT level, count(*) FROM log_tiles WHERE log = ? GROUP BY level')
    .raw()
    .all(log) as [number, number][];
  for (const [level, count] of counts) {
    const entries = Math.floor(N / TILE_WIDTH ** level);
    const expected = Math.ceil(entries / TILE_WIDTH);
    if (count !== expected)
      fail(`log_tiles has ${count} tiles at level ${level}; a tree of ${N} leaves has ${expected}`);
  }
  await sigs.finish();
  const checkpoints = one<number>(sqlite, 'SELECT count(*) FROM log_checkpoints WHERE log = ?', log);
  return { log, leaves: N, checkpoints, tiles, ms: performance.now() - ctx.t0 };
}

/** ---------------------------------------------------------------------------------------------------------
 * Remote verification over a log API: the public certs log (/log/certs/…), or the access log (/audit/log/access/…,
 * with a platform auditor's session in `headers`: see auditor-session.ts). Talks only to the given origin, never
 * follows redirects, and trusts only the vkey (pinned, or fetched once and reported as trust-on-first-use).
 * -------------------------------------------------------------------------------------------------------- */
export interface RemoteVerifyOptions {
  url: string;
  /** Which log (default certs). */
  log?: LogName;
  /** Sent with every request (the access log: the auditor's session cookie). */
  headers?: Record<string, string>;
  /** Pinned verifier key text; when absent it is fetched from the log's /vkey. */
  vkey?: string;
  /** Parallel requests. */
  concurrency?: number;
  /** How many older checkpoints also get a consistency proof from the server checked (spread over the log). */
  consistencySamples?: number;
  onLine?: (line: string) => void;
}

export async function verifyRemoteLog(opts: RemoteVerifyOptions): Promise<LogSummary> {
  const t0 = performance.now();
  const base = new URL(opts.url);
  const origin = base.origin;
  const say = opts.onLine ?? (() => {});
  const log: LogName = opts.log ?? 'certs';
  const api = log === 'certs' ? '/log/certs' : '/audit/log/access';
  const leafType = log === 'certs' ? 'densho/cert/v1' : 'densho/access/v1';
  const fail = (detail: string): never => {
    throw new LogVerificationError(log, detail);
  };

  const get = async (path: string): Promise<Response> => {
    const url = new URL(path.startsWith('/log/certs') ? api + path.slice('/log/certs'.length) : path, origin);
    if (url.origin !== origin) throw new VerifySetupError(`refusing to leave ${origin} for ${url.href}`);
    let res: Response;
    try {
      res = await fetch(url, {
        redirect: 'manual',
        headers: opts.headers ?? {},
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new VerifySetupError(
        `cannot fetch ${url.href} (${(e as Error).message}) — check --url and that the server runs`,
      );
    }
    if (res.ok) return res;
    await res.body?.cancel();
    if (log === 'access' && (res.status === 303 || res.status === 302 || res.status === 401)) {
      throw new VerifySetupError(
        `GET ${url.href}: not signed in (the session ended?) — run the command again`,
      );
    }
    if (log === 'access' && res.status === 403) {
      throw new VerifySetupError(
        `GET ${url.href} answered 403 — the access log API is for the platform's auditors: sign in as an auditor or admin of the platform organisation`,
      );
    }
    throw new VerifySetupError(`GET ${url.href} answered ${res.status} — check --url (the public origin)`);
  };
  const text = async (path: string) => (await get(path)).text();
  const bytes = async (path: string) => new Uint8Array(await (await get(path)).arrayBuffer());

  let vkey = opts.vkey?.trim();
  if (!vkey) {
    vkey = (await text('/log/certs/vkey')).trim();
    say(
      `warning: using the ${log} vkey served by ${origin} (trust on first use); pin it with ${log === 'certs' ? '--vkey' : '--access-vkey'} FILE: ${vkey}`,
    );
  }
  let logOrigin: string;
  try {
    logOrigin = parseVkey(vkey).name;
  } catch (e) {
    throw new VerifySetupError(`the vkey is not a verifier key (${(e as Error).message})`);
  }

  const latestNote = await text('/log/certs/checkpoint');
  let latest: Awaited<ReturnType<typeof openCheckpoint>>;
  try {
    latest = await openCheckpoint(latestNote, vkey, logOrigin);
  } catch (e) {
    return fail(`the current checkpoint does not verify: ${(e as Error).message}`);
  }
  const N = latest.size;

  // Every older checkpoint, oldest first (pages of up to 1000). Each must verify and, below, match the tree.
  const history: { size: number; root: Uint8Array }[] = [];
  for (let since = 0; ; ) {
    // ?since=S lists checkpoints with size > S, so the empty tree's is never among them (nothing to check there).
    const page = (await (await get(`/log/certs/checkpoints?since=${since}&limit=1000`)).json()) as {
      checkpoints: { size: number; note: string }[];
    };
    const list = page.checkpoints;
    if (list.length === 0) break;
    for (const c of list) {
      if (c.size > N) continue; // issued after we fetched the current one
      try {
        const cp = await openCheckpoint(c.note, vkey, logOrigin);
        if (cp.size !== c.size) fail(`checkpoint listed at size ${c.size} says size ${cp.size}`);
        history.push({ size: cp.size, root: cp.root });
      } catch (e) {
        if (e instanceof LogVerificationError) throw e;
        fail(`checkpoint at size ${c.size} does not verify: ${(e as Error).message}`);
      }
    }
    const lastSize = list[list.length - 1]!.size;
    if (lastSize >= N || list.length < 1000 || lastSize <= since) break;
    since = lastSize;
  }
  history.sort((a, b) => a.size - b.size);
  for (let i = 1; i < history.length; i++) {
    if (history[i]!.size === history[i - 1]!.size) fail(`two checkpoints at size ${history[i]!.size}`);
  }

  // Leaves from the entry bundles; hash tiles assembled as we go and compared with the served ones.
  const served: { level: number; index: number; bytes: Uint8Array }[] = [];
  const range = new TiledRange(0, 0, 64, (level, index, b) => {
    served.push({ level, index, bytes: Buffer.from(b) });
  });
  let hIdx = 0;
  let lastTimestamp = -1;
  let tiles = 0;
  const compareTile = async (level: number, index: number, computed: Uint8Array): Promise<void> => {
    const width = computed.length / HASH;
    const got = await bytes(`/log/certs/tile/${tilePath('hash', level, index, width)}`);
    if (!bytesEqual(got, computed)) fail(tileMismatch(tileName(level, index, width), got, computed));
    tiles++;
  };
  const checks: Promise<void>[] = [];
  const bundles = Math.ceil(N / TILE_WIDTH);
  const concurrency = opts.concurrency ?? 8;
  const inflight = new Map<number, Promise<Uint8Array>>();
  const bundleWidth = (t: number) => Math.min(TILE_WIDTH, N - t * TILE_WIDTH);
  const fetchBundle = (t: number) => bytes(`/log/certs/tile/${tilePath('entries', 0, t, bundleWidth(t))}`);
  for (let t = 0; t < Math.min(concurrency, bundles); t++) inflight.set(t, fetchBundle(t));
  for (let t = 0; t < bundles; t++) {
    const data = await inflight.get(t)!;
    inflight.delete(t);
    if (t + concurrency < bundles) inflight.set(t + concurrency, fetchBundle(t + concurrency));
    const width = bundleWidth(t);
    let off = 0;
    for (let j = 0; j < width; j++) {
      const index = t * TILE_WIDTH + j;
      if (off + 2 > data.length) fail(`entry bundle ${tileName(0, t, width)} ends before leaf ${index}`);
      const len = (data[off]! << 8) | data[off + 1]!;
      const leaf = data.subarray(off + 2, off + 2 + len);
      if (leaf.length !== len) fail(`entry bundle ${tileName(0, t, width)} ends inside leaf ${index}`);
      off += 2 + len;
      let ts = 0;
      try {
        const parsed = parseLeaf(leaf);
        if (parsed.type !== leafType) fail(`leaf ${index} is a ${parsed.type} leaf in the ${log} log`);
        ts = parsed.type === 'densho/cert/v1' ? parsed.body.issuedAt : parsed.body.at;
      } catch (e) {
        if (e instanceof LogVerificationError) throw e;
        fail(`leaf ${index} is malformed: ${(e as Error).message}`);
      }
      if (ts < lastTimestamp) fail(`leaf ${index} is timestamped earlier than leaf ${index - 1}`);
      lastTimestamp = ts;
      range.push(hashText(leafHash(leaf)));
      while (hIdx < history.length && history[hIdx]!.size === range.size) {
        const root = foldNodes(range.nodes());
        if (!bytesEqual(root, history[hIdx]!.root)) {
          fail(
            `checkpoint at size ${range.size}: its signed root differs from the root recomputed from the entries`,
          );
        }
        hIdx++;
      }
    }
    if (off !== data.length)
      fail(`entry bundle ${tileName(0, t, width)} has bytes after its ${width} leaves`);
    // Tile comparisons run alongside the next bundles; awaited in batches so a failure surfaces soon.
    for (const s of served.splice(0)) {
      const check = compareTile(s.level, s.index, s.bytes);
      check.catch(() => {}); // handled when awaited below; must not count as an unhandled rejection meanwhile
      checks.push(check);
    }
    if (checks.length >= concurrency * 4) await Promise.all(checks.splice(0));
  }
  await Promise.all(checks.splice(0));
  for (const p of range.partialTiles()) await compareTile(p.level, p.index, p.hashes);
  const root = foldNodes(range.nodes());
  if (!bytesEqual(root, latest.root)) {
    fail(
      `the current checkpoint's root ${toBase64(latest.root)} differs from the root recomputed from all ${N} entries ${toBase64(root)}`,
    );
  }
  while (hIdx < history.length && history[hIdx]!.size === 0) hIdx++;
  if (hIdx < history.length)
    fail(`checkpoint at size ${history[hIdx]!.size} was never reached by the entries`);

  // The server's consistency proofs must agree too: a sample of older checkpoints against the current one.
  const samples = opts.consistencySamples ?? 16;
  const older = history.filter((h) => h.size > 0 && h.size < N);
  const step = Math.max(1, Math.ceil(older.length / samples));
  let proofs = 0;
  for (let i = 0; i < older.length; i += step) {
    const h = older[i]!;
    const body = (await (await get(`/log/certs/proof/consistency?first=${h.size}&second=${N}`)).json()) as {
      path: string[];
    };
    const proof = body.path.map((p) => fromBase64(p));
    if (!verifyConsistency(h.size, N, proof, h.root, latest.root)) {
      fail(`the served consistency proof from size ${h.size} to ${N} does not verify`);
    }
    proofs++;
  }
  const summary: LogSummary = {
    log,
    leaves: N,
    checkpoints: history.length,
    tiles,
    ms: performance.now() - t0,
    note: `origin ${logOrigin}, ${proofs} consistency proofs`,
  };
  return summary;
}
