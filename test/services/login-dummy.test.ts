// The login dummy hash must use today's scrypt parameters, or unknown logins would fail faster than real ones.
import { describe, expect, it } from 'vitest';
import { loginDummyHash } from '../../src/services/login.ts';
import { needsRehash, parsePasswordHash, verifyPassword } from '../../src/services/passwords.ts';

describe('login dummy hash', () => {
  it('is a well-formed hash with the current parameters that matches no ordinary password', async () => {
    const h = await loginDummyHash();
    expect(parsePasswordHash(h)).not.toBeNull();
    expect(needsRehash(h)).toBe(false);
    expect(await verifyPassword('demo-password-1234', h)).toBe(false);
  });
});
