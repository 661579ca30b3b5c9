// RFC 6962 / RFC 9162 §2.1 Merkle tree: hashing, proof shapes, proof building through a node reader, verification.
import { bytesEqual, sha256 } from './bytes.ts';

// Sizes and indices are JS numbers (exact up to 2^53). Everything below uses arithmetic (Math.floor(x / 2),
// x % 2) rather than 32-bit bit operations, which would silently wrap for trees above 2^31 leaves.

export const HASH_SIZE = 32;

/** MTH({}) = SHA-256() — the root of the empty tree (RFC 6962 §2.1). */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

// Scratch buffers: sha256 copies its input synchronously, so one buffer per kind can be reused for every call.
// This keeps the hot paths (verify-log, appends) at one allocation per hash — the digest itself.
const nodeScratch = new Uint8Array(1 + 2 * HASH_SIZE);
nodeScratch[0] = 0x01;
let leafScratch = new Uint8Array(1024);

/** leaf_hash = SHA-256(0x00 || leaf_input). The prefix keeps a leaf from being passed off as an interior node. */
export function leafHash(leafInput: Uint8Array): Uint8Array {
  if (leafInput.length + 1 > leafScratch.length) {
    leafScratch = new Uint8Array(Math.max(leafInput.length + 1, leafScratch.length * 2));
  }
  leafScratch[0] = 0x00;
  leafScratch.set(leafInput, 1);
  return sha256(leafScratch.subarray(0, leafInput.length + 1));
}

/** node = SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new RangeError(`nodeHash: children must be ${HASH_SIZE}-byte hashes`);
  }
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  return sha256(nodeScratch);
}

/** A complete, aligned subtree: leaves [index*2^level, (index+1)*2^level). */
export interface NodeId {
  level: number;
  index: number;
}

/** Leaves [start, end). */
export interface LeafRange {
  start: number;
  end: number;
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** The k of RFC 6962: the largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Largest power of two <= n (n >= 1). */
function floorPow2(n: number): number {
  let k = 1;
  while (k * 2 <= n) k *= 2;
  return k;
}

/**
 * RFC 6962 §2.1.1 PATH(m, D[n]) as leaf ranges, leaf's sibling first.
 * PATH appends the outer sibling after the recursive part, so walking from the root down collects the
 * ranges outermost-first; reversing gives the RFC order.
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  if (!isCount(index) || !isCount(size) || index >= size) {
    throw new RangeError(`inclusion proof needs 0 <= index < size (got index ${index}, size ${size})`);
  }
  const ranges: LeafRange[] = [];
  let start = 0;
  let n = size;
  let m = index;
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      // PATH(m, D[0:k]) : MTH(D[k:n])
      ranges.push({ start: start + k, end: start + n });
      n = k;
    } else {
      // PATH(m - k, D[k:n]) : MTH(D[0:k])
      ranges.push({ start, end: start + k });
      start += k;
      m -= k;
      n -= k;
    }
  }
  return ranges.reverse();
}

/** RFC 6962 §2.1.2 SUBPROOF(m, D[n], true) as leaf ranges, in proof order. */
export function consistencyProofRanges(first: number, second: number): LeafRange[] {
  if (!isCount(first) || !isCount(second) || first < 1 || first > second) {
    throw new RangeError(`consistency proof needs 0 < first <= second (got ${first}, ${second})`);
  }
  const ranges: LeafRange[] = [];
  let start = 0;
  let m = first;
  let n = second;
  let b = true;
  while (m !== n) {
    const k = splitPoint(n);
    if (m <= k) {
      // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
      ranges.push({ start: start + k, end: start + n });
      n = k;
    } else {
      // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
      ranges.push({ start, end: start + k });
      start += k;
      m -= k;
      n -= k;
      b = false;
    }
  }
  // SUBPROOF(m, D[m], true) = {} (the verifier already holds MTH(D[0:m]));
  // SUBPROOF(m, D[m], false) = {MTH(D[m])}.
  if (!b) ranges.push({ start, end: start + n });
  return ranges.reverse();
}

/**
 * Complete subtrees covering a range, left to right, largest first. Only defined for ranges whose start is
 * a multiple of the largest power of two <= their length (every range in the RFC 6962 recursion is): then
 * folding the subtrees right-to-left is exactly MTH of the range. Other ranges throw rather than silently
 * yield a decomposition whose fold would not be an MTH.
 */
export function rangeNodes(range: LeafRange): NodeId[] {
  const { start, end } = range;
  if (!isCount(start) || !isCount(end) || end <= start) {
    throw new RangeError(`rangeNodes: need 0 <= start < end (got [${start}, ${end}))`);
  }
  const nodes: NodeId[] = [];
  let pos = start;
  let width = 1;
  let level = 0;
  while (width * 2 <= end - start) {
    width *= 2;
    level++;
  }
  if (start % width !== 0) {
    throw new RangeError(`rangeNodes: [${start}, ${end}) is not aligned as in RFC 6962 recursion`);
  }
  while (pos < end) {
    while (width > end - pos) {
      width /= 2;
      level--;
    }
    // pos is a multiple of every width used so far, so the division is exact.
    nodes.push({ level, index: pos / width });
    pos += width;
  }
  return nodes;
}

/** MTH of a range from the hashes of its rangeNodes: MTH(D[a:b]) = node(left subtree, MTH(rest)). */
export function foldRange(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new RangeError('foldRange: no hashes');
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

/** Reads complete-subtree hashes (from tiles, a table, memory…); returns them in the order asked. */
export type NodeReader = (ids: NodeId[]) => Uint8Array[] | Promise<Uint8Array[]>;

/** One batched read for all ranges, then one fold per range. */
async function hashRanges(ranges: LeafRange[], read: NodeReader): Promise<Uint8Array[]> {
  const perRange = ranges.map(rangeNodes);
  const ids = perRange.flat();
  if (ids.length === 0) return [];
  const hashes = await read(ids);
  if (hashes.length !== ids.length) {
    throw new Error(`node reader returned ${hashes.length} hashes for ${ids.length} nodes`);
  }
  const out: Uint8Array[] = [];
  let offset = 0;
  for (const nodes of perRange) {
    out.push(foldRange(hashes.slice(offset, offset + nodes.length)));
    offset += nodes.length;
  }
  return out;
}

export async function inclusionProof(index: number, size: number, read: NodeReader): Promise<Uint8Array[]> {
  return hashRanges(inclusionProofRanges(index, size), read);
}

export async function consistencyProof(
  first: number,
  second: number,
  read: NodeReader,
): Promise<Uint8Array[]> {
  return hashRanges(consistencyProofRanges(first, second), read);
}

/** MTH(D[0:size]); size 0 gives EMPTY_ROOT. */
export async function rootAt(size: number, read: NodeReader): Promise<Uint8Array> {
  if (!isCount(size)) throw new RangeError(`rootAt: bad size ${size}`);
  if (size === 0) return EMPTY_ROOT;
  const [root] = await hashRanges([{ start: 0, end: size }], read);
  return root!;
}

function isHash(h: unknown): h is Uint8Array {
  return h instanceof Uint8Array && h.length === HASH_SIZE;
}

/**
 * RFC 9162 §2.1.3.2, step by step. Returns the root the proof commits to, or null when the proof does not
 * have the shape the algorithm requires (or any input is malformed).
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: Uint8Array[],
): Uint8Array | null {
  if (!isCount(index) || !isCount(size) || !isHash(leafHash) || !Array.isArray(proof)) return null;
  // 1. leaf_index >= tree_size fails.
  if (index >= size) return null;
  // 2. fn = leaf_index, sn = tree_size - 1. 3. r = hash.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  // 4. for each p in inclusion_path:
  for (const p of proof) {
    if (!isHash(p)) return null;
    // a. sn == 0 -> fail (the proof is too long).
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      // b. r = HASH(0x01 || p || r)
      r = nodeHash(p, r);
      // ii. if LSB(fn) not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0 — the step that
      // skips the levels where this node was the last, unpaired one on the right edge.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      // otherwise r = HASH(0x01 || r || p)
      r = nodeHash(r, p);
    }
    // c. right-shift fn and sn once.
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5. sn must be 0 (the proof is not too short).
  return sn === 0 ? r : null;
}

export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(root)) return false;
  const r = rootFromInclusionProof(index, size, leafHash, proof);
  return r !== null && bytesEqual(r, root);
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && floorPow2(n) === n;
}

/**
 * RFC 9162 §2.1.4.2, step by step, for 0 < first < second. The RFC leaves the edges out; like
 * transparency-dev/merkle we accept first == second only with an empty proof and equal roots, and first == 0
 * only with an empty proof and firstRoot == EMPTY_ROOT (an empty tree is a prefix of every tree).
 */
export function verifyConsistency(
  first: number,
  second: number,
  proof: Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): boolean {
  if (!isCount(first) || !isCount(second) || first > second) return false;
  if (!isHash(firstRoot) || !isHash(secondRoot) || !Array.isArray(proof)) return false;
  if (!proof.every(isHash)) return false;
  if (first === 0) return proof.length === 0 && bytesEqual(firstRoot, EMPTY_ROOT);
  if (first === second) return proof.length === 0 && bytesEqual(firstRoot, secondRoot);

  // 1. An empty consistency_path fails.
  if (proof.length === 0) return false;
  // 2. If first is an exact power of 2, prepend first_hash (the old root is itself a node of the new tree).
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof;
  // 3. fn = first - 1, sn = second - 1.
  let fn = first - 1;
  let sn = second - 1;
  // 4. If LSB(fn) is set, right-shift fn and sn equally until LSB(fn) is not set.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5. fr = sr = first value of the path.
  let fr = path[0]!;
  let sr = path[0]!;
  // 6. for each subsequent value c:
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    // a. sn == 0 -> fail.
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      // b. i. fr = HASH(0x01 || c || fr)  ii. sr = HASH(0x01 || c || sr)
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      // iii. if LSB(fn) not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      // otherwise sr = HASH(0x01 || sr || c)
      sr = nodeHash(sr, c);
    }
    // c. right-shift fn and sn once.
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 7. fr == first_hash, sr == second_hash, sn == 0.
  return sn === 0 && bytesEqual(fr, firstRoot) && bytesEqual(sr, secondRoot);
}

/**
 * Compact range [0, size): the roots of the complete subtrees on the tree's right edge (one per set bit of
 * size, largest first) — O(log n) memory, O(1) amortised hashing per append, O(log n) per root.
 */
export class CompactRange {
  #size: number;
  #nodes: Uint8Array[];

  private constructor(size: number, nodes: Uint8Array[]) {
    this.#size = size;
    this.#nodes = nodes;
  }

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** From the hashes of rangeNodes({start:0,end:size}) in order. */
  static fromNodes(size: number, hashes: Uint8Array[]): CompactRange {
    if (!isCount(size)) throw new RangeError(`CompactRange.fromNodes: bad size ${size}`);
    const expected = size === 0 ? 0 : rangeNodes({ start: 0, end: size }).length;
    if (hashes.length !== expected || !hashes.every(isHash)) {
      throw new RangeError(
        `CompactRange.fromNodes: size ${size} needs ${expected} hashes of ${HASH_SIZE} bytes`,
      );
    }
    return new CompactRange(size, hashes.slice());
  }

  get size(): number {
    return this.#size;
  }

  /** The right-edge subtree hashes, in rangeNodes({start:0,end:size}) order (a copy). */
  nodes(): Uint8Array[] {
    return this.#nodes.slice();
  }

  append(leafHash: Uint8Array): void {
    if (!isHash(leafHash)) throw new RangeError(`CompactRange.append: leaf hash must be ${HASH_SIZE} bytes`);
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new RangeError('CompactRange.append: tree is full');
    let h = leafHash;
    // Each trailing 1 bit of the old size is a subtree of equal height to merge with, like a binary carry.
    let carry = this.#size;
    while (carry % 2 === 1) {
      h = nodeHash(this.#nodes.pop()!, h);
      carry = Math.floor(carry / 2);
    }
    this.#nodes.push(h);
    this.#size++;
  }

  root(): Uint8Array {
    return this.#size === 0 ? EMPTY_ROOT : foldRange(this.#nodes);
  }

  clone(): CompactRange {
    return new CompactRange(this.#size, this.#nodes.slice());
  }
}
