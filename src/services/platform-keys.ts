// The platform's own keys and secrets, as the runtime-neutral core sees them (Node reads them from a key
// directory, Workers from secrets). Never logged, never put in a leaf.
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

export interface PlatformKeys {
  /** Ed25519 key that signs checkpoints (C2SP signed notes) of both logs. */
  note: JsonWebKey;
  /** Current Ed25519 receipt key (private JWK, `kid` = RFC 7638 thumbprint). */
  receipt: JsonWebKey & { kid: string };
  /** Public halves of every receipt key ever used, newest first: old receipts stay verifiable after rotation. */
  receiptPublic: (JsonWebKey & { kid: string })[];
  secrets: PlatformSecrets;
}

export interface PlatformSecrets {
  /** HMAC key for 認証キー digests. Changing it invalidates every stored key. */
  authKey: Uint8Array;
  /** HMAC key for client IPs in access leaves. */
  net: Uint8Array;
  /** HMAC key for session/CSRF material. */
  session: Uint8Array;
}

/** A fresh Ed25519 private JWK with its RFC 7638 thumbprint as `kid`. */
export async function generateEd25519Jwk(): Promise<JsonWebKey & { kid: string }> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg: 'EdDSA', use: 'sig' } as JsonWebKey & { kid: string };
}

export function publicJwk(jwk: JsonWebKey & { kid: string }): JsonWebKey & { kid: string } {
  const { d: _d, ...pub } = jwk;
  return { ...pub, key_ops: undefined } as JsonWebKey & { kid: string };
}

/** The raw 32-byte Ed25519 public key from a JWK's `x`. */
export function ed25519PublicBytes(jwk: JsonWebKey): Uint8Array {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new Error('expected an Ed25519 OKP JWK');
  }
  const b64 = jwk.x.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  if (out.length !== 32) throw new Error('Ed25519 public key must be 32 bytes');
  return out;
}
