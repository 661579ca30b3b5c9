// PlatformKeys ⇄ the string values of the Workers secrets named in platform/secret-names.ts. `densho export` writes
// them from a Node key directory; the Worker entry reads them back with platformKeysFromSecrets — one pair of
// functions, so a key set that left Node is exactly the one the Worker signs with (tested as a round trip).
// Trusts its input only as far as shape: a value that is not what the name promises fails with the fix.
import { fromBase64, toBase64 } from '../domain/bytes.ts';
import { SECRET_NAMES, type SecretName } from '../platform/secret-names.ts';
import type { PlatformKeys } from './platform-keys.ts';
import { publicJwk } from './platform-keys.ts';

type Jwk = JsonWebKey & { kid: string };

/** The secret values for a key set: current receipt key private, earlier ones public only (never sign again). */
export function secretsFromPlatformKeys(keys: PlatformKeys): Record<SecretName, string> {
  const earlier = keys.receiptPublic.filter((k) => k.kid !== keys.receipt.kid).map((k) => publicJwk(k));
  return {
    [SECRET_NAMES.noteKey]: JSON.stringify(keys.note),
    [SECRET_NAMES.receiptKeys]: JSON.stringify({ keys: [keys.receipt, ...earlier] }),
    [SECRET_NAMES.authKeySecret]: toBase64(keys.secrets.authKey),
    [SECRET_NAMES.netSecret]: toBase64(keys.secrets.net),
    [SECRET_NAMES.sessionSecret]: toBase64(keys.secrets.session),
  } as Record<SecretName, string>;
}

/** Read the key set from secret values (a Worker's `env`); throws naming the missing or malformed secret. */
export function platformKeysFromSecrets(env: Record<string, unknown>): PlatformKeys {
  const text = (name: SecretName): string => {
    const v = env[name];
    if (typeof v !== 'string' || v.trim() === '') {
      throw new Error(
        `the secret ${name} is not set — run \`npx wrangler secret put ${name}\` with the value from \`densho export\``,
      );
    }
    return v.trim();
  };
  const json = (name: SecretName): unknown => {
    try {
      return JSON.parse(text(name));
    } catch (e) {
      if (e instanceof SyntaxError)
        throw new Error(`the secret ${name} is not JSON — set it again from the export`);
      throw e;
    }
  };
  const ed25519 = (v: unknown, name: SecretName, needPrivate: boolean): Jwk => {
    const k = v as Partial<Jwk> | null;
    if (
      k?.kty !== 'OKP' ||
      k.crv !== 'Ed25519' ||
      typeof k.x !== 'string' ||
      typeof k.kid !== 'string' ||
      (needPrivate && typeof k.d !== 'string')
    ) {
      throw new Error(
        `the secret ${name} must hold an Ed25519 ${needPrivate ? 'private ' : ''}JWK with a kid — set it again from the export`,
      );
    }
    return k as Jwk;
  };
  const bytes32 = (name: SecretName): Uint8Array => {
    const value = text(name);
    let b: Uint8Array;
    try {
      b = fromBase64(value);
    } catch {
      throw new Error(`the secret ${name} is not base64 — set it again from the export`);
    }
    if (b.length !== 32)
      throw new Error(`the secret ${name} must be 32 bytes (base64) — set it again from the export`);
    return b;
  };

  const note = ed25519(json(SECRET_NAMES.noteKey), SECRET_NAMES.noteKey, true);
  const set = json(SECRET_NAMES.receiptKeys) as { keys?: unknown };
  if (!set || !Array.isArray(set.keys) || set.keys.length === 0) {
    throw new Error(
      `the secret ${SECRET_NAMES.receiptKeys} must be a JWKS {"keys":[current private key, …earlier public keys]}`,
    );
  }
  const receipt = ed25519(set.keys[0], SECRET_NAMES.receiptKeys, true);
  const earlier = set.keys.slice(1).map((k) => publicJwk(ed25519(k, SECRET_NAMES.receiptKeys, false)));
  return {
    note,
    receipt,
    receiptPublic: [publicJwk(receipt), ...earlier],
    secrets: {
      authKey: bytes32(SECRET_NAMES.authKeySecret),
      net: bytes32(SECRET_NAMES.netSecret),
      session: bytes32(SECRET_NAMES.sessionSecret),
    },
  };
}
