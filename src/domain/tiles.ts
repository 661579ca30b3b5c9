// C2SP tlog-tiles (height 8): tile paths, reading tree nodes out of tiles, and the right-edge tile writer.
import { CompactRange, HASH_SIZE, type NodeId, type NodeReader, nodeHash } from './merkle.ts';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
const TILE_BYTES = TILE_WIDTH * HASH_SIZE;
// C2SP: "<L> … MUST be a decimal ASCII integer between 0 and 63".
const MAX_TILE_LEVEL = 63;

/**
 * Tile at tile-level L holds hashes of tree-level 8L nodes: entry j of tile N is node (8L, N*256+j).
 * Level-0 entries are leaf hashes. width is 1..256 (256 = full).
 */
export interface TileId {
  level: number;
  index: number;
  width: number;
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** 256^level as a plain number (exact: only ever compared with sizes < 2^53). */
function blockSize(level: number): number {
  return TILE_WIDTH ** level;
}

/**
 * C2SP path element for N: zero-padded 3-digit groups, all but the last prefixed with "x"
 * (1234067 -> "x001/x234/067", 5 -> "005"), so a directory never collides with a file on a static server.
 */
export function formatTileIndex(n: number): string {
  if (!isCount(n)) throw new RangeError(`tile index must be a non-negative safe integer (got ${n})`);
  let rest = Math.floor(n / 1000);
  let out = String(n % 1000).padStart(3, '0');
  while (rest > 0) {
    out = `x${String(rest % 1000).padStart(3, '0')}/${out}`;
    rest = Math.floor(rest / 1000);
  }
  return out;
}

/** "<L>/<N>[.p/<W>]" or "entries/<N>[.p/<W>]" — the part after "/tile/". */
export function tilePath(kind: 'hash' | 'entries', level: number, index: number, width: number): string {
  if (kind === 'hash' && !(Number.isInteger(level) && level >= 0 && level <= MAX_TILE_LEVEL)) {
    throw new RangeError(`tile level must be 0..${MAX_TILE_LEVEL} (got ${level})`);
  }
  if (!(Number.isInteger(width) && width >= 1 && width <= TILE_WIDTH)) {
    throw new RangeError(`tile width must be 1..${TILE_WIDTH} (got ${width})`);
  }
  const head = kind === 'entries' ? 'entries' : String(level);
  return `${head}/${formatTileIndex(index)}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
}

// Shape only; canonical form (no "x000/" lead group, no leading zeros in L or W) is enforced by the
// round trip through tilePath below, so parse and format can never disagree.
const TILE_PATH_RE = /^(entries|[0-9]+)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([0-9]+))?$/;

/**
 * Parses "<L>/<N>[.p/<W>]" or "entries/<N>[.p/<W>]"; width is 256 for a full tile and level is 0 for entries.
 * Returns null on anything that is not the one canonical spelling: these paths are cache keys for immutable
 * resources, so two spellings of one tile must not both be served.
 */
export function parseTilePath(
  path: string,
): { kind: 'hash' | 'entries'; level: number; index: number; width: number } | null {
  const m = TILE_PATH_RE.exec(path);
  if (!m) return null;
  const kind = m[1] === 'entries' ? 'entries' : 'hash';
  const level = kind === 'entries' ? 0 : Number(m[1]);
  if (level > MAX_TILE_LEVEL) return null;
  let index = 0;
  for (const group of m[2]!.split('/')) {
    index = index * 1000 + Number(group.startsWith('x') ? group.slice(1) : group);
    if (!Number.isSafeInteger(index)) return null;
  }
  const width = m[3] === undefined ? TILE_WIDTH : Number(m[3]);
  // C2SP: W is "between 1 and 255"; a full tile has no .p/ suffix at all.
  if (m[3] !== undefined && !(width >= 1 && width < TILE_WIDTH)) return null;
  if (tilePath(kind, level, index, width) !== path) return null;
  return { kind, level, index, width };
}

/** Which tile and entries hold the data for node (level l, index i): tile level floor(l/8), 2^(l mod 8) entries. */
export function nodeLocation(id: NodeId): {
  tileLevel: number;
  tileIndex: number;
  firstEntry: number;
  count: number;
} {
  if (!(Number.isInteger(id.level) && id.level >= 0) || !isCount(id.index)) {
    throw new RangeError(`bad node id (level ${id.level}, index ${id.index})`);
  }
  const tileLevel = Math.floor(id.level / TILE_HEIGHT);
  const count = 2 ** (id.level % TILE_HEIGHT);
  const first = id.index * count; // index of the first entry at tree level 8*tileLevel
  if (!Number.isSafeInteger(first)) throw new RangeError(`node (${id.level}, ${id.index}) is out of range`);
  return { tileLevel, tileIndex: Math.floor(first / TILE_WIDTH), firstEntry: first % TILE_WIDTH, count };
}

/** MTH of `count` (a power of two) consecutive hashes starting at byte `offset` — a complete subtree. */
function perfectSubtreeHash(bytes: Uint8Array, offset: number, count: number): Uint8Array {
  if (count === 1) return bytes.slice(offset, offset + HASH_SIZE);
  let layer: Uint8Array[] = [];
  for (let j = 0; j < count; j += 2) {
    const a = offset + j * HASH_SIZE;
    layer.push(nodeHash(bytes.subarray(a, a + HASH_SIZE), bytes.subarray(a + HASH_SIZE, a + 2 * HASH_SIZE)));
  }
  while (layer.length > 1) {
    const next: Uint8Array[] = [];
    for (let j = 0; j < layer.length; j += 2) next.push(nodeHash(layer[j]!, layer[j + 1]!));
    layer = next;
  }
  return layer[0]!;
}

/** Hash of node id computed from the bytes of the tile that holds it (must contain the needed entries). */
export function nodeHashFromTile(tile: Uint8Array, id: NodeId): Uint8Array {
  const { tileLevel, tileIndex, firstEntry, count } = nodeLocation(id);
  const need = (firstEntry + count) * HASH_SIZE;
  if (tile.length % HASH_SIZE !== 0 || tile.length > TILE_BYTES || tile.length < need) {
    throw new Error(
      `tile ${tileLevel}/${tileIndex} has ${tile.length} bytes; node (${id.level}, ${id.index}) needs entries ` +
        `${firstEntry}..${firstEntry + count - 1} (at least ${need} bytes, a multiple of ${HASH_SIZE})`,
    );
  }
  return perfectSubtreeHash(tile, firstEntry * HASH_SIZE, count);
}

type FetchTile = (level: number, index: number) => Uint8Array | Promise<Uint8Array>;

/** A NodeReader over tiles: ids are grouped by tile so each tile is fetched once per read. */
export function tileNodeReader(fetchTile: FetchTile): NodeReader {
  return async function readNodesFromTiles(ids: NodeId[]): Promise<Uint8Array[]> {
    const locations = ids.map(nodeLocation);
    const keys = locations.map((l) => `${l.tileLevel}/${l.tileIndex}`);
    const pending = new Map<string, Promise<Uint8Array>>();
    locations.forEach((l, i) => {
      const key = keys[i]!;
      if (!pending.has(key)) pending.set(key, Promise.resolve(fetchTile(l.tileLevel, l.tileIndex)));
    });
    const fetched = new Map<string, Uint8Array>();
    await Promise.all([...pending].map(async ([key, p]) => fetched.set(key, await p)));
    return ids.map((id, i) => nodeHashFromTile(fetched.get(keys[i]!)!, id));
  };
}

/** Size of the tile (level, index) at tree size `size`: 0 if it does not exist yet, 256 if full. */
export function tileWidthAt(level: number, index: number, size: number): number {
  if (!(Number.isInteger(level) && level >= 0) || !isCount(index) || !isCount(size)) {
    throw new RangeError(`tileWidthAt: bad arguments (${level}, ${index}, ${size})`);
  }
  // Level-L tiles hold the complete 256^L blocks only: floor(size / 256^L) entries in all.
  const entries = Math.floor(size / blockSize(level));
  return Math.min(TILE_WIDTH, Math.max(0, entries - index * TILE_WIDTH));
}

/** A changed tile to upsert: its full bytes (width*32) after the append. */
export interface ChangedTile {
  level: number;
  index: number;
  hashes: Uint8Array;
}

/**
 * The right edge of a tiled tree: the partial (rightmost, not yet full) tile at every level. That is all
 * the state needed to append: full tiles never change again, so the writer never reads them back.
 * Immutable: append returns a new edge, which lets the sequencer keep the old edge until COMMIT succeeds.
 */
export class TileEdge {
  readonly #size: number;
  // #partials[L] = bytes of the partial tile at tile level L: (floor(size / 256^L) mod 256) * 32 bytes.
  readonly #partials: readonly Uint8Array[];

  private constructor(size: number, partials: Uint8Array[]) {
    this.#size = size;
    this.#partials = partials;
  }

  static empty(): TileEdge {
    return new TileEdge(0, []);
  }

  /**
   * Rebuilds the edge for a tree of `size` from stored tiles: fetches the partial tile at each level
   * (the stored tile may be wider than needed — only its first entries are used). Nothing is verified
   * here; compare compactRange().root() with the latest checkpoint before trusting the result.
   */
  static async load(size: number, fetchTile: FetchTile): Promise<TileEdge> {
    if (!isCount(size)) throw new RangeError(`TileEdge.load: bad size ${size}`);
    const wanted: { level: number; index: number; width: number }[] = [];
    for (let level = 0; blockSize(level) <= size; level++) {
      const entries = Math.floor(size / blockSize(level));
      wanted.push({ level, index: Math.floor(entries / TILE_WIDTH), width: entries % TILE_WIDTH });
    }
    const partials = await Promise.all(
      wanted.map(async ({ level, index, width }) => {
        if (width === 0) return new Uint8Array(0);
        const tile = await fetchTile(level, index);
        if (tile.length < width * HASH_SIZE) {
          throw new Error(
            `tile ${tilePath('hash', level, index, width)} is missing or short: ` +
              `${Math.floor(tile.length / HASH_SIZE)} hashes stored, tree size ${size} needs ${width}`,
          );
        }
        return tile.slice(0, width * HASH_SIZE);
      }),
    );
    return new TileEdge(size, partials);
  }

  get size(): number {
    return this.#size;
  }

  /** The compact range [0, size) read off the partial tiles: the root without touching full tiles. */
  compactRange(): CompactRange {
    const nodes: Uint8Array[] = [];
    // Higher tile levels cover the leftmost leaves; within a tile, the set bits of its width from high to
    // low are the complete subtrees left to right — the same order as rangeNodes({start:0,end:size}).
    for (let level = this.#partials.length - 1; level >= 0; level--) {
      const tile = this.#partials[level]!;
      const width = tile.length / HASH_SIZE;
      let offset = 0;
      for (let count = TILE_WIDTH / 2; count >= 1; count /= 2) {
        if ((width & count) === 0) continue;
        nodes.push(perfectSubtreeHash(tile, offset * HASH_SIZE, count));
        offset += count;
      }
    }
    return CompactRange.fromNodes(this.#size, nodes);
  }

  append(leafHashes: Uint8Array[]): { edge: TileEdge; changed: ChangedTile[] } {
    if (leafHashes.length === 0) return { edge: this, changed: [] };
    // Working copies: one full-size buffer per level, so appends within the batch write in place.
    const bufs: Uint8Array[] = [];
    const widths: number[] = [];
    this.#partials.forEach((p, level) => {
      const buf = new Uint8Array(TILE_BYTES);
      buf.set(p);
      bufs[level] = buf;
      widths[level] = p.length / HASH_SIZE;
    });
    const changed = new Map<string, ChangedTile>();
    const dirty = new Set<number>(); // levels whose partial tile gained entries
    let size = this.#size;
    for (const leaf of leafHashes) {
      if (!(leaf instanceof Uint8Array) || leaf.length !== HASH_SIZE) {
        throw new RangeError(`TileEdge.append: leaf hashes must be ${HASH_SIZE} bytes`);
      }
      if (size >= Number.MAX_SAFE_INTEGER) throw new RangeError('TileEdge.append: tree is full');
      let hash = leaf;
      let level = 0;
      // Entries at this level before the push; the receiving tile's index is entries / 256.
      let entries = size;
      for (;;) {
        let buf = bufs[level];
        if (buf === undefined) {
          buf = new Uint8Array(TILE_BYTES);
          bufs[level] = buf;
          widths[level] = 0;
        }
        const width = widths[level]!;
        buf.set(hash, width * HASH_SIZE);
        widths[level] = width + 1;
        const index = Math.floor(entries / TILE_WIDTH);
        if (width + 1 < TILE_WIDTH) {
          dirty.add(level);
          break;
        }
        // The tile is full: it is final, and its MTH (a tree-level 8(L+1) node) is the next entry one level up.
        const full = buf.slice();
        changed.set(`${level}/${index}`, { level, index, hashes: full });
        dirty.delete(level);
        widths[level] = 0;
        hash = perfectSubtreeHash(full, 0, TILE_WIDTH);
        entries = index; // full level-L tiles before this one = entries at level L+1 before the push
        level++;
      }
      size++;
    }
    for (const level of dirty) {
      const width = widths[level]!;
      if (width === 0) continue;
      const index = Math.floor(Math.floor(size / blockSize(level)) / TILE_WIDTH);
      changed.set(`${level}/${index}`, { level, index, hashes: bufs[level]!.slice(0, width * HASH_SIZE) });
    }
    const partials = bufs.map((buf, level) => buf.slice(0, widths[level]! * HASH_SIZE));
    const out = [...changed.values()].sort((a, b) => a.level - b.level || a.index - b.index);
    return { edge: new TileEdge(size, partials), changed: out };
  }
}
