// Tests for src/domain/tiles.ts: C2SP tlog-tiles paths, node lookup in tiles, and the right-edge tile writer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/domain/bytes.ts';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  nodeHash,
  rootAt,
  verifyInclusion,
} from '../../src/domain/merkle.ts';
import {
  formatTileIndex,
  nodeHashFromTile,
  nodeLocation,
  parseTilePath,
  TILE_HEIGHT,
  TILE_WIDTH,
  TileEdge,
  tileNodeReader,
  tilePath,
  tileWidthAt,
} from '../../src/domain/tiles.ts';

const hex = (hs: Uint8Array[]): string[] => hs.map(toHex);

// ---- a naive RFC 6962 (MTH, PATH, SUBPROOF straight from the RFC) over lazily computed leaves ----

function largestPow2Below(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const leafBuf = new Uint8Array(8);
const leafView = new DataView(leafBuf.buffer);
/** Leaf i = leaf hash of the 8-byte big-endian encoding of i. */
function seqLeaf(i: number): Uint8Array {
  leafView.setUint32(0, Math.floor(i / 2 ** 32));
  leafView.setUint32(4, i % 2 ** 32);
  return leafHash(leafBuf);
}

const memo = new Map<string, Uint8Array>();
/** MTH(D[start : start+n]), memoised for ranges of >= 256 leaves. */
function mth(start: number, n: number): Uint8Array {
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return seqLeaf(start);
  const key = `${start}:${n}`;
  const hit = n >= 256 ? memo.get(key) : undefined;
  if (hit) return hit;
  const k = largestPow2Below(n);
  const h = nodeHash(mth(start, k), mth(start + k, n - k));
  if (n >= 256) memo.set(key, h);
  return h;
}
function path(m: number, start: number, n: number): Uint8Array[] {
  if (n === 1) return [];
  const k = largestPow2Below(n);
  return m < k
    ? [...path(m, start, k), mth(start + k, n - k)]
    : [...path(m - k, start + k, n - k), mth(start, k)];
}
function subproof(m: number, start: number, n: number, b: boolean): Uint8Array[] {
  if (m === n) return b ? [] : [mth(start, m)];
  const k = largestPow2Below(n);
  return m <= k
    ? [...subproof(m, start, k, b), mth(start + k, n - k)]
    : [...subproof(m - k, start + k, n - k, false), mth(start, k)];
}

/** Expected bytes of tile (level, index) at tree size `size`, from the definition in C2SP tlog-tiles. */
function expectedTile(level: number, index: number, size: number): Uint8Array {
  const width = tileWidthAt(level, index, size);
  const span = TILE_WIDTH ** level;
  const out = new Uint8Array(width * 32);
  for (let j = 0; j < width; j++) out.set(mth((index * TILE_WIDTH + j) * span, span), j * 32);
  return out;
}

/** Deterministic PRNG so failures reproduce (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// ---------------------------------------------------------------------------------------------------------

describe('tile paths', () => {
  it('formatTileIndex follows the C2SP examples', () => {
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTileIndex(5)).toBe('005');
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(999)).toBe('999');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(formatTileIndex(1_000_000)).toBe('x001/x000/000');
    expect(formatTileIndex(Number.MAX_SAFE_INTEGER)).toBe('x009/x007/x199/x254/x740/991');
    expect(() => formatTileIndex(-1)).toThrow(RangeError);
    expect(() => formatTileIndex(1.5)).toThrow(RangeError);
  });

  it('parseTilePath reads full and partial hash tiles and entry bundles', () => {
    expect(parseTilePath('0/x001/x234/067')).toEqual({ kind: 'hash', level: 0, index: 1234067, width: 256 });
    expect(parseTilePath('1/005.p/17')).toEqual({ kind: 'hash', level: 1, index: 5, width: 17 });
    expect(parseTilePath('63/000.p/1')).toEqual({ kind: 'hash', level: 63, index: 0, width: 1 });
    expect(parseTilePath('2/x001/000.p/255')).toEqual({ kind: 'hash', level: 2, index: 1000, width: 255 });
    expect(parseTilePath('entries/x001/x234/067')).toEqual({
      kind: 'entries',
      level: 0,
      index: 1234067,
      width: 256,
    });
    expect(parseTilePath('entries/273.p/112')).toEqual({ kind: 'entries', level: 0, index: 273, width: 112 });
    expect(tilePath('hash', 0, 1234067, 256)).toBe('0/x001/x234/067');
    expect(tilePath('hash', 1, 1, 17)).toBe('1/001.p/17');
    expect(tilePath('entries', 0, 273, 112)).toBe('entries/273.p/112');
  });

  it('round-trips every canonical path', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('hash' as const, 'entries' as const),
        fc.integer({ min: 0, max: 63 }),
        fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.maxSafeNat()),
        fc.integer({ min: 1, max: 256 }),
        (kind, level, index, width) => {
          const p = tilePath(kind, level, index, width);
          expect(parseTilePath(p)).toEqual({ kind, level: kind === 'entries' ? 0 : level, index, width });
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('rejects malformed and non-canonical paths', () => {
    const bad = [
      '',
      '0',
      '0/',
      '0/5',
      '0/05',
      '0/0005',
      '0/x001',
      '0/001/234',
      '0/x000/005', // a zero leading group is not the canonical spelling of 5
      '0/x001/x234/67',
      '0/x1234/005',
      '0/X001/005',
      '0/abc',
      '00/005',
      '01/005',
      '64/005',
      '-1/005',
      '1.0/005',
      '0/005.p/0',
      '0/005.p/256',
      '0/005.p/300',
      '0/005.p/007',
      '0/005.p/',
      '0/005.p',
      '0/005.P/3',
      '0/005.p/3/',
      '0/005/',
      '/0/005',
      'tile/0/005',
      ' 0/005',
      '0/005 ',
      '0/005\n',
      'entries/005.p/256',
      'entry/005',
      'entries/0/005',
      '0/x009/x007/x199/x254/x740/992', // 2^53 + 1 would not be exact
      '0/x001/x000/x000/x000/x000/x000/000',
    ];
    for (const p of bad) expect(parseTilePath(p), JSON.stringify(p)).toBeNull();
    expect(() => tilePath('hash', 64, 0, 1)).toThrow(RangeError);
    expect(() => tilePath('hash', 0, 0, 0)).toThrow(RangeError);
    expect(() => tilePath('hash', 0, 0, 257)).toThrow(RangeError);
  });
});

describe('node locations and tile widths', () => {
  it('maps tree nodes to tile entries', () => {
    expect(nodeLocation({ level: 0, index: 300 })).toEqual({
      tileLevel: 0,
      tileIndex: 1,
      firstEntry: 44,
      count: 1,
    });
    expect(nodeLocation({ level: 3, index: 5 })).toEqual({
      tileLevel: 0,
      tileIndex: 0,
      firstEntry: 40,
      count: 8,
    });
    expect(nodeLocation({ level: 7, index: 3 })).toEqual({
      tileLevel: 0,
      tileIndex: 1,
      firstEntry: 128,
      count: 128,
    });
    expect(nodeLocation({ level: 8, index: 300 })).toEqual({
      tileLevel: 1,
      tileIndex: 1,
      firstEntry: 44,
      count: 1,
    });
    expect(nodeLocation({ level: 10, index: 3 })).toEqual({
      tileLevel: 1,
      tileIndex: 0,
      firstEntry: 12,
      count: 4,
    });
    expect(nodeLocation({ level: 16, index: 0 })).toEqual({
      tileLevel: 2,
      tileIndex: 0,
      firstEntry: 0,
      count: 1,
    });
  });

  it('tileWidthAt matches the C2SP examples (sizes 70,000 and 256)', () => {
    // "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial
    // level 1 tile of width 17, and one partial level 2 tile of width 1."
    for (let n = 0; n < 273; n++) expect(tileWidthAt(0, n, 70_000)).toBe(256);
    expect(tileWidthAt(0, 273, 70_000)).toBe(112);
    expect(tileWidthAt(0, 274, 70_000)).toBe(0);
    expect(tileWidthAt(1, 0, 70_000)).toBe(256);
    expect(tileWidthAt(1, 1, 70_000)).toBe(17);
    expect(tileWidthAt(1, 2, 70_000)).toBe(0);
    expect(tileWidthAt(2, 0, 70_000)).toBe(1);
    expect(tileWidthAt(3, 0, 70_000)).toBe(0);
    // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
    expect(tileWidthAt(0, 0, 256)).toBe(256);
    expect(tileWidthAt(0, 1, 256)).toBe(0);
    expect(tileWidthAt(1, 0, 256)).toBe(1);
    expect(tileWidthAt(1, 0, 255)).toBe(0);
    expect(tileWidthAt(0, 0, 0)).toBe(0);
  });
});

describe('TileEdge', () => {
  it('appending up to ~70,000 leaves in random chunks yields exactly the tiles of the tree', async () => {
    const random = rng(8);
    const store = new Map<string, Uint8Array>();
    let fetches = 0;
    const fetchTile = (level: number, index: number): Uint8Array => {
      fetches++;
      const t = store.get(`${level}/${index}`);
      if (!t) throw new Error(`no tile ${level}/${index}`);
      return t;
    };
    const read = tileNodeReader(fetchTile);
    let edge = TileEdge.empty();
    let appends = 0;
    const chunkSizes = () => {
      const r = random();
      if (r < 0.15) return 1;
      if (r < 0.25) return [255, 256, 257, 511, 65_536 - 300][Math.floor(random() * 5)]!;
      return 1 + Math.floor(random() * 3_000);
    };
    while (edge.size < 70_000) {
      const oldSize = edge.size;
      const count = Math.min(chunkSizes(), 70_000 - oldSize);
      const leaves = Array.from({ length: count }, (_, j) => seqLeaf(oldSize + j));
      const before = toHex(edge.compactRange().root());
      const { edge: next, changed } = edge.append(leaves);
      appends++;
      const size = next.size;
      expect(size).toBe(oldSize + count);
      // Immutable: the old edge still describes the old tree.
      expect(edge.size).toBe(oldSize);
      expect(toHex(edge.compactRange().root())).toBe(before);

      // Exactly the tiles whose width changed, each with its complete new contents.
      const expectedKeys: string[] = [];
      for (let level = 0; TILE_WIDTH ** level <= size; level++) {
        const firstTile = Math.floor(Math.floor(oldSize / TILE_WIDTH ** level) / TILE_WIDTH);
        const lastTile = Math.floor(Math.floor(size / TILE_WIDTH ** level) / TILE_WIDTH);
        for (let index = firstTile; index <= lastTile; index++) {
          const w = tileWidthAt(level, index, size);
          if (w > 0 && w !== tileWidthAt(level, index, oldSize)) expectedKeys.push(`${level}/${index}`);
        }
      }
      expect(changed.map((t) => `${t.level}/${t.index}`)).toEqual(expectedKeys);
      for (const t of changed) {
        expect(toHex(t.hashes), `tile ${t.level}/${t.index} at size ${size}`).toBe(
          toHex(expectedTile(t.level, t.index, size)),
        );
        store.set(`${t.level}/${t.index}`, t.hashes);
      }

      // The stored tiles serve the same root and proofs as the naive tree.
      const root = mth(0, size);
      expect(toHex(await rootAt(size, read))).toBe(toHex(root));
      expect(toHex(next.compactRange().root())).toBe(toHex(root));
      const m = Math.floor(random() * size);
      const proof = await inclusionProof(m, size, read);
      expect(hex(proof)).toEqual(hex(path(m, 0, size)));
      expect(verifyInclusion(m, size, seqLeaf(m), proof, root)).toBe(true);
      if (oldSize > 0)
        expect(hex(await consistencyProof(oldSize, size, read))).toEqual(
          hex(subproof(oldSize, 0, size, true)),
        );

      // Each tile is fetched once per read, however many nodes come from it.
      fetches = 0;
      const ids = Array.from({ length: 50 }, () => ({
        level: 0,
        index: Math.floor(random() * Math.min(size, 256)),
      }));
      await read(ids);
      expect(fetches).toBe(1);

      // Reloading from the store at this size continues identically.
      if (random() < 0.3) {
        const loaded = await TileEdge.load(size, fetchTile);
        expect(loaded.size).toBe(size);
        const more = Array.from({ length: 1 + Math.floor(random() * 600) }, (_, j) => seqLeaf(size + j));
        const a = next.append(more);
        const b = loaded.append(more);
        expect(b.edge.size).toBe(a.edge.size);
        expect(b.changed.map((t) => [t.level, t.index, toHex(t.hashes)])).toEqual(
          a.changed.map((t) => [t.level, t.index, toHex(t.hashes)]),
        );
      }
      edge = next;
    }
    expect(appends).toBeGreaterThan(20);

    // Size 70,000: 273 full + one 112-wide level-0 tile, one full + one 17-wide level-1 tile, one 1-wide level-2 tile.
    const widths = new Map<string, number>();
    for (const [key, t] of store) {
      const level = key.split('/')[0]!;
      const k = `${level}:${t.length / 32}`;
      widths.set(k, (widths.get(k) ?? 0) + 1);
    }
    expect(Object.fromEntries(widths)).toEqual({ '0:256': 273, '0:112': 1, '1:256': 1, '1:17': 1, '2:1': 1 });
  });

  it('loads from stored tiles that are wider than needed (a later state) and continues identically', async () => {
    const store = new Map<string, Uint8Array>();
    let edge = TileEdge.empty();
    const all = Array.from({ length: 66_000 }, (_, i) => seqLeaf(i));
    for (let i = 0; i < all.length; i += 1_000) {
      const r = edge.append(all.slice(i, i + 1_000));
      for (const t of r.changed) store.set(`${t.level}/${t.index}`, t.hashes);
      edge = r.edge;
    }
    const fetchTile = (level: number, index: number) => store.get(`${level}/${index}`) ?? new Uint8Array(0);
    for (const size of [0, 1, 255, 256, 257, 30_123, 65_535, 65_536, 65_999]) {
      const loaded = await TileEdge.load(size, fetchTile);
      expect(toHex(loaded.compactRange().root())).toBe(toHex(mth(0, size)));
      const { edge: grown, changed } = loaded.append(all.slice(size));
      expect(grown.size).toBe(66_000);
      expect(toHex(grown.compactRange().root())).toBe(toHex(mth(0, 66_000)));
      for (const t of changed) expect(toHex(t.hashes)).toBe(toHex(store.get(`${t.level}/${t.index}`)!));
    }
  });

  it('reports a missing or short tile instead of building a wrong edge', async () => {
    const { edge, changed } = TileEdge.empty().append(Array.from({ length: 300 }, (_, i) => seqLeaf(i)));
    expect(edge.size).toBe(300);
    expect(changed.map((t) => [t.level, t.index, t.hashes.length / 32])).toEqual([
      [0, 0, 256],
      [0, 1, 44],
      [1, 0, 1],
    ]);
    await expect(TileEdge.load(300, () => new Uint8Array(0))).rejects.toThrow(/missing or short/);
    expect(() => nodeHashFromTile(new Uint8Array(32 * 10), { level: 0, index: 10 })).toThrow(/needs entries/);
    expect(() => nodeHashFromTile(new Uint8Array(33), { level: 0, index: 0 })).toThrow();
    expect(() => TileEdge.empty().append([new Uint8Array(31)])).toThrow(RangeError);
    const noop = edge.append([]);
    expect(noop.edge).toBe(edge);
    expect(noop.changed).toEqual([]);
  });

  it('nodeHashFromTile computes interior nodes from tile entries', () => {
    const tile = new Uint8Array(TILE_WIDTH * 32);
    for (let j = 0; j < TILE_WIDTH; j++) tile.set(seqLeaf(j), j * 32);
    for (let level = 0; level <= TILE_HEIGHT - 1; level++) {
      for (const index of [0, 2 ** (TILE_HEIGHT - level) - 1]) {
        expect(toHex(nodeHashFromTile(tile, { level, index }))).toBe(
          toHex(mth(index * 2 ** level, 2 ** level)),
        );
      }
    }
  });
});
