// Ports: the small structural interfaces the runtime-neutral core needs from a runtime (Node or Workers).
import type { CompiledQuery } from 'kysely';

/** Wall clock in milliseconds since the epoch. Injected so tests can move time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Runs compiled queries as ONE atomic unit that is durable when the promise resolves
 * (Node: one better-sqlite3 transaction with synchronous=FULL; D1: one batch()).
 * Rejects, leaving nothing behind, if any statement fails.
 */
export interface AtomicWriter {
  run(queries: readonly CompiledQuery[]): Promise<void>;
}

/** Produces a raw Ed25519 signature over the message (64 bytes). Node: sync node:crypto; Workers: WebCrypto. */
export type RawSigner = (message: Uint8Array) => Promise<Uint8Array>;

/**
 * Verifies a JWS signature with a registered surety public key. `alg` is already pinned by the caller.
 * Node: synchronous node:crypto (no threadpool queueing); Workers: WebCrypto.
 */
export interface SignatureVerifier {
  verify(
    alg: 'EdDSA' | 'ES256',
    publicJwk: JsonWebKey,
    signingInput: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
}

/** The portable WebCrypto verifier (any runtime). ES256 JWS signatures are raw r‖s, which WebCrypto expects. */
export function webCryptoVerifier(): SignatureVerifier {
  const keys = new Map<string, Promise<CryptoKey>>();
  return {
    async verify(alg, jwk, data, sig) {
      const cacheKey = `${alg}:${jwk.x}:${jwk.y ?? ''}`;
      let key = keys.get(cacheKey);
      if (!key) {
        const algorithm = alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
        key = crypto.subtle.importKey('jwk', jwk, algorithm, false, ['verify']);
        if (keys.size > 10_000) keys.clear();
        keys.set(cacheKey, key);
      }
      const params = alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
      try {
        return await crypto.subtle.verify(
          params,
          await key,
          sig as Uint8Array<ArrayBuffer>,
          data as Uint8Array<ArrayBuffer>,
        );
      } catch {
        return false;
      }
    },
  };
}
