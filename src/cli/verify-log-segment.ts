// verify-log, inner loop: recompute one aligned segment of a log (leaf hashes, subtree nodes, the hash tiles that lie
// inside it) and check every leaf against its domain row. Runs inline for small logs and in worker threads for large
// ones; it only reads (a read-only connection) and trusts nothing in the database.
//
// Speed matters here (≥ 300k leaves/s on 2 cores): one hash call per leaf and per interior node, scratch buffers
// instead of per-leaf arrays, leaves compared as bytes against the leaf re-rendered from the domain row.
import { hash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { HASH, TILE_BYTES, TILE_WIDTH, TiledRange, tileName } from '../domain/tiled-range.ts';

export type LogName = 'certs' | 'access';

export interface SegmentTask {
  log: LogName;
  /** First leaf; a multiple of 2^segmentBits. */
  start: number;
  /** One past the last leaf; at most start + 2^segmentBits. */
  end: number;
  /** log2 of the segment size: 8 or 16, so every tile below level segmentBits/8 lies inside one segment. */
  segmentBits: number;
  /** Checkpoint sizes s with start < s ≤ end, ascending: the segment reports its compact range at each. */
  checkpointSizes: number[];
}

export interface SegmentFailure {
  index: number | null;
  message: string;
}

export interface SegmentResult {
  start: number;
  end: number;
  /** Compact range of [start, end): subtree hashes, largest first, concatenated. */
  nodes: Uint8Array;
  /** For checkpointSizes[i]: the compact range of [start, size) is cpNodes[cpOffsets[i] .. cpOffsets[i+1]). */
  cpOffsets: Uint32Array;
  cpNodes: Uint8Array;
  /** Partial (right-edge) tiles of levels < segmentBits/8, when end is not tile-aligned: main compares them. */
  partialTiles: { level: number; index: number; hashes: Uint8Array }[];
  tilesChecked: number;
  firstTimestamp: number;
  lastTimestamp: number;
  failure: SegmentFailure | null;
}

/** Suretys by organisation id: the leaf names the surety by code, the event row by id. */
export type SuretyCodes = ReadonlyMap<number, string>;

class Fail extends Error {
  constructor(
    readonly index: number | null,
    message: string,
  ) {
    super(message);
  }
}

interface Statements {
  /** Fast pass: each certs leaf joined with the few row columns its leaf text is rendered from. */
  certsFast: BetterSqlite3.Statement;
  /** Fast pass: each access leaf, or NULL when SQLite found it different from the text its row implies. */
  accessFast: BetterSqlite3.Statement;
  /** Precise pass: leaves and full domain rows, for the message that says exactly what is wrong. */
  leaves: BetterSqlite3.Statement;
  certEvents: BetterSqlite3.Statement;
  accessEvents: BetterSqlite3.Statement;
  /** One statement per tile level: a better-sqlite3 statement runs one iterator at a time. */
  tiles: BetterSqlite3.Statement[];
}

const prepared = new WeakMap<BetterSqlite3.Database, Statements>();

/** 2 GiB (SQLite's compiled-in ceiling): reading pages through mmap instead of one pread() each halves the SQL time. */
export const VERIFY_MMAP_BYTES = 2_147_418_112;

function statements(db: BetterSqlite3.Database): Statements {
  let s = prepared.get(db);
  if (!s) {
    db.pragma(`mmap_size = ${VERIFY_MMAP_BYTES}`);
    const quoted = (c: string) => `CASE WHEN ${c} IS NULL THEN 'null' ELSE '"' || ${c} || '"' END`;
    s = {
      // Few columns, because turning columns into JS values is most of the cost per leaf (measured: a dozen
      // columns per leaf cost more than hashing it). The certs leaf is rendered in JS (it needs the JWS digest,
      // and SQLite has neither SHA-256 nor base64); the access leaf is rendered and compared inside SQLite.
      //
      // Values go between the quotes unescaped. That is exact as long as the leaf holds no backslash: a canonical
      // leaf has the same quote count as the template, so equal texts leave no room for a '"' inside a value, and
      // every JSON escape (control characters included) starts with a backslash. A leaf with a backslash takes the
      // precise pass.
      certsFast: db.prepare(
        `SELECT CAST(e.leaf AS TEXT), c.jws, c.contract_number, c.event, c.issued_at, c.version, c.surety_id,
                hex(c.submission), c.tree_size - c.log_index
         FROM log_entries e
         LEFT JOIN certificate_events c ON c.log_index = e.idx
         WHERE e.log = 'certs' AND e.idx >= ? AND e.idx < ? ORDER BY e.idx`,
      ),
      accessFast: db.prepare(
        `SELECT CASE WHEN a.log_index IS NOT NULL AND instr(e.leaf, '\\') = 0
                       AND e.leaf = CAST('densho/access/v1' || char(10) || '{"action":"' || a.action || '","actor":' ||
                             ${quoted('a.actor')} || ',"at":' || a.at || ',"net":"' || a.net || '","outcome":"' ||
                             a.outcome || '","target":' || ${quoted('a.target')} || '}' AS BLOB)
                     THEN CAST(e.leaf AS TEXT) END,
                a.at
         FROM log_entries e
         LEFT JOIN access_events a ON a.log_index = e.idx
         WHERE e.log = 'access' AND e.idx >= ? AND e.idx < ? ORDER BY e.idx`,
      ),
      leaves: db.prepare(
        'SELECT idx, leaf FROM log_entries WHERE log = ? AND idx >= ? AND idx < ? ORDER BY idx',
      ),
      certEvents: db.prepare(
        `SELECT log_index, contract_number, event, version, issued_at, submission, surety_id, CAST(jws AS BLOB), tree_size
         FROM certificate_events WHERE log_index >= ? AND log_index < ? ORDER BY log_index`,
      ),
      accessEvents: db.prepare(
        `SELECT log_index, action, actor, at, net, outcome, target
         FROM access_events WHERE log_index >= ? AND log_index < ? ORDER BY log_index`,
      ),
      tiles: [0, 1].map((level) =>
        db.prepare(
          `SELECT idx, hashes FROM log_tiles WHERE log = ? AND level = ${level} AND idx >= ? AND idx < ? ORDER BY idx`,
        ),
      ),
    };
    for (const st of [s.certsFast, s.accessFast, s.leaves, s.certEvents, s.accessEvents, ...s.tiles])
      st.raw(true);
    prepared.set(db, s);
  }
  return s;
}

type Row = unknown[];

const J = JSON.stringify;

/** The exact densho/cert/v1 leaf a certificate_events row implies (JCS: sorted keys, integers, JSON strings). */
function certLeafText(row: Row, surety: string): string {
  return `densho/cert/v1\n{"contractNumber":${J(row[1])},"event":${J(row[2])},"issuedAt":${row[4] as number},"submission":"${(row[5] as Buffer).toString('base64')}","surety":${J(surety)},"version":${row[3] as number}}`;
}

function accessLeafText(row: Row): string {
  return `densho/access/v1\n{"action":${J(row[1])},"actor":${J(row[2])},"at":${row[3] as number},"net":${J(row[4])},"outcome":${J(row[5])},"target":${J(row[6])}}`;
}

const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));

/**
 * Which fields differ between a stored leaf and its domain row, for a message that says what is wrong. A plain
 * JSON.parse is enough here (the byte comparison already failed); it keeps zod out of the worker threads.
 */
function describeMismatch(log: LogName, leaf: Buffer, row: Row, surety: string): string {
  const type = log === 'certs' ? 'densho/cert/v1' : 'densho/access/v1';
  const text = leaf.toString('utf8');
  const nl = text.indexOf('\n');
  if (nl < 0 || text.slice(0, nl) !== type) return `the stored leaf is not a ${type} leaf`;
  let b: Record<string, unknown>;
  try {
    b = JSON.parse(text.slice(nl + 1)) as Record<string, unknown>;
  } catch {
    return 'the stored leaf is not valid JSON';
  }
  const diffs: string[] = [];
  const cmp = (name: string, inRow: unknown, inLeaf: unknown): void => {
    if (inRow !== inLeaf) diffs.push(`${name} is ${J(inRow)} in the row but ${J(inLeaf)} in the leaf`);
  };
  const time = (name: string, inRow: unknown, inLeaf: unknown): void => {
    if (inRow !== inLeaf)
      diffs.push(`${name} is ${iso(inRow as number)} in the row but ${iso(inLeaf as number)} in the leaf`);
  };
  if (log === 'certs') {
    cmp('contract_number', row[1], b.contractNumber);
    cmp('event', row[2], b.event);
    cmp('version', row[3], b.version);
    time('issued_at', row[4], b.issuedAt);
    cmp('submission', (row[5] as Buffer).toString('base64'), b.submission);
    cmp('surety', surety, b.surety);
  } else {
    cmp('action', row[1], b.action);
    cmp('actor', row[2], b.actor);
    time('at', row[3], b.at);
    cmp('net', row[4], b.net);
    cmp('outcome', row[5], b.outcome);
    cmp('target', row[6], b.target);
  }
  return diffs.length > 0
    ? diffs.join('; ')
    : 'the leaf bytes differ from the canonical (JCS) encoding of the row';
}

/** Tree, tiles and checkpoint captures of one segment: shared by the fast and the precise pass. */
class SegmentTree {
  readonly range: TiledRange;
  tilesChecked = 0;
  private readonly tileIters: Iterator<Row>[] = [];
  private readonly cpOffsets: Uint32Array;
  private readonly cpParts: Buffer[] = [];
  private cpNext = 0;
  private cpBytes = 0;
  private scratch = Buffer.alloc(4096);
  count: number;

  constructor(
    st: Statements,
    private readonly task: SegmentTask,
  ) {
    const { log, start, end, segmentBits } = task;
    const tileLevels = segmentBits / 8;
    // Stored full tiles of each level inside the segment, read in step with the ones we assemble.
    for (let level = 0; level < tileLevels; level++) {
      const per = TILE_WIDTH ** (level + 1);
      const fullEnd = Math.floor(Math.floor(end / TILE_WIDTH ** level) / TILE_WIDTH);
      this.tileIters[level] = st.tiles[level]!.iterate(log, start / per, fullEnd) as Iterator<Row>;
    }
    this.range = new TiledRange(0, start, tileLevels, (level, index, bytes) =>
      this.checkTile(level, index, bytes),
    );
    this.cpOffsets = new Uint32Array(task.checkpointSizes.length + 1);
    this.count = start;
  }

  private checkTile(level: number, index: number, bytes: Buffer): void {
    const next = this.tileIters[level]!.next();
    const name = tileName(level, index, TILE_WIDTH);
    if (next.done || (next.value[0] as number) !== index) {
      throw new Fail(index * TILE_WIDTH ** (level + 1), `tile ${name} is missing from log_tiles`);
    }
    const stored = next.value[1] as Buffer;
    if (stored.length !== TILE_BYTES || !stored.equals(bytes)) {
      throw new Fail(index * TILE_WIDTH ** (level + 1), tileMismatch(name, stored, bytes));
    }
    this.tilesChecked++;
  }

  /** leaf_hash = SHA-256(0x00 ‖ leaf_input), into the tree; captures the compact range at checkpoint sizes. */
  pushLeaf(leaf: Buffer): void {
    if (leaf.length + 1 > this.scratch.length) this.scratch = Buffer.alloc(leaf.length * 2 + 1);
    this.scratch[0] = 0x00;
    leaf.copy(this.scratch, 1);
    this.pushHash(hash('sha256', this.scratch.subarray(0, leaf.length + 1), 'binary'));
  }

  /** Same for a leaf known to be valid UTF-8 text: hashing the string encodes it back to the leaf bytes. */
  pushLeafText(leaf: string): void {
    this.pushHash(hash('sha256', `\u0000${leaf}`, 'binary'));
  }

  private pushHash(leafHash: string): void {
    this.range.push(leafHash);
    this.count++;
    const sizes = this.task.checkpointSizes;
    while (this.cpNext < sizes.length && sizes[this.cpNext] === this.count) {
      const nodes = this.range.nodes();
      this.cpParts.push(nodes);
      this.cpBytes += nodes.length;
      this.cpNext++;
      this.cpOffsets[this.cpNext] = this.cpBytes;
    }
  }

  /** After the last leaf: nothing stored may be left over. */
  finish(): void {
    const { end, checkpointSizes } = this.task;
    if (this.count !== end) {
      throw new Fail(
        this.count,
        `leaf ${this.count} is missing from log_entries (the log should have ${end} leaves here)`,
      );
    }
    this.tileIters.forEach((it, level) => {
      const more = it.next();
      if (!more.done)
        throw new Fail(null, `unexpected tile ${tileName(level, more.value[0] as number, TILE_WIDTH)}`);
    });
    if (this.cpNext !== checkpointSizes.length) {
      throw new Fail(null, `checkpoint size ${checkpointSizes[this.cpNext]} is beyond the leaves`);
    }
  }

  close(): void {
    for (const it of this.tileIters) it.return?.();
  }

  result(firstTimestamp: number, lastTimestamp: number): SegmentResult {
    return {
      start: this.task.start,
      end: this.task.end,
      nodes: this.range.nodes(),
      cpOffsets: this.cpOffsets,
      cpNodes: Buffer.concat(this.cpParts),
      partialTiles: this.range.partialTiles(),
      tilesChecked: this.tilesChecked,
      firstTimestamp,
      lastTimestamp,
      failure: null,
    };
  }
}

function failed(task: SegmentTask, failure: SegmentFailure): SegmentResult {
  return {
    start: task.start,
    end: task.end,
    nodes: new Uint8Array(0),
    cpOffsets: new Uint32Array(1),
    cpNodes: new Uint8Array(0),
    partialTiles: [],
    tilesChecked: 0,
    firstTimestamp: -1,
    lastTimestamp: -1,
    failure,
  };
}

/**
 * Verify leaves [task.start, task.end) of one log. Never throws for a finding: the first one is returned in
 * `failure` (with the leaf index when there is one) so the coordinator can report failures in log order.
 *
 * Two passes: a fast one that joins every leaf with the leaf text SQLite renders from its domain row (a few
 * columns per leaf instead of a dozen); only if it finds anything wrong does the precise pass run, reading every
 * column to say exactly which leaf, row, field or tile is wrong.
 */
export function verifySegment(
  db: BetterSqlite3.Database,
  task: SegmentTask,
  suretyCodes: SuretyCodes,
): SegmentResult {
  const fast = fastPass(db, task, suretyCodes);
  if (fast.failure === null) return fast;
  const precise = precisePass(db, task, suretyCodes);
  return precise.failure === null ? fast : precise;
}

const b64Scratch = Buffer.alloc(HASH);

export function fastPass(
  db: BetterSqlite3.Database,
  task: SegmentTask,
  suretyCodes: SuretyCodes,
): SegmentResult {
  const st = statements(db);
  const tree = new SegmentTree(st, task);
  const it = (task.log === 'certs' ? st.certsFast : st.accessFast).iterate(
    task.start,
    task.end,
  ) as Iterator<Row>;
  let first = -1;
  let last = -1;
  try {
    for (let r = it.next(); !r.done; r = it.next()) {
      const row = r.value;
      const leaf = row[0] as string;
      let ts: number;
      if (task.log === 'certs') {
        const surety = suretyCodes.get(row[6] as number);
        ts = row[4] as number;
        // A missing row, an unknown surety or a tree_size that does not include the event: the precise pass says which.
        if (surety === undefined || !((row[8] as number) > 0))
          throw new Fail(tree.count, 'does not match its event row');
        // submission = SHA-256 of the exact JWS bytes (trust-log.md "Leaf formats"): the leaf must carry it ...
        const digest = hash('sha256', row[1] as string, 'base64');
        const text = `densho/cert/v1\n{"contractNumber":"${row[2] as string}","event":"${row[3] as string}","issuedAt":${ts},"submission":"${digest}","surety":"${surety}","version":${row[5] as number}}`;
        if (leaf !== text || leaf.indexOf('\\') >= 0)
          throw new Fail(tree.count, 'does not match its event row');
        // ... and so must the row.
        b64Scratch.write(digest, 0, 'base64');
        if (b64Scratch.toString('hex', 0, HASH).toUpperCase() !== row[7]) {
          throw new Fail(tree.count, 'submission is not the SHA-256 of the stored JWS');
        }
      } else {
        if (leaf === null) throw new Fail(tree.count, 'does not match its event row');
        ts = row[1] as number;
      }
      // A leaf that decodes without U+FFFD was valid UTF-8, so re-encoding it gives back the stored bytes exactly.
      // (Authentic leaves never hold U+FFFD in practice; one that does simply takes the precise pass.)
      if (leaf.indexOf('\uFFFD') >= 0) throw new Fail(tree.count, 'holds U+FFFD');
      if (ts < last) throw new Fail(tree.count, 'timestamp is earlier than the previous leaf');
      if (first < 0) first = ts;
      last = ts;
      tree.pushLeafText(leaf);
    }
    tree.finish();
    return tree.result(first, last);
  } catch (err) {
    if (!(err instanceof Fail)) throw err;
    it.return?.();
    tree.close();
    return failed(task, { index: err.index, message: `leaf ${err.index}: ${err.message}` });
  }
}

function precisePass(db: BetterSqlite3.Database, task: SegmentTask, suretyCodes: SuretyCodes): SegmentResult {
  const { log, start, end } = task;
  const st = statements(db);
  const tree = new SegmentTree(st, task);
  const leafIt = st.leaves.iterate(log, start, end) as Iterator<Row>;
  const rowIt = (log === 'certs' ? st.certEvents : st.accessEvents).iterate(start, end) as Iterator<Row>;
  let textScratch = Buffer.alloc(4096);
  let firstTimestamp = -1;
  let lastTimestamp = -1;
  let expected = start;

  try {
    for (let r = leafIt.next(); !r.done; r = leafIt.next()) {
      const idx = r.value[0] as number;
      const leaf = r.value[1] as Buffer;
      if (idx !== expected) {
        throw new Fail(
          expected,
          `leaf ${expected} is missing from log_entries (the next stored leaf is ${idx})`,
        );
      }
      // The domain row must say exactly what the leaf says.
      const d = rowIt.next();
      if (d.done || (d.value[0] as number) !== idx) {
        throw new Fail(
          idx,
          `leaf ${idx} has no ${log === 'certs' ? 'certificate_events' : 'access_events'} row (log_index ${idx})`,
        );
      }
      const row = d.value;
      let text: string;
      let surety = '';
      let ts: number;
      if (log === 'certs') {
        surety = suretyCodes.get(row[6] as number) ?? '';
        if (surety === '')
          throw new Fail(idx, `event row ${idx} names surety id ${String(row[6])}, which is not a surety`);
        text = certLeafText(row, surety);
        ts = row[4] as number;
        if (!hash('sha256', row[7] as Buffer, 'buffer').equals(row[5] as Buffer)) {
          throw new Fail(
            idx,
            `event row ${idx}: submission is not the SHA-256 of its stored JWS (jws or submission was altered)`,
          );
        }
        const treeSize = row[8] as number;
        if (!(treeSize > idx))
          throw new Fail(idx, `event row ${idx}: tree_size ${treeSize} does not include the event`);
      } else {
        text = accessLeafText(row);
        ts = row[3] as number;
      }
      if (text.length * 3 + 8 > textScratch.length) textScratch = Buffer.alloc(text.length * 3 + 8);
      const n = textScratch.write(text, 0, 'utf8');
      if (n !== leaf.length || leaf.compare(textScratch, 0, n) !== 0) {
        throw new Fail(
          idx,
          `leaf ${idx} does not match its event row — ${describeMismatch(log, leaf, row, surety)}`,
        );
      }
      // issuedAt = max(clock, last issuedAt): timestamps never decrease along the log.
      if (ts < lastTimestamp) {
        throw new Fail(
          idx,
          `leaf ${idx} is timestamped ${iso(ts)}, earlier than leaf ${idx - 1} (${iso(lastTimestamp)})`,
        );
      }
      if (firstTimestamp < 0) firstTimestamp = ts;
      lastTimestamp = ts;
      tree.pushLeaf(leaf);
      expected++;
    }
    tree.finish();
    const extra = rowIt.next();
    if (!extra.done) {
      throw new Fail(
        extra.value[0] as number,
        `${log === 'certs' ? 'certificate_events' : 'access_events'} row ${String(extra.value[0])} has no leaf`,
      );
    }
    return tree.result(firstTimestamp, lastTimestamp);
  } catch (err) {
    if (!(err instanceof Fail)) throw err;
    for (const it of [leafIt, rowIt]) it.return?.();
    tree.close();
    return failed(task, { index: err.index, message: err.message });
  }
}

/** "entry 17 differs" (or the length) so an operator can see how much of a tile is wrong. */
export function tileMismatch(name: string, stored: Uint8Array, computed: Uint8Array): string {
  if (stored.length !== computed.length) {
    return `tile ${name} holds ${stored.length / HASH} hashes but the leaves give ${computed.length / HASH}`;
  }
  for (let i = 0; i < computed.length; i += HASH) {
    for (let j = i; j < i + HASH; j++) {
      if (stored[j] !== computed[j])
        return `tile ${name} entry ${i / HASH} differs from the hash recomputed from the leaves`;
    }
  }
  return `tile ${name} differs from the recomputed hashes`;
}
