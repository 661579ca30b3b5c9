// Password hashing: scrypt PHC strings, constant-time verification, malformed strings, the minimum policy.
import { describe, expect, it } from 'vitest';
import {
  checkPasswordPolicy,
  hashPassword,
  needsRehash,
  PasswordPolicyError,
  parsePasswordHash,
  verifyPassword,
} from '../../src/services/passwords.ts';

// Cheaper parameters for most cases: the format carries them, so verification must read them from the string.
const FAST = { ln: 14, r: 8, p: 1 };

describe('passwords', () => {
  it('hashes with N=2^17, r=8, p=1 by default and verifies', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
  });

  it('uses a fresh salt each time', async () => {
    const a = await hashPassword('same password here', FAST);
    const b = await hashPassword('same password here', FAST);
    expect(a).not.toBe(b);
  });

  it('reads the parameters from the stored string', async () => {
    const stored = await hashPassword('parameters travel', FAST);
    expect(parsePasswordHash(stored)?.params).toEqual(FAST);
    expect(await verifyPassword('parameters travel', stored)).toBe(true);
    expect(needsRehash(stored)).toBe(true);
    // Another cost in the string gives another key: the parameters are really used.
    expect(await verifyPassword('parameters travel', stored.replace('ln=14', 'ln=15'))).toBe(false);
  });

  it('normalises to NFC before hashing', async () => {
    const stored = await hashPassword('パスワードはがぎぐげごです', FAST);
    expect(await verifyPassword('パスワードはがぎぐげごです'.normalize('NFD'), stored)).toBe(true);
  });

  it('returns false (never throws) for malformed stored strings', async () => {
    const good = await hashPassword('a fine password', FAST);
    for (const bad of [
      '',
      'plaintext',
      '$scrypt$',
      good.replace('$scrypt$', '$argon2id$'),
      good.replace('ln=14', 'ln=40'), // absurd cost: refused, not attempted
      good.replace('r=8', 'r=0'),
      `${good}$extra`,
      good.replace(/\$[^$]+$/, '$!!!'),
      good.replace(/\$[^$]+\$/, '$A$'), // salt too short
    ]) {
      expect(await verifyPassword('a fine password', bad), bad).toBe(false);
      expect(parsePasswordHash(bad), bad).toBeNull();
    }
  });

  it('refuses weak passwords with a Japanese and English message', async () => {
    for (const weak of ['', 'short', '11 chars xx', 'aaaaaaaaaaaaaaaa']) {
      expect(() => checkPasswordPolicy(weak)).toThrow(PasswordPolicyError);
    }
    expect(() => checkPasswordPolicy('short')).toThrow(/12文字以上.*at least 12 characters/);
    await expect(hashPassword('too short')).rejects.toThrow(PasswordPolicyError);
    expect(() => checkPasswordPolicy('twelve chars')).not.toThrow();
  });
});
