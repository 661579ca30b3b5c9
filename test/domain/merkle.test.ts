// Tests for src/domain/merkle.ts: RFC 6962 vectors, and proofs cross-checked against a naive recursive RFC 6962.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/domain/bytes.ts';
import {
  CompactRange,
  consistencyProof,
  consistencyProofRanges,
  EMPTY_ROOT,
  foldRange,
  HASH_SIZE,
  inclusionProof,
  inclusionProofRanges,
  type LeafRange,
  leafHash,
  type NodeReader,
  nodeHash,
  rangeNodes,
  rootAt,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../../src/domain/merkle.ts';

const vectors = JSON.parse(
  readFileSync(new URL('../../../shared/data/rfc6962-vectors.json', import.meta.url), 'utf8'),
) as { leafInputs: string[]; roots: string[]; nodeHashes: string[][] };

const hex = (hs: Uint8Array[]): string[] => hs.map(toHex);

// ---------------------------------------------------------------------------------------------------------
// A naive RFC 6962 §2.1 implementation, written straight from the RFC's recursive definitions over a leaf
// function (leaf(i) = the leaf hash of d(i)), so trees of a million leaves need not be materialised.
// ---------------------------------------------------------------------------------------------------------

/** The k of the RFC: the largest power of two smaller than n. */
function largestPow2Below(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

class NaiveTree {
  readonly #memo = new Map<string, Uint8Array>();

  /**
   * @param leaf   leaf hash of d(i)
   * @param memoMin memoise MTH of ranges at least this long (bounded memory on big trees)
   * @param complete optional shortcut for complete power-of-two subtrees (used for the all-equal-leaves tree)
   */
  constructor(
    readonly leaf: (i: number) => Uint8Array,
    readonly memoMin = 1,
    readonly complete?: (start: number, n: number) => Uint8Array,
  ) {}

  /** MTH(D[start : start+n]) */
  mth(start: number, n: number): Uint8Array {
    if (n === 0) return EMPTY_ROOT; // MTH({}) = SHA-256()
    if (n === 1) return this.leaf(start); // MTH({d(0)}) = SHA-256(0x00 || d(0))
    if (this.complete && largestPow2Below(n) * 2 === n) return this.complete(start, n);
    const key = `${start}:${n}`;
    const hit = n >= this.memoMin ? this.#memo.get(key) : undefined;
    if (hit) return hit;
    const k = largestPow2Below(n);
    // MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
    const h = nodeHash(this.mth(start, k), this.mth(start + k, n - k));
    if (n >= this.memoMin) this.#memo.set(key, h);
    return h;
  }

  /** PATH(m, D[start : start+n]) */
  path(m: number, start: number, n: number): Uint8Array[] {
    if (n === 1) return [];
    const k = largestPow2Below(n);
    if (m < k) return [...this.path(m, start, k), this.mth(start + k, n - k)];
    return [...this.path(m - k, start + k, n - k), this.mth(start, k)];
  }

  /** SUBPROOF(m, D[start : start+n], b) */
  subproof(m: number, start: number, n: number, b: boolean): Uint8Array[] {
    if (m === n) return b ? [] : [this.mth(start, m)];
    const k = largestPow2Below(n);
    if (m <= k) return [...this.subproof(m, start, k, b), this.mth(start + k, n - k)];
    return [...this.subproof(m - k, start + k, n - k, false), this.mth(start, k)];
  }

  inclusion(m: number, n: number): Uint8Array[] {
    return this.path(m, 0, n);
  }

  consistency(m: number, n: number): Uint8Array[] {
    return this.subproof(m, 0, n, true);
  }

  root(n: number): Uint8Array {
    return this.mth(0, n);
  }

  /** The storage a real log would have: complete-subtree hashes, here read off the naive MTH. */
  reader(): NodeReader {
    return (ids) => ids.map(({ level, index }) => this.mth(index * 2 ** level, 2 ** level));
  }
}

const leafBuf = new Uint8Array(8);
const leafView = new DataView(leafBuf.buffer);
/** Leaf i = leaf hash of the 8-byte big-endian encoding of i (leafHash copies its input, so one buffer does). */
function seqLeaf(i: number): Uint8Array {
  leafView.setUint32(0, Math.floor(i / 2 ** 32));
  leafView.setUint32(4, i % 2 ** 32);
  return leafHash(leafBuf);
}

/** PATH/SUBPROOF shapes as ranges, from the same recursion (independent of the hashes). */
function naivePathRanges(m: number, start: number, n: number): LeafRange[] {
  if (n === 1) return [];
  const k = largestPow2Below(n);
  if (m < k) return [...naivePathRanges(m, start, k), { start: start + k, end: start + n }];
  return [...naivePathRanges(m - k, start + k, n - k), { start, end: start + k }];
}

function naiveSubproofRanges(m: number, start: number, n: number, b: boolean): LeafRange[] {
  if (m === n) return b ? [] : [{ start, end: start + m }];
  const k = largestPow2Below(n);
  if (m <= k) return [...naiveSubproofRanges(m, start, k, b), { start: start + k, end: start + n }];
  return [...naiveSubproofRanges(m - k, start + k, n - k, false), { start, end: start + k }];
}

function flipBit(h: Uint8Array, bit: number): Uint8Array {
  const c = h.slice();
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
}

function sameProof(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((h, i) => toHex(h) === toHex(b[i]!));
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

const small = new NaiveTree(seqLeaf);
const smallRead = small.reader();

// ---------------------------------------------------------------------------------------------------------

describe('RFC 6962 test vectors', () => {
  const leaves = vectors.leafInputs.map((h) => leafHash(fromHex(h)));
  // Storage = the published complete-subtree hashes themselves, so rangeNodes/foldRange are checked
  // against the vectors without going through any of our own tree code.
  const tableRead: NodeReader = (ids) =>
    ids.map(({ level, index }) => fromHex(vectors.nodeHashes[level]![index]!));

  it('empty root is SHA-256("")', () => {
    expect(toHex(EMPTY_ROOT)).toBe(vectors.roots[0]);
    expect(toHex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('every nodeHash: leaves are leafHash(input), parents are nodeHash(left, right)', () => {
    expect(hex(leaves)).toEqual(vectors.nodeHashes[0]);
    for (let level = 1; level < vectors.nodeHashes.length; level++) {
      const below = vectors.nodeHashes[level - 1]!;
      vectors.nodeHashes[level]!.forEach((h, i) => {
        expect(toHex(nodeHash(fromHex(below[2 * i]!), fromHex(below[2 * i + 1]!)))).toBe(h);
      });
    }
  });

  it('every root (sizes 0..8) via rootAt over the published node hashes, CompactRange and the naive MTH', async () => {
    const naive = new NaiveTree((i) => leaves[i]!);
    const compact = CompactRange.empty();
    for (let n = 0; n <= 8; n++) {
      expect(toHex(await rootAt(n, tableRead))).toBe(vectors.roots[n]);
      expect(toHex(compact.root())).toBe(vectors.roots[n]);
      expect(toHex(naive.root(n))).toBe(vectors.roots[n]);
      if (n < 8) compact.append(leaves[n]!);
    }
  });

  it('published certificate-transparency reference proofs', async () => {
    const inclusion: [number, number, string[]][] = [
      [0, 1, []],
      [
        0,
        8,
        [
          '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
          '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
        ],
      ],
      [
        5,
        8,
        [
          'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
          'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
          'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
        ],
      ],
      [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
      [
        1,
        5,
        [
          '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
          '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
        ],
      ],
    ];
    for (const [index, size, proof] of inclusion) {
      const got = await inclusionProof(index, size, tableRead);
      expect(hex(got)).toEqual(proof);
      expect(verifyInclusion(index, size, leaves[index]!, got, fromHex(vectors.roots[size]!))).toBe(true);
    }
    const consistency: [number, number, string[]][] = [
      [1, 1, []],
      [
        1,
        8,
        [
          '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
          '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
        ],
      ],
      [
        6,
        8,
        [
          '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
          'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
          'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
        ],
      ],
      [
        2,
        5,
        [
          '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
        ],
      ],
    ];
    for (const [first, second, proof] of consistency) {
      const got = await consistencyProof(first, second, tableRead);
      expect(hex(got)).toEqual(proof);
      const r1 = fromHex(vectors.roots[first]!);
      const r2 = fromHex(vectors.roots[second]!);
      expect(verifyConsistency(first, second, got, r1, r2)).toBe(true);
    }
  });
});

describe('proofs equal the naive RFC 6962 recursion for every index of every size 1..64', () => {
  it('inclusion: PATH(m, D[n]) for all 0 <= m < n <= 64, and each verifies', async () => {
    let checked = 0;
    for (let n = 1; n <= 64; n++) {
      const root = small.root(n);
      expect(toHex(await rootAt(n, smallRead))).toBe(toHex(root));
      for (let m = 0; m < n; m++) {
        const proof = await inclusionProof(m, n, smallRead);
        expect(hex(proof)).toEqual(hex(small.inclusion(m, n)));
        expect(inclusionProofRanges(m, n)).toEqual(naivePathRanges(m, 0, n));
        expect(verifyInclusion(m, n, seqLeaf(m), proof, root)).toBe(true);
        expect(toHex(rootFromInclusionProof(m, n, seqLeaf(m), proof)!)).toBe(toHex(root));
        checked++;
      }
    }
    expect(checked).toBe((64 * 65) / 2);
  });

  it('consistency: SUBPROOF(m, D[n], true) for all 1 <= m <= n <= 64, and each verifies', async () => {
    let checked = 0;
    for (let n = 1; n <= 64; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyProof(m, n, smallRead);
        expect(hex(proof)).toEqual(hex(small.consistency(m, n)));
        expect(consistencyProofRanges(m, n)).toEqual(naiveSubproofRanges(m, 0, n, true));
        expect(verifyConsistency(m, n, proof, small.root(m), small.root(n))).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe((64 * 65) / 2);
  });
});

describe('tampered proofs are rejected (every proof of sizes 1..64)', () => {
  const random = rng(6962);
  const bit = () => Math.floor(random() * HASH_SIZE * 8);

  // Failures are collected and asserted once: ~100k checks through expect() would dominate the runtime.
  it('inclusion: a flipped bit anywhere, a dropped or added hash, wrong index, wrong size, wrong root', async () => {
    const failures: string[] = [];
    const reject = (ok: boolean, what: string) => {
      if (ok) failures.push(what);
    };
    for (let n = 1; n <= 64; n++) {
      const root = small.root(n);
      for (let m = 0; m < n; m++) {
        const at = `index ${m} size ${n}`;
        const leaf = seqLeaf(m);
        const proof = await inclusionProof(m, n, smallRead);
        // One bit flipped in each proof hash in turn, in the leaf, in the root.
        proof.forEach((h, i) => {
          const bad = proof.slice();
          bad[i] = flipBit(h, bit());
          reject(verifyInclusion(m, n, leaf, bad, root), `${at}: bit flipped in hash ${i}`);
        });
        reject(verifyInclusion(m, n, flipBit(leaf, bit()), proof, root), `${at}: bit flipped in leaf`);
        reject(verifyInclusion(m, n, leaf, proof, flipBit(root, bit())), `${at}: bit flipped in root`);
        // A hash dropped (each position) or added (front and back).
        proof.forEach((_, i) => {
          reject(verifyInclusion(m, n, leaf, proof.toSpliced(i, 1), root), `${at}: hash ${i} dropped`);
        });
        reject(verifyInclusion(m, n, leaf, [...proof, root], root), `${at}: hash appended`);
        reject(verifyInclusion(m, n, leaf, [leaf, ...proof], root), `${at}: hash prepended`);
        // Wrong index (with the same tree): only the true index verifies.
        for (let m2 = 0; m2 < n + 2; m2++) {
          if (m2 !== m) reject(verifyInclusion(m2, n, leaf, proof, root), `${at}: accepted as index ${m2}`);
        }
        // Wrong size, checked against that size's own root: accepted only if the proof really is that size's
        // proof for this leaf.
        for (let n2 = m + 1; n2 <= Math.min(n + 3, 64); n2++) {
          if (n2 === n) continue;
          const expected = sameProof(small.inclusion(m, n2), proof);
          if (verifyInclusion(m, n2, leaf, proof, small.root(n2)) !== expected)
            failures.push(`${at}: as size ${n2}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('consistency: a flipped bit anywhere, a dropped or added hash, wrong sizes, swapped or wrong roots', async () => {
    const failures: string[] = [];
    const reject = (ok: boolean, what: string) => {
      if (ok) failures.push(what);
    };
    for (let n = 2; n <= 64; n++) {
      const r2 = small.root(n);
      for (let m = 1; m < n; m++) {
        const at = `${m} -> ${n}`;
        const r1 = small.root(m);
        const proof = await consistencyProof(m, n, smallRead);
        proof.forEach((h, i) => {
          const bad = proof.slice();
          bad[i] = flipBit(h, bit());
          reject(verifyConsistency(m, n, bad, r1, r2), `${at}: bit flipped in hash ${i}`);
        });
        reject(verifyConsistency(m, n, proof, flipBit(r1, bit()), r2), `${at}: bit flipped in first root`);
        reject(verifyConsistency(m, n, proof, r1, flipBit(r2, bit())), `${at}: bit flipped in second root`);
        reject(verifyConsistency(m, n, proof, r2, r1), `${at}: roots swapped`);
        proof.forEach((_, i) => {
          reject(verifyConsistency(m, n, proof.toSpliced(i, 1), r1, r2), `${at}: hash ${i} dropped`);
        });
        reject(verifyConsistency(m, n, [...proof, r2], r1, r2), `${at}: hash appended`);
        reject(verifyConsistency(m, n, [r1, ...proof], r1, r2), `${at}: hash prepended`);
        reject(verifyConsistency(m, n, [], r1, r2), `${at}: empty proof`);
        // Wrong sizes, each with its own true roots: accepted only where the proof is genuinely that pair's.
        for (const m2 of [m - 2, m - 1, m, m + 1, m + 2]) {
          for (const n2 of [n - 1, n, n + 1, n + 2]) {
            if ((m2 === m && n2 === n) || m2 < 1 || n2 > 64 || m2 > n2) continue;
            const expected = m2 === n2 ? proof.length === 0 : sameProof(small.consistency(m2, n2), proof);
            if (verifyConsistency(m2, n2, proof, small.root(m2), small.root(n2)) !== expected) {
              failures.push(`${at}: as ${m2} -> ${n2}`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('every single-bit flip of whole proofs is caught (two exhaustive cases)', async () => {
    const m = 5;
    const n = 13;
    const proof = await inclusionProof(m, n, smallRead);
    const root = small.root(n);
    const cproof = await consistencyProof(m, n, smallRead);
    const r1 = small.root(m);
    for (let i = 0; i < proof.length; i++) {
      for (let b = 0; b < HASH_SIZE * 8; b++) {
        const bad = proof.slice();
        bad[i] = flipBit(proof[i]!, b);
        expect(verifyInclusion(m, n, seqLeaf(m), bad, root)).toBe(false);
      }
    }
    for (let i = 0; i < cproof.length; i++) {
      for (let b = 0; b < HASH_SIZE * 8; b++) {
        const bad = cproof.slice();
        bad[i] = flipBit(cproof[i]!, b);
        expect(verifyConsistency(m, n, bad, r1, root)).toBe(false);
      }
    }
  });

  it('malformed input returns false and never throws', () => {
    const root = small.root(5);
    const leaf = seqLeaf(2);
    const good = small.inclusion(2, 5);
    const junk = [NaN, -1, 1.5, Infinity, 2 ** 53];
    for (const x of junk) {
      expect(verifyInclusion(x, 5, leaf, good, root)).toBe(false);
      expect(verifyInclusion(2, x, leaf, good, root)).toBe(false);
      expect(verifyConsistency(x, 5, [], root, root)).toBe(false);
      expect(verifyConsistency(2, x, [], root, root)).toBe(false);
    }
    expect(verifyInclusion(2, 5, leaf.subarray(1), good, root)).toBe(false);
    expect(verifyInclusion(2, 5, leaf, good, root.subarray(1))).toBe(false);
    expect(verifyInclusion(2, 5, leaf, [good[0]!.subarray(1), ...good.slice(1)], root)).toBe(false);
    expect(verifyInclusion(2, 5, leaf, [null as unknown as Uint8Array], root)).toBe(false);
    expect(verifyInclusion(2, 5, leaf, 'nope' as unknown as Uint8Array[], root)).toBe(false);
    expect(verifyInclusion(5, 5, leaf, good, root)).toBe(false);
    expect(verifyInclusion(0, 0, leaf, [], EMPTY_ROOT)).toBe(false);
    expect(rootFromInclusionProof(2, 5, leaf, good.slice(1))).toBeNull();
    expect(verifyConsistency(3, 2, [], root, root)).toBe(false);
    expect(verifyConsistency(2, 5, [new Uint8Array(31)], small.root(2), root)).toBe(false);
  });

  it('a proof that runs out below the top of a larger claimed tree fails (the final sn == 0 checks)', () => {
    // Claimed sizes one level taller than the tree the proof and roots belong to.
    expect(verifyInclusion(0, 3, seqLeaf(0), small.inclusion(0, 2), small.root(2))).toBe(false);
    expect(verifyConsistency(1, 3, small.consistency(1, 2), small.root(1), small.root(2))).toBe(false);
    expect(verifyConsistency(3, 9, small.consistency(3, 8), small.root(3), small.root(8))).toBe(false);
  });

  it('documents: the proof does not bind the tree size by itself — take size and root from one signed checkpoint', () => {
    // RFC 9162 verification only uses the size's shape; sizes 3 and 4 look alike from leaf 0 and from size 2.
    // This is why receipts and verifiers must read treeSize and rootHash from the same signed checkpoint.
    expect(verifyInclusion(0, 4, seqLeaf(0), small.inclusion(0, 3), small.root(3))).toBe(true);
    expect(verifyConsistency(2, 4, small.consistency(2, 3), small.root(2), small.root(3))).toBe(true);
    // With the claimed size's real root, the wrong-size proof fails as it must.
    expect(verifyInclusion(0, 4, seqLeaf(0), small.inclusion(0, 3), small.root(4))).toBe(false);
    expect(verifyConsistency(2, 4, small.consistency(2, 3), small.root(2), small.root(4))).toBe(false);
  });

  it('edges: equal sizes need an empty proof and equal roots; size 0 is a prefix of everything', () => {
    const r = small.root(7);
    expect(verifyConsistency(7, 7, [], r, r)).toBe(true);
    expect(verifyConsistency(7, 7, [], r, small.root(6))).toBe(false);
    expect(verifyConsistency(7, 7, [r], r, r)).toBe(false);
    expect(verifyConsistency(0, 7, [], EMPTY_ROOT, r)).toBe(true);
    expect(verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)).toBe(true);
    expect(verifyConsistency(0, 7, [], r, r)).toBe(false);
    expect(verifyConsistency(0, 7, [r], EMPTY_ROOT, r)).toBe(false);
  });
});

describe('range helpers', () => {
  it('reject out-of-domain arguments with RangeError', () => {
    expect(() => inclusionProofRanges(0, 0)).toThrow(RangeError);
    expect(() => inclusionProofRanges(3, 3)).toThrow(RangeError);
    expect(() => inclusionProofRanges(-1, 3)).toThrow(RangeError);
    expect(() => inclusionProofRanges(0.5, 3)).toThrow(RangeError);
    expect(() => consistencyProofRanges(0, 3)).toThrow(RangeError);
    expect(() => consistencyProofRanges(4, 3)).toThrow(RangeError);
    expect(consistencyProofRanges(3, 3)).toEqual([]);
    expect(() => rangeNodes({ start: 2, end: 6 })).toThrow(RangeError); // length 4 needs start % 4 == 0
    expect(() => rangeNodes({ start: 3, end: 3 })).toThrow(RangeError);
    expect(() => foldRange([])).toThrow(RangeError);
  });

  it('rangeNodes decomposes [0, n) into the set bits of n, largest first', () => {
    expect(rangeNodes({ start: 0, end: 13 })).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(rangeNodes({ start: 8, end: 11 })).toEqual([
      { level: 1, index: 4 },
      { level: 0, index: 10 },
    ]);
    expect(rangeNodes({ start: 0, end: 2 ** 52 + 1 })).toEqual([
      { level: 52, index: 0 },
      { level: 0, index: 2 ** 52 },
    ]);
  });
});

describe('random trees up to 1,000,000 leaves (lazy leaves, memoised subtrees)', () => {
  // Memoise only ranges of >= 256 leaves: bounded memory, and at most ~500 hashes to recompute anything below.
  const big = new NaiveTree(seqLeaf, 256);
  const bigRead = big.reader();

  it('inclusion proofs at random indices equal the naive PATH and verify', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (n, u) => {
          const m = Math.min(n - 1, Math.floor(u * n));
          const proof = await inclusionProof(m, n, bigRead);
          expect(hex(proof)).toEqual(hex(big.inclusion(m, n)));
          const root = big.root(n);
          expect(toHex(await rootAt(n, bigRead))).toBe(toHex(root));
          expect(verifyInclusion(m, n, seqLeaf(m), proof, root)).toBe(true);
          expect(verifyInclusion(m, n, seqLeaf(m + 1), proof, root)).toBe(false);
        },
      ),
      {
        numRuns: 40,
        examples: [
          [1_000_000, 0.999999],
          [2 ** 19 + 1, 1],
          [2 ** 19, 0.5],
        ],
      },
    );
  });

  it('consistency proofs between random sizes equal the naive SUBPROOF and verify', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (a, b) => {
          const m = Math.min(a, b);
          const n = Math.max(a, b);
          const proof = await consistencyProof(m, n, bigRead);
          expect(hex(proof)).toEqual(hex(big.consistency(m, n)));
          expect(verifyConsistency(m, n, proof, big.root(m), big.root(n))).toBe(true);
          if (proof.length > 0) {
            expect(verifyConsistency(m, n, proof.slice(1), big.root(m), big.root(n))).toBe(false);
          }
        },
      ),
      {
        numRuns: 40,
        examples: [
          [999_999, 1_000_000],
          [2 ** 19, 1_000_000],
          [1, 1_000_000],
        ],
      },
    );
  });
});

describe('sizes beyond 2^31 (all leaves equal, so a complete subtree hash depends only on its height)', () => {
  const z: Uint8Array[] = [leafHash(new Uint8Array([42]))];
  for (let l = 1; l <= 53; l++) z.push(nodeHash(z[l - 1]!, z[l - 1]!));
  const uniform = new NaiveTree(
    () => z[0]!,
    1,
    (_start, n) => z[Math.round(Math.log2(n))]!,
  );
  const read: NodeReader = (ids) => ids.map(({ level }) => z[level]!);

  it('inclusion and consistency proofs match the naive recursion and verify', async () => {
    const sizes = [
      2 ** 31 + 1,
      2 ** 32 + 2 ** 31 + 7,
      2 ** 40 + 12_345,
      2 ** 52 + 3,
      Number.MAX_SAFE_INTEGER,
    ];
    for (const n of sizes) {
      const root = await rootAt(n, read);
      expect(toHex(root)).toBe(toHex(uniform.root(n)));
      for (const m of [0, 1, 2 ** 31 - 1, 2 ** 31, Math.floor(n / 3), n - 2, n - 1]) {
        expect(inclusionProofRanges(m, n)).toEqual(naivePathRanges(m, 0, n));
        const proof = await inclusionProof(m, n, read);
        expect(hex(proof)).toEqual(hex(uniform.inclusion(m, n)));
        expect(verifyInclusion(m, n, z[0]!, proof, root)).toBe(true);
      }
      for (const m of [1, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, Math.floor(n / 3), n - 1]) {
        expect(consistencyProofRanges(m, n)).toEqual(naiveSubproofRanges(m, 0, n, true));
        const proof = await consistencyProof(m, n, read);
        expect(hex(proof)).toEqual(hex(uniform.consistency(m, n)));
        expect(verifyConsistency(m, n, proof, uniform.root(m), root)).toBe(true);
      }
    }
  });
});

describe('CompactRange', () => {
  it('root equals rootAt for every size 0..300', async () => {
    const c = CompactRange.empty();
    for (let n = 0; n <= 300; n++) {
      expect(c.size).toBe(n);
      expect(toHex(c.root())).toBe(toHex(await rootAt(n, smallRead)));
      c.append(seqLeaf(n));
    }
  });

  it('root equals rootAt at larger sizes, and fromNodes/clone round-trip', async () => {
    const big = new NaiveTree(seqLeaf, 256);
    const read = big.reader();
    const c = CompactRange.empty();
    const checkAt = new Set([1023, 1024, 1025, 4096, 65_535, 65_536, 65_537, 100_000]);
    for (let n = 0; n <= 100_000; n++) {
      if (checkAt.has(n)) {
        expect(toHex(c.root())).toBe(toHex(await rootAt(n, read)));
        const ids = rangeNodes({ start: 0, end: n });
        const rebuilt = CompactRange.fromNodes(n, await read(ids));
        expect(toHex(rebuilt.root())).toBe(toHex(c.root()));
        expect(hex(c.nodes())).toEqual(hex(await read(ids)));
        const copy = c.clone();
        copy.append(seqLeaf(n));
        expect(copy.size).toBe(n + 1);
        expect(c.size).toBe(n);
        expect(toHex(copy.root())).toBe(toHex(await rootAt(n + 1, read)));
      }
      c.append(seqLeaf(n));
    }
  });

  it('rejects malformed input', () => {
    expect(() => CompactRange.empty().append(new Uint8Array(31))).toThrow(RangeError);
    expect(() => CompactRange.fromNodes(3, [seqLeaf(0)])).toThrow(RangeError);
    expect(() => CompactRange.fromNodes(-1, [])).toThrow(RangeError);
    expect(toHex(CompactRange.fromNodes(0, []).root())).toBe(toHex(EMPTY_ROOT));
  });
});
