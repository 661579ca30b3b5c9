// Tests for RFC 8785 canonical JSON (restricted) and the densho/cert/v1 and densho/access/v1 leaf encodings.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/domain/jcs.ts';
import {
  ACCESS_LEAF_TYPE,
  type AccessLeafBody,
  accessLeaf,
  CERT_LEAF_TYPE,
  type CertLeafBody,
  certLeaf,
  parseLeaf,
} from '../../src/domain/leaf.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const DIGEST = 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg='; // base64 of SHA-256("test")

const cert: CertLeafBody = {
  contractNumber: '31074-00001M',
  event: 'issue',
  issuedAt: 1766199600123,
  submission: DIGEST,
  surety: 'ejcs',
  version: 1,
};

const access: AccessLeafBody = {
  action: 'certificate.view',
  actor: 'user:42',
  at: 1766199600123,
  net: DIGEST,
  outcome: 'ok',
  target: '31074-00001M',
};

/** [1, <hole>, 3] without a literal hole (which the linter rightly flags as a likely typo). */
function sparse(): number[] {
  const a: number[] = [];
  a[0] = 1;
  a[2] = 3;
  return a;
}

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code unit order, recursively, with no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' }, B: false, _: 0 })).toBe(
      '{"B":false,"_":0,"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}',
    );
    expect(canonicalJson({ '10': 1, '9': 2, '': 3 })).toBe('{"":3,"10":1,"9":2}');
  });

  it('serialises strings exactly as JSON.stringify (RFC 8785 §3.2.2.2)', () => {
    const s = 'é"\\\n\t\u0001\u001f\u007f€😀\u2028</script>';
    expect(canonicalJson(s)).toBe(JSON.stringify(s));
    expect(canonicalJson('\u2028')).toBe('"\u2028"');
  });

  it('serialises integers, booleans and null', () => {
    expect(canonicalJson([0, -1, 9007199254740991, -9007199254740991, true, false, null])).toBe(
      '[0,-1,9007199254740991,-9007199254740991,true,false,null]',
    );
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson(Object.create(null))).toBe('{}');
  });

  it.each([
    ['a float', 1.5],
    ['-0', -0],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an unsafe integer', 2 ** 53],
    ['1e21', 1e21],
    ['undefined', undefined],
    ['a bigint', 1n],
    ['a symbol', Symbol('x')],
    ['a function', () => 1],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Uint8Array', new Uint8Array(1)],
    ['a lone surrogate', '\uD800'],
    ['an undefined property', { a: undefined }],
    ['an undefined array item', [1, undefined]],
    ['a sparse array', sparse()],
    ['a non-ASCII key', { é: 1 }],
    ['a control-character key', { 'a\nb': 1 }],
    ['a nested float', { a: [{ b: 0.1 }] }],
    ['a class instance', new (class X {})()],
  ])('refuses %s', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow();
  });

  it('refuses symbol keys and cycles', () => {
    expect(() => canonicalJson({ [Symbol('s')]: 1 })).toThrow();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it('agrees with JSON.parse round trip on random JSON of the allowed kinds', () => {
    const key = fc.string({ unit: fc.constantFrom(...'abcABC_-09 ~') });
    const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.maxSafeInteger(), fc.string());
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(key, tie('value'), { maxKeys: 4 }),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        fc.pre(!Object.is(v, -0));
        const s = canonicalJson(v);
        // idempotent through JSON.parse, and never contains whitespace outside strings
        expect(canonicalJson(JSON.parse(s))).toBe(s);
      }),
      { numRuns: 300 },
    );
  });
});

describe('leaves', () => {
  it('encodes a cert leaf as UTF-8("densho/cert/v1\\n") || JCS(body)', () => {
    const bytes = certLeaf(cert);
    expect(dec.decode(bytes)).toBe(
      `densho/cert/v1\n{"contractNumber":"31074-00001M","event":"issue","issuedAt":1766199600123,"submission":"${DIGEST}","surety":"ejcs","version":1}`,
    );
  });

  it('encodes an access leaf with nulls', () => {
    const bytes = accessLeaf({ ...access, actor: null, target: null });
    expect(dec.decode(bytes)).toBe(
      `densho/access/v1\n{"action":"certificate.view","actor":null,"at":1766199600123,"net":"${DIGEST}","outcome":"ok","target":null}`,
    );
  });

  it('round-trips both leaf types', () => {
    expect(parseLeaf(certLeaf(cert))).toEqual({ type: CERT_LEAF_TYPE, body: cert });
    expect(parseLeaf(accessLeaf(access))).toEqual({ type: ACCESS_LEAF_TYPE, body: access });
  });

  it('round-trips random cert bodies', () => {
    const b64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((u) => btoa(String.fromCharCode(...u)));
    const body = fc.record({
      contractNumber: fc.string({ minLength: 1 }),
      event: fc.constantFrom('issue', 'change', 'correction', 'change_cancel', 'termination' as const),
      issuedAt: fc.nat(),
      submission: b64,
      surety: fc.string({ minLength: 1 }),
      version: fc.integer({ min: 1, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(body, (b) => {
        expect(parseLeaf(certLeaf(b))).toEqual({ type: CERT_LEAF_TYPE, body: b });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses to build a leaf from a wrong body', () => {
    expect(() => certLeaf({ ...cert, extra: 1 } as CertLeafBody)).toThrow();
    expect(() => certLeaf({ ...cert, issuedAt: 1.5 })).toThrow();
    expect(() => certLeaf({ ...cert, version: 0 })).toThrow();
    expect(() => certLeaf({ ...cert, submission: 'not base64' })).toThrow();
    expect(() => certLeaf({ ...cert, event: 'delete' } as unknown as CertLeafBody)).toThrow();
    expect(() => accessLeaf({ ...access, net: '203.0.113.7' })).toThrow();
    const { target: _t, ...missing } = access;
    expect(() => accessLeaf(missing as AccessLeafBody)).toThrow();
  });

  const prefix = (t: string, json: string) => enc.encode(`${t}\n${json}`);
  const canonical = dec.decode(certLeaf(cert)).split('\n')[1] as string;

  it.each([
    ['an unknown type', prefix('densho/cert/v2', canonical)],
    ['no type line', enc.encode(canonical)],
    ['whitespace', prefix(CERT_LEAF_TYPE, JSON.stringify(JSON.parse(canonical), null, 1))],
    ['a trailing newline', prefix(CERT_LEAF_TYPE, `${canonical}\n`)],
    [
      'unsorted keys',
      prefix(CERT_LEAF_TYPE, JSON.stringify(Object.fromEntries(Object.entries(cert).reverse()))),
    ],
    ['an extra key', prefix(CERT_LEAF_TYPE, canonicalJson({ ...cert, note: 'x' }))],
    ['a missing key', prefix(CERT_LEAF_TYPE, canonical.replace(',"surety":"ejcs"', ''))],
    ['an escaped key', prefix(CERT_LEAF_TYPE, canonical.replace('"event"', '"\\u0065vent"'))],
    ['a duplicate key', prefix(CERT_LEAF_TYPE, canonical.replace('{', '{"contractNumber":"X",'))],
    ['1.0 instead of 1', prefix(CERT_LEAF_TYPE, canonical.replace('"version":1', '"version":1.0'))],
    [
      'an access body under the cert type',
      prefix(CERT_LEAF_TYPE, dec.decode(accessLeaf(access)).split('\n')[1] as string),
    ],
    ['not JSON', prefix(CERT_LEAF_TYPE, '{')],
    ['a BOM', prefix(CERT_LEAF_TYPE, `\uFEFF${canonical}`)],
  ])('parseLeaf rejects %s', (_name, bytes) => {
    expect(() => parseLeaf(bytes)).toThrow();
  });

  it('parseLeaf rejects invalid UTF-8', () => {
    const good = certLeaf(cert);
    const bad = new Uint8Array([...good.subarray(0, good.length - 1), 0xff, 0x7d]);
    expect(() => parseLeaf(bad)).toThrow();
  });

  it('parseLeaf rejects an extra key in an access leaf and a wrong type in a field', () => {
    expect(() =>
      parseLeaf(prefix(ACCESS_LEAF_TYPE, canonicalJson({ ...access, ip: '203.0.113.7' }))),
    ).toThrow();
    expect(() => parseLeaf(prefix(ACCESS_LEAF_TYPE, canonicalJson({ ...access, at: '1' })))).toThrow();
  });
});
