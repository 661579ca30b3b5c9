// TrustLog: one append-only Merkle log (certs or access). Holds the right edge in memory, appends a batch as
// ONE atomic write (leaves, domain rows, tiles, signed checkpoint), and serves proofs, tiles and checkpoints.
// Runtime-neutral: storage goes through Kysely reads and the AtomicWriter port.
//
// Crash reasoning (what a crash at each step of append() leaves behind):
//   before atomic.run(): nothing was written; memory is discarded with the process; callers got no answer.
//   inside atomic.run(): SQLite rolls the transaction back on restart; same as above.
//   after atomic.run() resolved: the batch is durable; the new state is adopted in memory before any
//     caller is answered, so every receipt a caller sees describes a committed tree.
// Startup (open + selfCheck) rebuilds memory from the latest checkpoint and refuses a store that disagrees.
//
// More than one process may append (the server and an operator's CLI): optimistic concurrency. A batch is built
// from this process's view of the tree; if another process committed first, the batch's log_entries rows collide
// with the (log, idx) primary key and the whole transaction rolls back. The log then reloads its state from the
// database (size, right edge, last timestamp, checkpoint) and builds the batch again with new indices and times —
// so indices stay contiguous and timestamps never decrease across processes. Drafts must therefore be re-callable.
import type { CompiledQuery, Kysely } from 'kysely';
import { bytesEqual, toBase64 } from '../domain/bytes.ts';
import {
  checkpointBody,
  type NoteSigner,
  noteKeyId,
  openCheckpoint,
  signNote,
  vkeyText,
} from '../domain/checkpoint.ts';
import { parseLeaf } from '../domain/leaf.ts';
import {
  CompactRange,
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  type NodeReader,
  nodeHash,
  rangeNodes,
  rootAt,
} from '../domain/merkle.ts';
import { TILE_HEIGHT, TILE_WIDTH, TileEdge, tileNodeReader } from '../domain/tiles.ts';
import type { AtomicWriter, Clock } from '../platform/ports.ts';
import type { Database, LogName } from '../repos/database.ts';

/** The sequencer refuses to write a time it can't stand behind (trust-log.md: the issuance timestamp). */
export const MAX_CLOCK_BEHIND_MS = 5_000;

/** Rebuilds of one batch after other processes' commits before giving up (each retry follows a commit elsewhere). */
export const MAX_APPEND_ATTEMPTS = 50;

export class ClockBehindError extends Error {
  override name = 'ClockBehindError';
}

export class LogIntegrityError extends Error {
  override name = 'LogIntegrityError';
}

export interface AppendContext {
  index: number;
  timestamp: number;
  leaf: Uint8Array;
  leafHash: Uint8Array;
  /** Tree size and root of the checkpoint this batch produces. */
  treeSize: number;
  root: Uint8Array;
}

/** One entry of a batch: its leaf once index and time are known, then its domain rows once the root is known. */
export interface LogEntryDraft<R> {
  leaf(index: number, timestamp: number): Uint8Array;
  finish(
    ctx: AppendContext,
  ): Promise<{ writes: CompiledQuery[]; result: R }> | { writes: CompiledQuery[]; result: R };
}

export interface TrustLogDeps {
  db: Kysely<Database>;
  atomic: AtomicWriter;
  clock: Clock;
  name: LogName;
  /** Origin used when the log is created; an existing log keeps the origin it was created with. */
  origin: string;
  noteSigner: NoteSigner;
  notePublicKey: Uint8Array;
}

interface State {
  size: number;
  range: CompactRange;
  edge: TileEdge;
  lastTimestamp: number;
  checkpoint: { size: number; note: string; root: Uint8Array };
}

const FULL_TILE_CACHE = 4096; // 4096 × 8 KiB = 32 MiB at most
const TILE_TREE_CACHE = 4096; // × ≈ 8 KiB of internal nodes (the tile bytes are shared) ≈ 32 MiB: every tile of a 1M log

export class TrustLog {
  private state!: State;
  /** Tiles of the right edge (possibly partial), kept current at every commit. */
  private edgeTiles = new Map<string, Uint8Array>();
  /** Full tiles are immutable: a bounded cache in insertion order. */
  private fullTiles = new Map<string, Uint8Array>();
  readonly origin: string;
  readonly vkey: string;

  private constructor(
    private readonly deps: TrustLogDeps,
    origin: string,
  ) {
    this.origin = origin;
    this.vkey = vkeyText(deps.noteSigner.name, deps.notePublicKey);
  }

  /**
   * A read-only view of a log that another process appends to (Workers fetch isolates, Node HTTP workers): opened
   * with its stored origin and self-checked like any open, kept current with refresh(); it refuses to append or sign,
   * since an append from anywhere but the one sequencer would fork the tree. `appender` names that sequencer.
   */
  static async openReadOnly(deps: {
    db: Kysely<Database>;
    clock: Clock;
    name: LogName;
    notePublicKey: Uint8Array;
    appender: string;
  }): Promise<TrustLog> {
    const { db, clock, name, notePublicKey, appender } = deps;
    const row = await db
      .selectFrom('logs')
      .select('origin')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    const refuse = (what: string) => () =>
      Promise.reject(new Error(`this process only reads the logs; ${what} come from ${appender}`));
    return TrustLog.open({
      db,
      atomic: { run: refuse('appends') },
      clock,
      name,
      origin: row.origin,
      noteSigner: {
        name: row.origin,
        keyId: noteKeyId(row.origin, notePublicKey),
        sign: refuse('checkpoints'),
      },
      notePublicKey,
    });
  }

  /** Open the log, creating it (with a signed size-0 checkpoint) if new, and self-check the stored tree. */
  static async open(deps: TrustLogDeps): Promise<TrustLog> {
    const row = await deps.db.selectFrom('logs').selectAll().where('name', '=', deps.name).executeTakeFirst();
    if (!row) {
      if (deps.noteSigner.name !== deps.origin) throw new Error('note signer name must equal the log origin');
      const now = deps.clock.now();
      const note = await signNote(checkpointBody(deps.origin, 0, EMPTY_ROOT), deps.noteSigner);
      await deps.atomic.run([
        deps.db
          .insertInto('logs')
          .values({ name: deps.name, origin: deps.origin, created_at: now })
          .compile(),
        deps.db
          .insertInto('log_checkpoints')
          .values({ log: deps.name, size: 0, root: EMPTY_ROOT, note, created_at: now })
          .compile(),
      ]);
    } else if (row.origin !== deps.noteSigner.name) {
      throw new LogIntegrityError(
        `the ${deps.name} log was created with origin "${row.origin}" but the signer is named "${deps.noteSigner.name}"`,
      );
    }
    const origin = row?.origin ?? deps.origin;
    const log = new TrustLog(deps, origin);
    await log.load();
    return log;
  }

  get name(): LogName {
    return this.deps.name;
  }
  get size(): number {
    return this.state.size;
  }
  get lastTimestamp(): number {
    return this.state.lastTimestamp;
  }
  get latestCheckpoint(): { size: number; note: string; root: Uint8Array } {
    return this.state.checkpoint;
  }

  /**
   * Startup self-check (trust-log.md): recompute the root from the stored hashes, compare it with the latest
   * checkpoint, verify that checkpoint's signature, and check the leaves and tiles agree in size. It reads the
   * O(log n) nodes of the right edge, so it stays instant at millions of entries; an interior full tile is
   * covered by its parent's hash and is checked by the full recompute of `densho verify-log`.
   */
  private async load(): Promise<void> {
    const { db, name } = this.deps;
    const cp = await db
      .selectFrom('log_checkpoints')
      .select(['size', 'root', 'note'])
      .where('log', '=', name)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!cp) throw new LogIntegrityError(`the ${name} log has no checkpoint; restore from backup`);
    const opened = await openCheckpoint(cp.note, this.vkey, this.origin).catch((e: unknown) => {
      throw new LogIntegrityError(
        `the latest ${name} checkpoint does not verify with this platform's key (${String(e)}); ` +
          'the key directory does not belong to this database — restore both from the same backup',
      );
    });
    if (opened.size !== cp.size || !bytesEqual(opened.root, cp.root)) {
      throw new LogIntegrityError(
        `the ${name} checkpoint row disagrees with its signed note; restore from backup`,
      );
    }
    let last = await this.lastEntry();
    // The checkpoint and the last leaf are two reads, and another process may commit a batch between them (leaves
    // and checkpoint together, atomically). More leaves than the checkpoint covers is then explained by a newer
    // checkpoint, and the leaves below our checkpoint's size are the ones it covers; without a newer checkpoint the
    // extra leaves are a damaged store and the check below refuses it.
    if (last && last.idx >= cp.size && (await this.storedSize()) > cp.size)
      last = await this.lastEntry(cp.size);
    const leafCount = last ? last.idx + 1 : 0;
    if (leafCount !== cp.size) {
      throw new LogIntegrityError(
        `the ${name} log has ${leafCount} leaves but its latest checkpoint covers ${cp.size}; ` +
          'the database was altered or is incomplete — restore from backup, then run `densho verify-log`',
      );
    }
    const fetch = (level: number, index: number) => this.readTileFromDb(level, index);
    const reader = tileNodeReader(fetch);
    const size = cp.size;
    const nodes = size === 0 ? [] : rangeNodes({ start: 0, end: size });
    const hashes = await reader(nodes);
    const range = CompactRange.fromNodes(size, hashes);
    if (!bytesEqual(range.root(), cp.root)) {
      throw new LogIntegrityError(
        `the stored ${name} tree (root ${toBase64(range.root())}) does not match the signed checkpoint ` +
          `(root ${toBase64(cp.root)}) at size ${size}; the database was altered — restore from backup, then run \`densho verify-log\``,
      );
    }
    if (last) {
      const lastHash = (await reader([{ level: 0, index: last.idx }]))[0]!;
      if (!bytesEqual(lastHash, leafHash(last.leaf))) {
        throw new LogIntegrityError(
          `the last ${name} leaf does not match its stored hash; restore from backup`,
        );
      }
    }
    const edge = await TileEdge.load(size, fetch);
    this.state = {
      size,
      range,
      edge,
      lastTimestamp: last ? leafTimestamp(last.leaf) : 0,
      checkpoint: { size, note: cp.note, root: cp.root },
    };
  }

  /** The size of the latest stored checkpoint (what the database says the tree is, whoever wrote it). */
  private async storedSize(): Promise<number> {
    const row = await this.deps.db
      .selectFrom('log_checkpoints')
      .select('size')
      .where('log', '=', this.deps.name)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.size ?? 0;
  }

  /** The last leaf (below `below` when given). */
  private lastEntry(below?: number): Promise<{ idx: number; leaf: Uint8Array } | undefined> {
    let q = this.deps.db.selectFrom('log_entries').select(['idx', 'leaf']).where('log', '=', this.deps.name);
    if (below !== undefined) q = q.where('idx', '<', below);
    return q.orderBy('idx', 'desc').limit(1).executeTakeFirst();
  }

  /**
   * Adopt appends made by another process (an operator's CLI next to the server): if the stored tree is larger than
   * ours, rebuild the state from the database, with the same checks as at startup. Returns true if it moved.
   * Full tiles and tile trees stay cached (complete tiles never change); edge tiles are dropped (they grew).
   */
  async refresh(): Promise<boolean> {
    const stored = await this.storedSize();
    if (stored === this.state.size) return false;
    if (stored < this.state.size) {
      throw new LogIntegrityError(
        `the stored ${this.deps.name} log (size ${stored}) is smaller than this process saw (${this.state.size}); ` +
          'the database was replaced or rolled back — stop the server, then run `densho verify-log`',
      );
    }
    this.edgeTiles.clear();
    await this.load();
    return true;
  }

  /**
   * Append a batch (see appendOnce). If another process committed to this log since our state was loaded, the
   * batch fails as a whole on the (log, idx) primary key; we adopt the stored tree and build the batch again, with
   * new indices and times. Any other failure is thrown as it is (nothing was written).
   */
  async append<R>(
    drafts: readonly LogEntryDraft<R>[],
    batchWrites?: (results: R[]) => CompiledQuery[],
  ): Promise<{ results: R[]; treeSize: number; checkpoint: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.appendOnce(drafts, batchWrites);
      } catch (err) {
        if (err instanceof ClockBehindError || attempt >= MAX_APPEND_ATTEMPTS) throw err;
        if (!(await this.refresh())) throw err; // not a commit elsewhere: the batch itself failed
      }
    }
  }

  /**
   * Append a batch. Assigns contiguous indices and non-decreasing timestamps, builds leaves, the new tree head
   * and its signed checkpoint, collects every row, and commits them in ONE atomic durable write. Only then is
   * memory updated and are the results returned. Throws (nothing written) on any failure.
   */
  private async appendOnce<R>(
    drafts: readonly LogEntryDraft<R>[],
    /** Rows written once per batch from all results (e.g. multi-row inserts), before the log's own rows. */
    batchWrites?: (results: R[]) => CompiledQuery[],
  ): Promise<{ results: R[]; treeSize: number; checkpoint: string }> {
    const { db, name, clock } = this.deps;
    if (drafts.length === 0)
      return { results: [], treeSize: this.state.size, checkpoint: this.state.checkpoint.note };
    const now = clock.now();
    if (now < this.state.lastTimestamp - MAX_CLOCK_BEHIND_MS) {
      throw new ClockBehindError(
        `the system clock (${new Date(now).toISOString()}) is more than ${MAX_CLOCK_BEHIND_MS / 1000} s behind the ` +
          `last ${name} timestamp (${new Date(this.state.lastTimestamp).toISOString()}); fix the clock (NTP) — ` +
          'the sequencer will not write a time it cannot stand behind',
      );
    }
    // issuedAt = max(clock.now(), last issuedAt): never decreases along the log.
    const timestamp = Math.max(now, this.state.lastTimestamp);
    const range = this.state.range.clone();
    const start = this.state.size;
    const leaves: Uint8Array[] = [];
    const hashes: Uint8Array[] = [];
    drafts.forEach((d, i) => {
      const leaf = d.leaf(start + i, timestamp);
      const h = leafHash(leaf);
      leaves.push(leaf);
      hashes.push(h);
      range.append(h);
    });
    const treeSize = start + drafts.length;
    const root = range.root();
    const { edge, changed } = this.state.edge.append(hashes);
    const note = await signNote(checkpointBody(this.origin, treeSize, root), this.deps.noteSigner);

    const finished = await Promise.all(
      drafts.map((d, i) =>
        d.finish({
          index: start + i,
          timestamp,
          leaf: leaves[i]!,
          leafHash: hashes[i]!,
          treeSize,
          root,
        }),
      ),
    );
    const writes: CompiledQuery[] = [];
    for (const f of finished) writes.push(...f.writes);
    if (batchWrites) writes.push(...batchWrites(finished.map((f) => f.result)));
    const entryRows = leaves.map((leaf, i) => ({ log: name, idx: start + i, leaf }));
    for (const rows of chunks(entryRows)) writes.push(db.insertInto('log_entries').values(rows).compile());
    for (const t of changed) {
      writes.push(
        db
          .insertInto('log_tiles')
          .values({ log: name, level: t.level, idx: t.index, hashes: t.hashes })
          .onConflict((oc) => oc.columns(['log', 'level', 'idx']).doUpdateSet({ hashes: t.hashes }))
          .compile(),
      );
    }
    writes.push(
      db
        .insertInto('log_checkpoints')
        .values({ log: name, size: treeSize, root, note, created_at: now })
        .compile(),
    );

    await this.deps.atomic.run(writes); // durable (fsync'd) when this resolves

    // Adopt the committed state before anyone is answered.
    this.state = {
      size: treeSize,
      range,
      edge,
      lastTimestamp: timestamp,
      checkpoint: { size: treeSize, note, root },
    };
    for (const t of changed) {
      const key = tileKey(t.level, t.index);
      if (t.hashes.length === TILE_WIDTH * 32) {
        this.edgeTiles.delete(key);
        this.cacheFull(key, t.hashes);
      } else {
        this.edgeTiles.set(key, t.hashes);
      }
    }
    return { results: finished.map((f) => f.result), treeSize, checkpoint: note };
  }

  /** RFC 6962 inclusion proof for `index` in the tree of `size` (≤ the current size). */
  inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    this.assertSize(size);
    return inclusionProof(index, size, this.reader);
  }

  consistencyProof(first: number, second: number): Promise<Uint8Array[]> {
    this.assertSize(second);
    return consistencyProof(first, second, this.reader);
  }

  rootAt(size: number): Promise<Uint8Array> {
    this.assertSize(size);
    return rootAt(size, this.reader);
  }

  /** Hash tile bytes at `width` entries, or null if the log has no such tile (yet). */
  async tile(level: number, index: number, width: number): Promise<Uint8Array | null> {
    const stored = await this.fetchTile(level, index).catch(() => null);
    if (!stored || stored.length < width * 32) return null;
    return stored.subarray(0, width * 32);
  }

  /** Leaves [index*256, index*256+width) for an entry bundle, or null if not all exist. */
  async entries(index: number, width: number): Promise<Uint8Array[] | null> {
    const start = index * TILE_WIDTH;
    if (start + width > this.state.size) return null;
    const rows = await this.deps.db
      .selectFrom('log_entries')
      .select('leaf')
      .where('log', '=', this.deps.name)
      .where('idx', '>=', start)
      .where('idx', '<', start + width)
      .orderBy('idx')
      .execute();
    return rows.length === width ? rows.map((r) => r.leaf) : null;
  }

  async leaf(index: number): Promise<Uint8Array | null> {
    if (index < 0 || index >= this.state.size) return null;
    const row = await this.deps.db
      .selectFrom('log_entries')
      .select('leaf')
      .where('log', '=', this.deps.name)
      .where('idx', '=', index)
      .executeTakeFirst();
    return row?.leaf ?? null;
  }

  /** The signed checkpoint note for exactly this tree size, if one was issued. */
  async checkpointAt(size: number): Promise<string | null> {
    if (size === this.state.checkpoint.size) return this.state.checkpoint.note;
    const row = await this.deps.db
      .selectFrom('log_checkpoints')
      .select('note')
      .where('log', '=', this.deps.name)
      .where('size', '=', size)
      .executeTakeFirst();
    return row?.note ?? null;
  }

  /** Checkpoints with size > since, oldest first. */
  async checkpointsSince(since: number, limit: number): Promise<{ size: number; note: string }[]> {
    return this.deps.db
      .selectFrom('log_checkpoints')
      .select(['size', 'note'])
      .where('log', '=', this.deps.name)
      .where('size', '>', since)
      .orderBy('size')
      .limit(limit)
      .execute();
  }

  /**
   * Internal trees of tiles: for tile (L, N), levels[r] holds the hashes of its complete tree-level 8L+r nodes.
   * Complete subtrees never change, so a tile's tree is built once (255 hashes for a full tile, about one per
   * leaf) and extended as the edge tile grows. Without it every receipt's proof re-hashed up to ~250 tile
   * entries (measured: a third of the sequencer's time).
   */
  private readonly tileTrees = new Map<string, { width: number; levels: Uint8Array[] }>();

  private readonly reader: NodeReader = async (ids) => {
    const out: Uint8Array[] = [];
    for (const id of ids) {
      const r = id.level % TILE_HEIGHT;
      const perTile = TILE_WIDTH >> r; // nodes of sub-level r in one tile
      const tileIndex = Math.floor(id.index / perTile);
      const j = id.index % perTile;
      const tree = await this.tileTree(Math.floor(id.level / TILE_HEIGHT), tileIndex, (j + 1) << r);
      out.push(tree.levels[r]!.subarray(j * 32, j * 32 + 32));
    }
    return out;
  };

  /** Builds under way, so concurrent proofs of one batch share one build instead of each missing the cache. */
  private readonly tileTreeBuilds = new Map<string, Promise<{ width: number; levels: Uint8Array[] }>>();

  private async tileTree(
    level: number,
    index: number,
    minWidth: number,
  ): Promise<{ width: number; levels: Uint8Array[] }> {
    const key = tileKey(level, index);
    const have = this.tileTrees.get(key);
    if (have && have.width >= minWidth) return have;
    const pending = this.tileTreeBuilds.get(key);
    if (pending) {
      const built = await pending;
      if (built.width >= minWidth) return built;
    }
    const build = this.buildTileTree(key, level, index, minWidth, have);
    this.tileTreeBuilds.set(key, build);
    try {
      return await build;
    } finally {
      if (this.tileTreeBuilds.get(key) === build) this.tileTreeBuilds.delete(key);
    }
  }

  private async buildTileTree(
    key: string,
    level: number,
    index: number,
    minWidth: number,
    have: { width: number; levels: Uint8Array[] } | undefined,
  ): Promise<{ width: number; levels: Uint8Array[] }> {
    const bytes = await this.fetchTile(level, index);
    const width = bytes.length / 32;
    if (width < minWidth)
      throw new LogIntegrityError(`tile ${key} of the ${this.deps.name} log is shorter than the tree`);
    const levels: Uint8Array[] = [bytes];
    for (let r = 1; r < TILE_HEIGHT; r++) {
      const below = levels[r - 1]!;
      const count = width >> r;
      const row = new Uint8Array(count * 32);
      const reuse = have ? Math.min(have.width >> r, count) : 0; // already-built complete nodes
      if (reuse > 0) row.set(have!.levels[r]!.subarray(0, reuse * 32));
      for (let j = reuse; j < count; j++) {
        row.set(
          nodeHash(
            below.subarray(2 * j * 32, 2 * j * 32 + 32),
            below.subarray((2 * j + 1) * 32, (2 * j + 2) * 32),
          ),
          j * 32,
        );
      }
      levels.push(row);
    }
    const tree = { width, levels };
    if (this.tileTrees.size >= TILE_TREE_CACHE && !have) {
      const oldest = this.tileTrees.keys().next().value;
      if (oldest !== undefined) this.tileTrees.delete(oldest);
    }
    this.tileTrees.set(key, tree);
    return tree;
  }

  private assertSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.state.size) {
      throw new RangeError(`tree size ${size} is beyond the log (size ${this.state.size})`);
    }
  }

  private async fetchTile(level: number, index: number): Promise<Uint8Array> {
    const key = tileKey(level, index);
    const hit = this.edgeTiles.get(key) ?? this.fullTiles.get(key);
    if (hit) return hit;
    const bytes = await this.readTileFromDb(level, index);
    if (bytes.length === TILE_WIDTH * 32) this.cacheFull(key, bytes);
    else this.edgeTiles.set(key, bytes);
    return bytes;
  }

  private async readTileFromDb(level: number, index: number): Promise<Uint8Array> {
    const row = await this.deps.db
      .selectFrom('log_tiles')
      .select('hashes')
      .where('log', '=', this.deps.name)
      .where('level', '=', level)
      .where('idx', '=', index)
      .executeTakeFirst();
    if (!row) throw new LogIntegrityError(`tile ${level}/${index} of the ${this.deps.name} log is missing`);
    return row.hashes;
  }

  private cacheFull(key: string, bytes: Uint8Array): void {
    if (this.fullTiles.size >= FULL_TILE_CACHE) {
      const oldest = this.fullTiles.keys().next().value;
      if (oldest !== undefined) this.fullTiles.delete(oldest);
    }
    this.fullTiles.set(key, bytes);
  }
}

/**
 * Multi-row INSERTs in chunks of at most CHUNK rows: every distinct row count is a distinct SQL text, so a
 * bounded set of shapes keeps the prepared-statement cache warm instead of re-preparing on every batch size.
 */
export const CHUNK = 32;
export function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

function tileKey(level: number, index: number): string {
  return `${level}/${index}`;
}

/** The timestamp inside a leaf: issuedAt (certs) or at (access). */
export function leafTimestamp(leaf: Uint8Array): number {
  const parsed = parseLeaf(leaf);
  return parsed.type === 'densho/cert/v1' ? parsed.body.issuedAt : parsed.body.at;
}
