// Password hashing for clerk/auditor/admin logins: scrypt in a PHC-style string, constant-time verification and
// the minimum password policy. Runtime-neutral: node:crypto's scrypt also exists in workerd under nodejs_compat.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Cost parameters for new hashes (architecture.md: "scrypt (N=2^17, r=8, p=1 or stronger)"). They are written
 * into every stored string, so raising them later only affects new hashes; `needsRehash` finds the old ones.
 */
export const SCRYPT_PARAMS = { ln: 17, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** Bounds for parameters read back from a stored string: a corrupt or hostile row must not exhaust memory. */
const LIMITS = { ln: [14, 22], r: [1, 32], p: [1, 16] } as const;

export const MIN_PASSWORD_LENGTH = 12;
/** Long enough for any passphrase; short enough that hashing cost can't be driven up by the input. */
export const MAX_PASSWORD_LENGTH = 1024;

export class PasswordPolicyError extends Error {
  override name = 'PasswordPolicyError';
}

export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

/**
 * scrypt needs 128·N·r bytes; Node refuses anything above `maxmem` (default 32 MiB, too small for N=2^17, which
 * needs 128 MiB). Give it exactly what the parameters need plus headroom for its own bookkeeping.
 */
function maxmemFor(params: ScryptParams): number {
  return 128 * 2 ** params.ln * params.r * params.p + 16 * 1024 * 1024;
}

function derive(password: string, salt: Uint8Array, params: ScryptParams, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // NFC so the same password typed through different input methods (IME, macOS, Windows) hashes the same.
    scrypt(
      password.normalize('NFC'),
      salt,
      length,
      { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: maxmemFor(params) },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** Throws PasswordPolicyError (Japanese + English) if the password is too weak to store. */
export function checkPasswordPolicy(password: string): void {
  const length = [...password.normalize('NFC')].length;
  if (password.trim() === '') {
    throw new PasswordPolicyError(
      'パスワードを入力してください (the password is empty — type at least 12 characters)',
    );
  }
  if (length < MIN_PASSWORD_LENGTH) {
    throw new PasswordPolicyError(
      `パスワードは${MIN_PASSWORD_LENGTH}文字以上にしてください (password must be at least ${MIN_PASSWORD_LENGTH} characters; got ${length})`,
    );
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new PasswordPolicyError(
      `パスワードは${MAX_PASSWORD_LENGTH}文字以内にしてください (password must be at most ${MAX_PASSWORD_LENGTH} characters)`,
    );
  }
  // One repeated character ("aaaaaaaaaaaa") meets the length rule but not its intent.
  if (new Set(password).size < 4) {
    throw new PasswordPolicyError(
      'パスワードには4種類以上の文字を使ってください (use at least 4 different characters in the password)',
    );
  }
}

/** `$scrypt$ln=17,r=8,p=1$<base64 salt>$<base64 hash>` (PHC string format: base64 without padding). */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  checkPasswordPolicy(password);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

const PHC_RE =
  /^\$scrypt\$ln=([0-9]{1,2}),r=([0-9]{1,2}),p=([0-9]{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Parses a stored string; null when it is not one we wrote (or its parameters are out of bounds). */
export function parsePasswordHash(stored: string): ParsedHash | null {
  const m = PHC_RE.exec(stored);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (
    params.ln < LIMITS.ln[0] ||
    params.ln > LIMITS.ln[1] ||
    params.r < LIMITS.r[0] ||
    params.r > LIMITS.r[1] ||
    params.p < LIMITS.p[0] ||
    params.p > LIMITS.p[1]
  ) {
    return null;
  }
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  // Re-encoding must give the same text, so a string with stray bits is refused rather than half-read.
  if (b64(salt) !== m[4] || b64(hash) !== m[5] || salt.length < 8 || hash.length < 16 || hash.length > 64) {
    return null;
  }
  return { params, salt, hash };
}

/** Constant-time check. False (never a throw) for a wrong password or a malformed stored string. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (!parsed || typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH * 4) return false;
  let key: Buffer;
  try {
    key = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
  } catch {
    return false;
  }
  return timingSafeEqual(key, parsed.hash);
}

/** True when the stored string uses weaker parameters than today's (rehash at the next successful login). */
export function needsRehash(stored: string, params: ScryptParams = SCRYPT_PARAMS): boolean {
  const parsed = parsePasswordHash(stored);
  if (!parsed) return true;
  return parsed.params.ln < params.ln || parsed.params.r < params.r || parsed.params.p < params.p;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}
