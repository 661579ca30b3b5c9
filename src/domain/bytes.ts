// Byte helpers for the trust log: UTF-8, strict base64/hex, SHA-256 and HMAC — runtime-neutral (Node and workerd).
import * as nodeCrypto from 'node:crypto';

// Namespace import on purpose: a named `import { hash }` fails at link time on a runtime whose node:crypto
// lacks the one-shot `hash()` (Node < 20.12, older workerd). With the namespace we fall back to createHash.
const oneShotHash = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

const encoder = new TextEncoder();
// fatal: a checkpoint or leaf that is not valid UTF-8 must be rejected, never silently repaired with U+FFFD.
// ignoreBOM: keep a leading U+FEFF as data instead of stripping it, so decode(encode(s)) === s.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes UTF-8, throwing a TypeError on any invalid sequence. */
export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** View a Buffer returned by node:crypto as a plain Uint8Array (no copy), so Buffer never leaks out. */
function plain(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

// ---- base64 (RFC 4648 §4 and §5) ----

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeTable(alphabet: string): Int16Array {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
}
const B64_DEC = decodeTable(B64);
const B64URL_DEC = decodeTable(B64URL);

function encode64(b: Uint8Array, alphabet: string, pad: boolean): string {
  let out = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + (pad ? '==' : '');
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + (pad ? '=' : '');
  }
  return out;
}

function sextet(s: string, i: number, table: Int16Array): number {
  const c = s.charCodeAt(i);
  const v = c < 128 ? table[c]! : -1;
  if (v < 0) throw new Error('invalid base64');
  return v;
}

/**
 * Decodes exactly one canonical encoding: no whitespace, no missing or extra padding, and zero unused bits
 * in the last character. Canonical-only matters because signatures and hashes are compared as text too:
 * two spellings of the same bytes would let a malleated checkpoint look "different but valid".
 */
function decode64(s: string, table: Int16Array, padded: boolean): Uint8Array {
  let len = s.length;
  if (padded) {
    if (len % 4 !== 0) throw new Error('invalid base64');
    if (len > 0 && s.charCodeAt(len - 1) === 61 /* = */) {
      len--;
      if (s.charCodeAt(len - 1) === 61) len--;
    }
  }
  const rest = len % 4;
  if (rest === 1) throw new Error('invalid base64');
  const out = new Uint8Array(((len - rest) / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const n =
      (sextet(s, i, table) << 18) |
      (sextet(s, i + 1, table) << 12) |
      (sextet(s, i + 2, table) << 6) |
      sextet(s, i + 3, table);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (rest === 2) {
    const a = sextet(s, i, table);
    const b = sextet(s, i + 1, table);
    if ((b & 15) !== 0) throw new Error('invalid base64');
    out[o] = (a << 2) | (b >> 4);
  } else if (rest === 3) {
    const a = sextet(s, i, table);
    const b = sextet(s, i + 1, table);
    const c = sextet(s, i + 2, table);
    if ((c & 3) !== 0) throw new Error('invalid base64');
    out[o++] = (a << 2) | (b >> 4);
    out[o] = ((b & 15) << 4) | (c >> 2);
  }
  return out;
}

/** Standard alphabet with padding (the encoding C2SP notes and checkpoints use). */
export function toBase64(b: Uint8Array): string {
  return encode64(b, B64, true);
}

/** Strict inverse of toBase64: throws Error('invalid base64') on anything non-canonical. */
export function fromBase64(s: string): Uint8Array {
  return decode64(s, B64_DEC, true);
}

/** URL-safe alphabet without padding (JWK members, RFC 7515). */
export function toBase64Url(b: Uint8Array): string {
  return encode64(b, B64URL, false);
}

/** Strict inverse of toBase64Url (no padding accepted): throws Error('invalid base64') otherwise. */
export function fromBase64Url(s: string): Uint8Array {
  return decode64(s, B64URL_DEC, false);
}

// ---- hex ----

const HEX = '0123456789abcdef';

/** Lowercase hex. */
export function toHex(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i++) out += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return out;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F (Go's key-hash parser accepts them too)
  return -1;
}

/** Strict: even length, hex digits only (either case), no prefix or whitespace; throws Error('invalid hex'). */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new Error('invalid hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(2 * i));
    const lo = nibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new Error('invalid hex');
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Plain (not constant-time) comparison: for public values such as hashes and roots. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---- hashing ----

/** SHA-256, synchronous. The one-shot hash() avoids a Hash object per call (~1.7x faster on small inputs). */
export function sha256(data: Uint8Array): Uint8Array {
  if (oneShotHash) return plain(oneShotHash('sha256', data, 'buffer'));
  return plain(nodeCrypto.createHash('sha256').update(data).digest());
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(nodeCrypto.createHmac('sha256', key).update(data).digest());
}
