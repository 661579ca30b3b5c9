// 認証キー: generate (80-bit Crockford base32), normalise what clerks type, and compare keyed digests in constant time.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Crockford base32: no I, L, O, U, so the key survives being read aloud or retyped from a PDF. */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const AUTH_KEY_LENGTH = 16;
/** Domain separation: the stored digest can never be confused with another HMAC under the same secret. */
const DIGEST_CONTEXT = 'densho/authkey/v1\n';

const NORMALIZED_RE = /^[0-9A-HJKMNP-TV-Z]{16}$/;

/** domain.md: "16 Crockford-base32 characters shown as ABCD-EFGH-JKMN-PQRS (80 bits)". */
export function generateAuthKey(): string {
  const bytes = randomBytes(10); // 80 bits = 16 × 5 bits exactly, so every symbol is uniform
  let acc = 0;
  let bits = 0;
  let out = '';
  for (const byte of bytes) {
    acc = ((acc << 8) | byte) & 0xfff; // keep at most 12 bits: 4 pending + 8 new
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD_ALPHABET[(acc >> bits) & 31];
    }
  }
  return formatAuthKey(out);
}

/**
 * Accepts what a clerk pastes or types: domain.md "accepted case-insensitively with or without
 * hyphens/spaces". NFKC first because Japanese IMEs produce full-width letters (ＡＢＣ) and spaces
 * (U+3000); then separators are dropped — any Unicode dash (‐ – — － …), the katakana prolonged sound mark
 * ー that IMEs produce for "-", and zero-width characters copied from PDFs. Crockford's decoding aliases
 * I/L → 1 and O → 0 are applied. Anything left that is not ASCII is refused rather than case-folded
 * (toUpperCase would turn the Turkish ı into I).
 */
export function normalizeAuthKey(input: string): string | null {
  const stripped = input.normalize('NFKC').replace(/[\s\p{Pd}\u2212\u30FC\u200B-\u200D\u2060\uFEFF]/gu, '');
  if (!/^[\x21-\x7e]*$/.test(stripped)) return null;
  const key = stripped.toUpperCase().replace(/[IL]/g, '1').replace(/O/g, '0');
  return NORMALIZED_RE.test(key) ? key : null;
}

/** ABCDEFGHJKMNPQRS → ABCD-EFGH-JKMN-PQRS. Throws on anything that is not a normalised key. */
export function formatAuthKey(normalized: string): string {
  if (!NORMALIZED_RE.test(normalized))
    throw new Error('formatAuthKey: not a normalised 16-character auth key');
  return normalized.match(/.{4}/g)?.join('-') ?? normalized;
}

/**
 * HMAC-SHA-256(secret, "densho/authkey/v1\n" + normalized). domain.md: the key is "stored only as a keyed
 * hash". Throws if given a raw (unnormalised) key, which would silently produce a digest nobody can match.
 */
export function authKeyDigest(secret: Uint8Array, normalized: string): Uint8Array {
  if (!NORMALIZED_RE.test(normalized))
    throw new Error('authKeyDigest: pass normalizeAuthKey(input), not raw input');
  const mac = createHmac('sha256', secret)
    .update(DIGEST_CONTEXT + normalized, 'utf8')
    .digest();
  return new Uint8Array(mac); // a plain Uint8Array copy: no Buffer in the public API
}

/** Constant-time comparison of the input's digest with the stored one; false for unnormalisable input. */
export function authKeyMatches(secret: Uint8Array, input: string, storedDigest: Uint8Array): boolean {
  const normalized = normalizeAuthKey(input);
  if (normalized === null) return false;
  const digest = authKeyDigest(secret, normalized);
  if (digest.length !== storedDigest.length) return false;
  return timingSafeEqual(digest, storedDigest);
}
