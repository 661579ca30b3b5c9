// Tests for 認証キー generation, normalisation of what clerks type, and keyed-digest matching.
import { describe, expect, it } from 'vitest';
import {
  authKeyDigest,
  authKeyMatches,
  CROCKFORD_ALPHABET,
  formatAuthKey,
  generateAuthKey,
  normalizeAuthKey,
} from '../../src/domain/auth-key.ts';

const FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}$/;
const secret = new TextEncoder().encode('test-secret-0123456789abcdef');

describe('generateAuthKey', () => {
  it('formats 16 Crockford base32 characters as XXXX-XXXX-XXXX-XXXX', () => {
    const key = generateAuthKey();
    expect(key).toMatch(FORMAT);
    expect(key).toHaveLength(19);
  });

  it('10k keys: all normalise to themselves and are distinct', () => {
    const seen = new Set<string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const key = generateAuthKey();
      const n = normalizeAuthKey(key);
      expect(n).not.toBeNull();
      expect(formatAuthKey(n as string)).toBe(key);
      seen.add(key);
      for (const ch of n as string) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(seen.size).toBe(10_000);
    // Every symbol shows up and none is wildly over-represented (expected 5000 each; a bias bug such as
    // dropping bits would starve or double some symbols).
    expect(counts.size).toBe(32);
    for (const c of counts.values()) {
      expect(c).toBeGreaterThan(4500);
      expect(c).toBeLessThan(5500);
    }
  });
});

describe('normalizeAuthKey', () => {
  const canonical = 'ABCDEFGHJKMNPQRS';

  it.each([
    ['formatted', 'ABCD-EFGH-JKMN-PQRS'],
    ['lower-case', 'abcd-efgh-jkmn-pqrs'],
    ['no hyphens', 'abcdefghjkmnpqrs'],
    ['spaces', ' ABCD EFGH  JKMN PQRS '],
    ['ideographic spaces', 'ABCD\u3000EFGH\u3000JKMN\u3000PQRS'],
    ['full-width letters and hyphens', 'ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ－ＰＱＲＳ'],
    ['katakana prolonged sound mark as hyphen', 'ABCDーEFGHーJKMNーPQRS'],
    ['unicode dashes', 'ABCD‐EFGH–JKMN—PQRS'],
    ['minus sign', 'ABCD\u2212EFGH\u2212JKMN\u2212PQRS'],
    ['tab and newline from a PDF copy', 'ABCD-EFGH\n\tJKMN-PQRS'],
    ['zero-width space', 'ABCD\u200BEFGH-JKMN-PQRS'],
  ])('accepts %s', (_name, input) => {
    expect(normalizeAuthKey(input)).toBe(canonical);
  });

  it('maps Crockford aliases O→0, I→1, L→1 (any case, any width)', () => {
    expect(normalizeAuthKey('O0O0-IiLl-1111-0000')).toBe('0000111111110000');
    expect(normalizeAuthKey('ｏｉｌ0-0000-0000-0000')).toBe('0110000000000000');
  });

  it.each([
    ['15 chars', 'ABCD-EFGH-JKMN-PQR'],
    ['17 chars', 'ABCD-EFGH-JKMN-PQRST'],
    ['empty', ''],
    ['a U', 'ABCD-EFGH-JKMN-PQRU'],
    ['a symbol', 'ABCD-EFGH-JKMN-PQR*'],
    ['an underscore', 'ABCD_EFGH_JKMN_PQRS'],
    ['a dot', 'ABCD.EFGH.JKMN.PQRS'],
    ['hiragana', 'あいうえ-EFGH-JKMN-PQRS'],
    ['Turkish dotless i (no case-folding tricks)', 'ıBCD-EFGH-JKMN-PQRS'],
    ['the seed legacy key', 'Z28YUE4J3Bux'],
  ])('rejects %s', (_name, input) => {
    expect(normalizeAuthKey(input)).toBeNull();
  });
});

describe('formatAuthKey', () => {
  it('groups by four', () => {
    expect(formatAuthKey('0123456789ABCDEF')).toBe('0123-4567-89AB-CDEF');
  });

  it('throws on a non-normalised key', () => {
    expect(() => formatAuthKey('abcd-efgh')).toThrow();
    expect(() => formatAuthKey('ABCDEFGHIJKLMNOP')).toThrow();
  });

  it('uses exactly the Crockford alphabet', () => {
    expect(CROCKFORD_ALPHABET).toHaveLength(32);
    expect(CROCKFORD_ALPHABET).not.toMatch(/[ILOU]/);
  });
});

describe('digest', () => {
  it('is HMAC-SHA-256 over the domain-separated normalised key', async () => {
    const d = authKeyDigest(secret, 'ABCDEFGHJKMNPQRS');
    expect(d).toBeInstanceOf(Uint8Array);
    expect(d.constructor).toBe(Uint8Array); // not a Buffer
    expect(d).toHaveLength(32);
    const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    const expected = new Uint8Array(
      await crypto.subtle.sign('HMAC', key, new TextEncoder().encode('densho/authkey/v1\nABCDEFGHJKMNPQRS')),
    );
    expect(d).toEqual(expected);
  });

  it('refuses raw input', () => {
    expect(() => authKeyDigest(secret, 'abcd-efgh-jkmn-pqrs')).toThrow();
  });

  it('matches every accepted variant and nothing else', () => {
    const key = generateAuthKey();
    const stored = authKeyDigest(secret, normalizeAuthKey(key) as string);
    expect(authKeyMatches(secret, key, stored)).toBe(true);
    expect(authKeyMatches(secret, key.toLowerCase().replaceAll('-', ' '), stored)).toBe(true);
    const fullWidth = key.replace(/[0-9A-Z-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    expect(authKeyMatches(secret, fullWidth, stored)).toBe(true);

    // one character off
    const n = normalizeAuthKey(key) as string;
    const other = (n[0] === '0' ? '1' : '0') + n.slice(1);
    expect(authKeyMatches(secret, other, stored)).toBe(false);
    // another secret
    expect(authKeyMatches(new TextEncoder().encode('other'), key, stored)).toBe(false);
    // unnormalisable input, truncated or empty stored digest
    expect(authKeyMatches(secret, 'nope', stored)).toBe(false);
    expect(authKeyMatches(secret, key, stored.subarray(0, 31))).toBe(false);
    expect(authKeyMatches(secret, key, new Uint8Array(0))).toBe(false);
  });
});
