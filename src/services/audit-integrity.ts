// Integrity checks for auditors, in the server process: (1) the full recompute of one log — every leaf against its
// domain row, every hash tile, every checkpoint's root and signature — run as a background job in chunks so the
// event loop is never held for long; (2) an earlier checkpoint note pasted by an auditor, checked for our signature
// and for consistency with today's tree. Trusts nothing in the database: only the log's verifier key.
//
// The same checks as `densho verify-log` (src/cli/verify-log.ts), and the same tree/tile assembly (TiledRange,
// foldNodes, tileName from src/cli/verify-log-segment.ts: pure hashing, no I/O). verify-log reads SQLite directly
// with worker threads for speed; this reads through Kysely, chunk by chunk, so it runs inside the server.
import * as nodeCrypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { bytesEqual, fromUtf8, sha256, toBase64, utf8 } from '../domain/bytes.ts';
import { EVENT_KINDS, type EventKind } from '../domain/certificate.ts';
import { openCheckpoint, parseCheckpointBody } from '../domain/checkpoint.ts';
import { accessLeaf, certLeaf, parseLeaf } from '../domain/leaf.ts';
import { EMPTY_ROOT, verifyConsistency } from '../domain/merkle.ts';
import { foldNodes, TiledRange, tileName } from '../domain/tiled-range.ts';
import { TILE_WIDTH } from '../domain/tiles.ts';
import type { Database, LogName } from '../repos/database.ts';
import {
  type AccessLeafRow,
  accessLeafRows,
  accessLeafTexts,
  type CertLeafRow,
  certLeafRows,
  checkpointAtSize,
  checkpointsIn,
  suretyCodes,
  tilesIn,
} from '../repos/log-integrity.ts';
import type { AccessEventInput } from './access-log.ts';
import type { TrustLog } from './trust-log.ts';

export type { LogName } from '../repos/database.ts';
export const LOG_NAMES: readonly LogName[] = ['certs', 'access'];
export const LOG_LABELS: Record<LogName, string> = {
  certs: '保証ログ（certs）',
  access: 'アクセスログ（access）',
};

/** Leaves per chunk: a chunk holds the event loop for ≈ 35 ms (measured: ≈ 3.5 µs per access leaf), then yields. */
export const RECOMPUTE_CHUNK = 10_000;

const HASH = 32;

/** What the recompute found wrong: which leaf, row, tile or checkpoint, in words an auditor can act on. */
export interface IntegrityFinding {
  kind: 'leaf' | 'row' | 'tile' | 'checkpoint' | 'order';
  /** The leaf index, tile path (C2SP, e.g. "0/000") or checkpoint tree size the finding is about. */
  where: string;
  message: string;
}

export interface RecomputeReport {
  log: LogName;
  /** The tree size recomputed: the latest checkpoint when the job started. */
  size: number;
  leaves: number;
  checkpoints: number;
  tiles: number;
  ms: number;
  finding: IntegrityFinding | null;
}

export interface RecomputeOptions {
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

class Found extends Error {
  constructor(readonly finding: IntegrityFinding) {
    super(finding.message);
  }
}

function found(kind: IntegrityFinding['kind'], where: string | number, message: string): never {
  throw new Found({ kind, where: String(where), message });
}

/** Let timers, I/O and other requests run between chunks (setImmediate on Node; a macrotask anywhere). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

const J = JSON.stringify;

/** "action：行は "a"、リーフは "b"" for each field that differs between a stored leaf and its row. */
function fieldDiffs(leaf: Uint8Array, expected: Record<string, unknown>): string {
  let body: Record<string, unknown>;
  try {
    body = parseLeaf(leaf).body as unknown as Record<string, unknown>;
  } catch (e) {
    return `保存されているリーフが正しい形式ではありません（${(e as Error).message}）`;
  }
  const diffs = Object.entries(expected)
    .filter(([k, v]) => body[k] !== v)
    .map(([k, v]) => `${k}：行は ${J(v)}、リーフは ${J(body[k])}`);
  return diffs.length > 0 ? diffs.join('、') : 'リーフのバイト列が行から作る正規形（JCS）と異なります';
}

/** The leaf an access_events row implies, and the leaf's time; a finding if the stored leaf says otherwise. */
function checkAccessRow(r: AccessLeafRow): number {
  if (r.log_index === null)
    found('row', r.idx, `ログ番号 ${r.idx} のリーフに access_events の行がありません。`);
  const body = {
    action: r.action as string,
    actor: r.actor,
    at: r.at as number,
    net: r.net as string,
    outcome: r.outcome as string,
    target: r.target,
  };
  let expected: Uint8Array | null = null;
  try {
    expected = accessLeaf(body);
  } catch {
    expected = null; // a row no leaf could come from (e.g. an altered net): reported below as a mismatch
  }
  if (expected === null || !bytesEqual(expected, r.leaf)) {
    found(
      'leaf',
      r.idx,
      `ログ番号 ${r.idx} のリーフが access_events の行と一致しません — ${fieldDiffs(r.leaf, body)}`,
    );
  }
  return body.at;
}

function checkCertRow(r: CertLeafRow, codes: ReadonlyMap<number, string>): number {
  if (r.log_index === null)
    found('row', r.idx, `ログ番号 ${r.idx} のリーフに certificate_events の行がありません。`);
  const surety = codes.get(r.surety_id as number);
  if (surety === undefined) {
    found(
      'row',
      r.idx,
      `certificate_events の行 ${r.idx} の保証会社（id ${r.surety_id}）が登録されていません。`,
    );
  }
  const submission = r.submission as Uint8Array;
  // submission = SHA-256 of the exact JWS bytes (trust-log.md "Leaf formats").
  if (!bytesEqual(sha256(utf8(r.jws as string)), submission)) {
    found(
      'row',
      r.idx,
      `certificate_events の行 ${r.idx} の submission が、保存されている JWS の SHA-256 と一致しません。`,
    );
  }
  if (!((r.tree_size as number) > r.idx)) {
    found(
      'row',
      r.idx,
      `certificate_events の行 ${r.idx} の tree_size（${r.tree_size}）がこのイベントを含みません。`,
    );
  }
  const body = {
    contractNumber: r.contract_number as string,
    event: r.event as string,
    issuedAt: r.issued_at as number,
    submission: toBase64(submission),
    surety,
    version: r.version as number,
  };
  let expected: Uint8Array | null = null;
  try {
    if ((EVENT_KINDS as readonly string[]).includes(body.event)) {
      expected = certLeaf({ ...body, event: body.event as EventKind });
    }
  } catch {
    expected = null;
  }
  if (expected === null || !bytesEqual(expected, r.leaf)) {
    found(
      'leaf',
      r.idx,
      `ログ番号 ${r.idx} のリーフが certificate_events の行と一致しません — ${fieldDiffs(r.leaf, body)}`,
    );
  }
  return body.issuedAt;
}

function tileDiff(name: string, stored: Uint8Array, computed: Uint8Array): string {
  if (stored.length < computed.length) {
    return `タイル ${name} のハッシュが ${stored.length / HASH} 個しかありません（リーフからは ${computed.length / HASH} 個）。`;
  }
  for (let i = 0; i < computed.length; i += HASH) {
    if (!bytesEqual(stored.subarray(i, i + HASH), computed.subarray(i, i + HASH))) {
      return `タイル ${name} の ${i / HASH} 番目のハッシュが、リーフから計算し直した値と一致しません。`;
    }
  }
  return `タイル ${name} が、リーフから計算し直した値と一致しません。`;
}

// Leaf hashes as the latin1 strings TiledRange takes, straight from node:crypto (as verify-log does): otherwise a
// good part of the per-leaf cost goes to Uint8Array ↔ Buffer ↔ string conversions.
const oneShotHash = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;
let leafScratch = Buffer.alloc(4096);

function leafHashText(leaf: Uint8Array): string {
  if (leaf.length + 1 > leafScratch.length) leafScratch = Buffer.alloc(leaf.length * 2 + 1);
  leafScratch[0] = 0x00;
  leafScratch.set(leaf, 1);
  return nodeCrypto
    .createHash('sha256')
    .update(leafScratch.subarray(0, leaf.length + 1))
    .digest('binary');
}

/** A leaf known to be valid UTF-8 text: hashing the string encodes it back to exactly the leaf bytes. */
function leafTextHash(text: string): string {
  const input = `\u0000${text}`;
  return oneShotHash
    ? oneShotHash('sha256', input, 'binary')
    : nodeCrypto.createHash('sha256').update(input).digest('binary');
}

/**
 * The access log's fast pass: every leaf of the chunk equal to its row (compared inside SQLite) and valid UTF-8 —
 * or null, and the chunk takes the precise pass that says which leaf and field differ.
 */
async function fastAccessChunk(
  db: Kysely<Database>,
  start: number,
  end: number,
): Promise<{ idx: number; ts: number; hash: string }[] | null> {
  const rows = await accessLeafTexts(db, start, end);
  const out: { idx: number; ts: number; hash: string }[] = [];
  for (const r of rows) {
    // A leaf that decodes without U+FFFD was valid UTF-8, so the text is the exact bytes.
    if (r.text === null || r.at === null || r.text.indexOf('\uFFFD') >= 0) return null;
    out.push({ idx: r.idx, ts: r.at, hash: leafTextHash(r.text) });
  }
  return out;
}

/**
 * Recompute one log up to its latest checkpoint (at the start): every leaf against its domain row, timestamps
 * never decreasing, every full hash tile and the right-edge tiles, every checkpoint's stored root and signed note.
 * Returns the first finding in log order (or none). Yields to the event loop after every chunk of leaves.
 */
export async function recomputeLog(
  db: Kysely<Database>,
  log: TrustLog,
  opts: RecomputeOptions = {},
): Promise<RecomputeReport> {
  const t0 = performance.now();
  const name = log.name;
  const N = log.latestCheckpoint.size;
  const chunk = opts.chunk ?? RECOMPUTE_CHUNK;
  let tiles = 0;
  let checkpoints = 0;
  let leaves = 0;
  const report = (finding: IntegrityFinding | null): RecomputeReport => ({
    log: name,
    size: N,
    leaves,
    checkpoints,
    tiles,
    ms: Math.round(performance.now() - t0),
    finding,
  });

  /** A checkpoint must carry the recomputed root in its column AND in a note signed by our key. */
  const checkCheckpoint = async (cp: { size: number; root: Uint8Array; note: string }, root: Uint8Array) => {
    checkpoints++;
    if (!bytesEqual(cp.root, root)) {
      found(
        'checkpoint',
        cp.size,
        `木の大きさ ${cp.size} のチェックポイントの root 列（${toBase64(cp.root)}）が、リーフから計算し直した値（${toBase64(root)}）と一致しません。`,
      );
    }
    let opened: Awaited<ReturnType<typeof openCheckpoint>>;
    try {
      opened = await openCheckpoint(cp.note, log.vkey, log.origin);
    } catch (e) {
      return found(
        'checkpoint',
        cp.size,
        `木の大きさ ${cp.size} のチェックポイントの署名を検証できません（${(e as Error).message}）。`,
      );
    }
    if (opened.size !== cp.size || !bytesEqual(opened.root, root)) {
      found(
        'checkpoint',
        cp.size,
        `木の大きさ ${cp.size} のチェックポイントの署名付き本文（大きさ ${opened.size}、root ${toBase64(opened.root)}）が、計算し直した木と一致しません。`,
      );
    }
  };

  try {
    const zero = await checkpointAtSize(db, name, 0);
    if (zero) await checkCheckpoint(zero, EMPTY_ROOT);
    const codes = name === 'certs' ? await suretyCodes(db) : new Map<number, string>();
    const completed: { level: number; index: number; bytes: Uint8Array }[] = [];
    // TiledRange hands each full tile over in a buffer it reuses: copy it.
    const range = new TiledRange(0, 0, 64, (level, index, bytes) =>
      completed.push({ level, index, bytes: Uint8Array.from(bytes) }),
    );
    let lastTimestamp = -1;
    for (let start = 0; start < N; start += chunk) {
      const end = Math.min(N, start + chunk);
      const chunkLeaves =
        (name === 'access' ? await fastAccessChunk(db, start, end) : null) ??
        (name === 'access'
          ? (await accessLeafRows(db, start, end)).map((r) => ({
              idx: r.idx,
              ts: checkAccessRow(r),
              hash: leafHashText(r.leaf),
            }))
          : (await certLeafRows(db, start, end)).map((r) => ({
              idx: r.idx,
              ts: checkCertRow(r, codes),
              hash: leafHashText(r.leaf),
            })));
      const cps = await checkpointsIn(db, name, start, end);
      const roots: { cp: (typeof cps)[number]; root: Uint8Array }[] = [];
      let c = 0;
      let expected = start;
      for (const r of chunkLeaves) {
        if (r.idx !== expected) {
          found(
            'leaf',
            expected,
            `ログ番号 ${expected} のリーフが log_entries にありません（次は ${r.idx}）。`,
          );
        }
        if (r.ts < lastTimestamp) {
          found(
            'order',
            r.idx,
            `ログ番号 ${r.idx} の時刻（${new Date(r.ts).toISOString()}）が、ひとつ前のリーフより前です。`,
          );
        }
        lastTimestamp = r.ts;
        range.push(r.hash);
        expected++;
        leaves++;
        while (c < cps.length && cps[c]!.size === expected) {
          roots.push({ cp: cps[c]!, root: foldNodes(range.nodes()) });
          c++;
        }
      }
      if (expected !== end) {
        found('leaf', expected, `ログ番号 ${expected} のリーフが log_entries にありません。`);
      }
      // Full tiles completed in this chunk, one range read per level.
      const byLevel = new Map<number, { index: number; bytes: Uint8Array }[]>();
      for (const t of completed.splice(0)) {
        const list = byLevel.get(t.level) ?? [];
        list.push(t);
        byLevel.set(t.level, list);
      }
      for (const [level, list] of byLevel) {
        const stored = new Map(
          (await tilesIn(db, name, level, list[0]!.index, list[list.length - 1]!.index)).map((s) => [
            s.idx,
            s.hashes,
          ]),
        );
        for (const t of list) {
          const tname = tileName(level, t.index, TILE_WIDTH);
          const s = stored.get(t.index);
          if (!s) found('tile', tname, `タイル ${tname} が log_tiles にありません。`);
          if (s.length !== t.bytes.length || !bytesEqual(s, t.bytes))
            found('tile', tname, tileDiff(tname, s, t.bytes));
          tiles++;
        }
      }
      for (const { cp, root } of roots) await checkCheckpoint(cp, root);
      opts.onProgress?.(end, N);
      await yieldToEventLoop();
    }
    // The right edge: partial tiles as stored. They may have grown since the job started, keeping their prefix.
    for (const t of range.partialTiles()) {
      const tname = tileName(t.level, t.index, t.hashes.length / HASH);
      const s = (await tilesIn(db, name, t.level, t.index, t.index))[0]?.hashes;
      if (!s) found('tile', tname, `タイル ${tname} が log_tiles にありません。`);
      if (s.length < t.hashes.length || !bytesEqual(s.subarray(0, t.hashes.length), t.hashes)) {
        found('tile', tname, tileDiff(tname, s, t.hashes));
      }
      tiles++;
    }
    return report(null);
  } catch (e) {
    if (e instanceof Found) return report(e.finding);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Background jobs: at most one recompute per log at a time; progress for the htmx polling fragment.
// ---------------------------------------------------------------------------------------------------------------

export interface IntegrityJob {
  id: string;
  log: LogName;
  status: 'running' | 'done' | 'error';
  done: number;
  total: number;
  startedAt: number;
  finishedAt: number | null;
  /** `user:<id>` of the auditor who started it. */
  startedBy: string;
  report: RecomputeReport | null;
  error: string | null;
}

export interface IntegrityJobsDeps {
  db: Kysely<Database>;
  logs: { certs: TrustLog; access: TrustLog };
  access: { record(event: AccessEventInput): Promise<unknown> };
  clock: { now(): number };
}

type RequestMeta = { ip: string | null; userAgent: string | null; requestId: string | null };

/** Who starts a recompute: recorded as the actor of its `audit.integrity` events. Plain data (crosses RPC). */
export interface IntegrityStarter {
  actor: string;
  orgCode: string;
  meta: RequestMeta;
}

export interface IntegrityStart {
  kind: 'started' | 'already-running';
  job: IntegrityJob;
}

/** The newest job of each log, as plain data (a Map does not travel as a plain object over RPC). */
export type LatestJobs = Partial<Record<LogName, IntegrityJob>>;

/**
 * What the console needs from the recompute jobs, async so it can live elsewhere: on Node the server's own
 * IntegrityJobs (one process sees every request); on Workers the LogSequencer Durable Object, the one instance
 * every fetch isolate reaches, which runs the jobs beyond the request that started them.
 */
export interface IntegrityJobsPort {
  start(log: LogName, who: IntegrityStarter): Promise<IntegrityStart>;
  get(id: string): Promise<IntegrityJob | null>;
  latest(): Promise<LatestJobs>;
}

const KEEP_JOBS = 50;

export class IntegrityJobs {
  private readonly jobs = new Map<string, IntegrityJob>();
  private readonly running = new Map<LogName, Promise<void>>();
  /**
   * Starts still recording their `started` event. That write awaits I/O, so a second start of the same log can
   * arrive meanwhile (concurrent requests on Node, interleaved RPC calls in the Durable Object): it joins this one
   * instead of starting a second job.
   */
  private readonly starting = new Map<LogName, Promise<IntegrityStart>>();

  constructor(
    private readonly deps: IntegrityJobsDeps,
    private readonly opts: { chunk?: number } = {},
  ) {}

  get(id: string): IntegrityJob | undefined {
    return this.jobs.get(id);
  }

  /** The newest job of each log (running or finished) since the server started. */
  latest(): Map<LogName, IntegrityJob> {
    const out = new Map<LogName, IntegrityJob>();
    for (const j of this.jobs.values()) out.set(j.log, j);
    return out;
  }

  /**
   * Start a recompute of `log` unless one is running (then that one is returned). The start is recorded in the
   * access log (durably) before the job runs; the result is recorded when it ends.
   */
  async start(log: LogName, who: IntegrityStarter): Promise<IntegrityStart> {
    const current = [...this.jobs.values()].find((j) => j.log === log && j.status === 'running');
    if (current) return { kind: 'already-running', job: current };
    const pending = this.starting.get(log);
    if (pending) return { kind: 'already-running', job: (await pending).job };
    const begun = this.begin(log, who);
    this.starting.set(log, begun);
    try {
      return await begun;
    } finally {
      // By now the job is in `jobs` as running (begin adds it before resolving), so the check above sees it.
      this.starting.delete(log);
    }
  }

  private async begin(log: LogName, who: IntegrityStarter): Promise<IntegrityStart> {
    const id = crypto.randomUUID();
    const trustLog = this.deps.logs[log];
    const job: IntegrityJob = {
      id,
      log,
      status: 'running',
      done: 0,
      total: trustLog.latestCheckpoint.size,
      startedAt: this.deps.clock.now(),
      finishedAt: null,
      startedBy: who.actor,
      report: null,
      error: null,
    };
    const event = (outcome: string, detail: Record<string, unknown>) =>
      this.deps.access.record({
        action: 'audit.integrity',
        outcome,
        actor: who.actor,
        orgCode: who.orgCode,
        ...who.meta,
        detail: { check: 'recompute', log, job: id, ...detail },
      });
    await event('started', { size: job.total });
    this.jobs.set(id, job);
    while (this.jobs.size > KEEP_JOBS) {
      const oldest = [...this.jobs.values()].find((j) => j.status !== 'running');
      if (!oldest) break;
      this.jobs.delete(oldest.id);
    }
    const run = (async () => {
      try {
        const report = await recomputeLog(this.deps.db, trustLog, {
          ...(this.opts.chunk ? { chunk: this.opts.chunk } : {}),
          onProgress: (done) => {
            job.done = done;
          },
        });
        job.report = report;
        job.done = report.finding ? job.done : report.size;
        await event(report.finding ? 'failed' : 'ok', {
          size: report.size,
          leaves: report.leaves,
          checkpoints: report.checkpoints,
          tiles: report.tiles,
          ms: report.ms,
          finding: report.finding,
        });
        job.status = 'done';
      } catch (e) {
        job.status = 'error';
        job.error = (e as Error).message;
        console.error(`[densho] integrity recompute of the ${log} log failed:`, e);
        await event('error', { error: job.error }).catch(() => {});
      } finally {
        job.finishedAt = this.deps.clock.now();
        this.running.delete(log);
      }
    })();
    this.running.set(log, run);
    return { kind: 'started', job };
  }

  /** Wait for every running job (tests, shutdown, and the Durable Object keeping itself alive while jobs run). */
  async settle(): Promise<void> {
    await Promise.all(this.running.values());
  }
}

/** The newest job of each log as plain data (see LatestJobs). */
export function latestJobs(jobs: IntegrityJobs): LatestJobs {
  return Object.fromEntries(jobs.latest()) as LatestJobs;
}

/** The port over jobs held in this process's memory (Node: one server process answers every request). */
export function inMemoryIntegrityJobs(jobs: IntegrityJobs): IntegrityJobsPort {
  return {
    start: (log, who) => jobs.start(log, who),
    get: async (id) => jobs.get(id) ?? null,
    latest: async () => latestJobs(jobs),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// An earlier checkpoint, brought by an auditor: is it ours, and is today's tree an extension of it?
// ---------------------------------------------------------------------------------------------------------------

export type CheckpointCheck =
  | { kind: 'malformed'; message: string }
  | { kind: 'unknown-origin'; origin: string }
  | { kind: 'bad-signature'; log: LogName; message: string }
  | { kind: 'beyond'; log: LogName; size: number; latestSize: number }
  | { kind: 'inconsistent'; log: LogName; size: number; latestSize: number; reason: string }
  | {
      kind: 'consistent';
      log: LogName;
      size: number;
      root: string;
      latestSize: number;
      latestRoot: string;
      proof: string[];
      /** Whether we still hold a checkpoint of that size with the same root (null: none of that size kept). */
      storedMatches: boolean | null;
    };

/**
 * Normalise what a browser submits: textarea line breaks arrive as CRLF, a pasted note may lack its final newline
 * or carry surrounding blank lines. The signature covers the exact body, so nothing else is changed.
 */
export function normaliseNote(text: string): string {
  const lf = text.replace(/\r\n?/g, '\n').replace(/^\n+/, '').replace(/\n+$/, '');
  return `${lf}\n`;
}

export async function checkEarlierCheckpoint(
  db: Kysely<Database>,
  logs: { certs: TrustLog; access: TrustLog },
  noteText: string,
): Promise<CheckpointCheck> {
  const note = normaliseNote(noteText);
  const split = note.lastIndexOf('\n\n');
  if (split < 0)
    return {
      kind: 'malformed',
      message: '署名行の前の空行がありません（チェックポイント全体を貼り付けてください）。',
    };
  let origin: string;
  try {
    origin = parseCheckpointBody(note.slice(0, split + 1)).origin;
  } catch (e) {
    return { kind: 'malformed', message: (e as Error).message };
  }
  const log = LOG_NAMES.find((n) => logs[n].origin === origin);
  if (!log) return { kind: 'unknown-origin', origin };
  const trustLog = logs[log];
  let cp: Awaited<ReturnType<typeof openCheckpoint>>;
  try {
    cp = await openCheckpoint(note, trustLog.vkey, trustLog.origin);
  } catch (e) {
    return { kind: 'bad-signature', log, message: (e as Error).message };
  }
  const latest = trustLog.latestCheckpoint;
  if (cp.size > latest.size) return { kind: 'beyond', log, size: cp.size, latestSize: latest.size };
  const proof =
    cp.size === 0 || cp.size === latest.size ? [] : await trustLog.consistencyProof(cp.size, latest.size);
  const stored = await checkpointAtSize(db, log, cp.size);
  const storedMatches = stored ? bytesEqual(stored.root, cp.root) : null;
  if (!verifyConsistency(cp.size, latest.size, proof, cp.root, latest.root)) {
    return {
      kind: 'inconsistent',
      log,
      size: cp.size,
      latestSize: latest.size,
      reason:
        cp.size === latest.size
          ? '同じ大きさの現在の木と root が異なります。'
          : '整合性証明（consistency proof）が、このチェックポイントの root から現在の root へつながりません。',
    };
  }
  return {
    kind: 'consistent',
    log,
    size: cp.size,
    root: toBase64(cp.root),
    latestSize: latest.size,
    latestRoot: toBase64(latest.root),
    proof: proof.map(toBase64),
    storedMatches,
  };
}

/** The text of a note file upload (UTF-8, small). */
export async function noteFromFile(file: Blob): Promise<string> {
  return fromUtf8(new Uint8Array(await file.arrayBuffer()));
}
