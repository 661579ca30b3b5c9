// Fast Merkle hashing for whole-log recomputes (densho verify-log and the auditor console's integrity job): hashes as
// latin1 strings through one scratch buffer, and a compact range that assembles the C2SP hash tiles as it goes.
// Speed matters (≥ 300k leaves/s on 2 cores): one hash call per leaf and per interior node.
import { hash } from 'node:crypto';

export const TILE_WIDTH = 256;
export const HASH = 32;
export const TILE_BYTES = TILE_WIDTH * HASH;

// Hashes travel as 32-character latin1 strings, not Buffers: node:crypto returns a small string far more cheaply
// than a Buffer (measured here: 0.26 µs vs 0.75 µs per SHA-256 of 65 bytes), and a leaf costs 2–3 hashes.
const nodeScratch = Buffer.alloc(1 + 2 * HASH);
nodeScratch[0] = 0x01;

/** node = SHA-256(0x01 ‖ left ‖ right) through one reused input buffer; hashes as latin1 strings. */
export function nodeHash(left: string, right: string): string {
  nodeScratch.write(left, 1, 'binary');
  nodeScratch.write(right, 1 + HASH, 'binary');
  return hash('sha256', nodeScratch, 'binary');
}

/** MTH from the compact-range nodes (largest first, concatenated bytes): fold right to left. */
export function foldNodes(nodes: Uint8Array): Uint8Array {
  if (nodes.length === 0) return hash('sha256', Buffer.alloc(0), 'buffer');
  const text = Buffer.from(nodes.buffer, nodes.byteOffset, nodes.byteLength).toString('binary');
  let acc = text.slice(text.length - HASH);
  for (let off = text.length - 2 * HASH; off >= 0; off -= HASH)
    acc = nodeHash(text.slice(off, off + HASH), acc);
  return Buffer.from(acc, 'binary');
}

/** C2SP tile path "<L>/<N>[.p/<W>]" for messages. */
export function tileName(level: number, index: number, width: number): string {
  let rest = Math.floor(index / 1000);
  let n = String(index % 1000).padStart(3, '0');
  while (rest > 0) {
    n = `x${String(rest % 1000).padStart(3, '0')}/${n}`;
    rest = Math.floor(rest / 1000);
  }
  return `${level}/${n}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
}

/**
 * A compact range over nodes of height `base` (leaf hashes: base 0) that also assembles the hash tiles of levels
 * [base/8, maxLevel): every node whose height is a multiple of 8 is an entry of the tile one level up, and each
 * tile is handed to onTile as soon as it is full. Each interior node is hashed exactly once.
 */
export class TiledRange {
  readonly stack: string[] = [];
  private count = 0;
  private readonly tiles: Buffer[] = [];
  private readonly widths: number[] = [];

  constructor(
    private readonly base: number,
    /** Global index (at height base) of the first node pushed; aligned to the range's size. */
    private readonly firstIndex: number,
    private readonly maxLevel: number,
    private readonly onTile: (level: number, index: number, bytes: Buffer) => void,
  ) {
    for (let level = base / 8; level < maxLevel; level++) {
      this.tiles[level] = Buffer.alloc(TILE_BYTES);
      this.widths[level] = 0;
    }
  }

  get size(): number {
    return this.count;
  }

  /** Append a node of height `base` (a 32-byte hash as a latin1 string). */
  push(h: string): void {
    if (this.base % 8 === 0) this.entry(this.base, this.firstIndex + this.count, h);
    let c = this.count;
    let merged = h;
    let height = this.base;
    // Each trailing 1 bit of the count is a subtree of equal height to merge with, like a binary carry.
    while (c % 2 === 1) {
      merged = nodeHash(this.stack.pop()!, merged);
      c = (c - 1) / 2;
      height++;
      if (height % 8 === 0) {
        this.entry(
          height,
          Math.floor((this.firstIndex + this.count + 1) / 2 ** (height - this.base)) - 1,
          merged,
        );
      }
    }
    this.stack.push(merged);
    this.count++;
  }

  /** Node `index` at `height` (a multiple of 8) is entry index%256 of tile (height/8, index/256). */
  private entry(height: number, index: number, h: string): void {
    const level = height / 8;
    if (level >= this.maxLevel) return;
    const tile = this.tiles[level]!;
    const pos = index % TILE_WIDTH;
    tile.write(h, pos * HASH, 'binary');
    this.widths[level] = pos + 1;
    if (pos === TILE_WIDTH - 1) {
      this.onTile(level, Math.floor(index / TILE_WIDTH), tile);
      this.widths[level] = 0;
    }
  }

  /** The compact range so far, largest subtree first, as one buffer. */
  nodes(): Buffer {
    return Buffer.from(this.stack.join(''), 'binary');
  }

  /** Tiles that have entries but are not full yet: the right edge at every level this range assembles. */
  partialTiles(): { level: number; index: number; hashes: Uint8Array }[] {
    const out: { level: number; index: number; hashes: Uint8Array }[] = [];
    for (let level = this.base / 8; level < this.maxLevel; level++) {
      const width = this.widths[level]!;
      if (width === 0) continue;
      // Entries at this level so far = (first node index + count) in units of 2^(8·level − base) nodes.
      const entries = Math.floor((this.firstIndex + this.count) / 2 ** (8 * level - this.base));
      out.push({
        level,
        index: Math.floor(entries / TILE_WIDTH),
        hashes: Buffer.from(this.tiles[level]!.subarray(0, width * HASH)),
      });
    }
    return out;
  }
}

/** A hash (Uint8Array) as the latin1 string TiledRange takes. */
export function hashText(h: Uint8Array): string {
  return Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('binary');
}
