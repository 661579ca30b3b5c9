// Workers Ed25519 signing through WebCrypto (workerd has no synchronous signer to prefer, unlike Node): the
// checkpoint notes and receipts signed inside the LogSequencer Durable Object.
import type { RawSigner } from '../ports.ts';

export function webCryptoEd25519Signer(privateJwk: JsonWebKey): RawSigner {
  if (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'Ed25519' || typeof privateJwk.d !== 'string') {
    throw new Error('expected an Ed25519 private JWK (kty OKP, crv Ed25519, with d)');
  }
  // Only the key material: `alg`, `use` or `key_ops` written by other tools must not narrow the import.
  const jwk: JsonWebKey = { kty: 'OKP', crv: 'Ed25519', x: privateJwk.x, d: privateJwk.d };
  const key = crypto.subtle.importKey('jwk', jwk, { name: 'Ed25519' }, false, ['sign']);
  return async (message) =>
    new Uint8Array(
      await crypto.subtle.sign({ name: 'Ed25519' }, await key, message as Uint8Array<ArrayBuffer>),
    );
}
