// JWK handling for the CLI: reading surety key files, telling public from private keys, the key's algorithm
// (Ed25519 → EdDSA, P-256 → ES256; nothing else), kids (RFC 7638 thumbprints) and Ed25519 key generation.
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { CliError } from './shared.ts';

export type SuretyAlg = 'EdDSA' | 'ES256';

/** Members that only a private (or symmetric) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

const KID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export function readJwkFile(path: string, what: string): JWK {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(
      `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} — check the path`,
    );
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not JSON — ${what} must be a JWK (a JSON object with "kty")`);
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk) || typeof (jwk as JWK).kty !== 'string') {
    throw new CliError(`${path} is not a JWK — expected a JSON object with "kty" (e.g. "OKP" or "EC")`);
  }
  return jwk as JWK;
}

/** The JWS algorithm a key is for; refuses anything but Ed25519 and P-256, and an "alg" that contradicts the key. */
export function algForJwk(jwk: JWK, path: string): SuretyAlg {
  let alg: SuretyAlg;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') alg = 'EdDSA';
  else if (jwk.kty === 'EC' && jwk.crv === 'P-256') alg = 'ES256';
  else {
    throw new CliError(
      `${path}: unsupported key (kty ${String(jwk.kty)}, crv ${String(jwk.crv)}) — use an Ed25519 key (kty "OKP", crv "Ed25519") or a P-256 key (kty "EC", crv "P-256"); \`densho keygen\` makes an Ed25519 pair`,
    );
  }
  if (jwk.alg !== undefined) {
    const ok = alg === 'EdDSA' ? jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519' : jwk.alg === 'ES256';
    if (!ok)
      throw new CliError(
        `${path}: "alg" ${String(jwk.alg)} does not fit a ${jwk.crv} key — remove "alg" or fix it`,
      );
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw new CliError(
      `${path}: "use" is ${String(jwk.use)} — a surety key signs, so "use" must be "sig" (or absent)`,
    );
  }
  return alg;
}

/** A validated public key: only the public members are kept (nothing else is stored). */
export async function publicKeyFromFile(path: string): Promise<{ jwk: JWK; alg: SuretyAlg; kid: string }> {
  const jwk = readJwkFile(path, 'the public JWK');
  const secret = PRIVATE_MEMBERS.find((m) => m in jwk);
  if (secret) {
    throw new CliError(
      `${path} is a private key (it has "${secret}") — register only the public half (remove "${secret}", or use the file \`densho keygen --public\` writes); the platform never holds a surety's private key`,
    );
  }
  const alg = algForJwk(jwk, path);
  const pub: JWK =
    alg === 'EdDSA'
      ? { kty: 'OKP', crv: 'Ed25519', x: jwk.x }
      : { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  try {
    // Web Crypto checks the encoding (and for P-256 that the point is on the curve).
    await importJWK(pub, alg === 'EdDSA' ? 'Ed25519' : 'ES256');
  } catch (e) {
    throw new CliError(
      `${path} is not a valid ${jwk.crv} public key (${(e as Error).message}) — export the key again`,
    );
  }
  let kid: string;
  if (jwk.kid !== undefined) {
    if (typeof jwk.kid !== 'string' || !KID_RE.test(jwk.kid)) {
      throw new CliError(
        `${path}: "kid" must be 1–128 characters of A–Z a–z 0–9 . _ : - (or leave it out to use the RFC 7638 thumbprint)`,
      );
    }
    kid = jwk.kid;
  } else {
    kid = await calculateJwkThumbprint(pub);
  }
  return { jwk: pub, alg, kid };
}

/** A private signing key and its algorithm. */
export async function privateKeyFromFile(
  path: string,
): Promise<{ key: CryptoKey; alg: SuretyAlg; kid?: string }> {
  const jwk = readJwkFile(path, 'the private JWK');
  if (typeof jwk.d !== 'string') {
    throw new CliError(
      `${path} has no "d" — push needs the surety's PRIVATE key (the file \`densho keygen --out\` wrote)`,
    );
  }
  const alg = algForJwk(jwk, path);
  let key: CryptoKey;
  try {
    const { alg: _a, key_ops: _k, use: _u, ...bare } = jwk;
    key = (await importJWK(bare, alg === 'EdDSA' ? 'Ed25519' : 'ES256')) as CryptoKey;
  } catch (e) {
    throw new CliError(
      `${path} is not a valid ${jwk.crv} private key (${(e as Error).message}) — export the key again`,
    );
  }
  return typeof jwk.kid === 'string' ? { key, alg, kid: jwk.kid } : { key, alg };
}

/** A new Ed25519 pair; both JWKs carry the RFC 7638 thumbprint as kid (what `surety-key add` will print). */
export async function generateSuretyKeyPair(): Promise<{ privateJwk: JWK; publicJwk: JWK; kid: string }> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const full = await exportJWK(privateKey);
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: full.x };
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    privateJwk: { kty: 'OKP', crv: 'Ed25519', x: full.x, d: full.d, kid, alg: 'EdDSA', use: 'sig' },
    publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
    kid,
  };
}
