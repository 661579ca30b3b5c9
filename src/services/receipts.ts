// Receipts: the platform-signed JWS handed to the surety in every 201/200, and the offline verifier that checks
// a whole receipt document (JWS via JWKS, leaf, inclusion proof, checkpoint) — used by tests and the CLI.
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, importJWK, type JSONWebKeySet } from 'jose';
import { bytesEqual, fromBase64, toBase64, toBase64Url, utf8 } from '../domain/bytes.ts';
import { openCheckpoint } from '../domain/checkpoint.ts';
import { parseLeaf } from '../domain/leaf.ts';
import { leafHash, verifyInclusion } from '../domain/merkle.ts';
import type { RawSigner } from '../platform/ports.ts';

export const RECEIPT_TYP = 'densho-receipt+jwt';

/** trust-log.md: { iss, sub: contractNumber, ver, evt, issuedAt (ms), idx, leafHash, treeSize, rootHash }. */
export interface ReceiptPayload {
  iss: string;
  sub: string;
  ver: number;
  evt: string;
  issuedAt: number;
  idx: number;
  leafHash: string;
  treeSize: number;
  rootHash: string;
}

/** The JSON body of a 201/200 (api.md "Receipt"). */
export interface ReceiptDocument {
  contractNumber: string;
  version: number;
  event: string;
  issuedAt: string;
  authKey?: string;
  log: {
    origin: string;
    index: number;
    leafInput: string;
    inclusionProof: string[];
    checkpoint: string;
  };
  receipt: string;
}

export class ReceiptSigner {
  private readonly encodedHeader: string;

  private constructor(
    private readonly rawSign: RawSigner,
    readonly kid: string,
  ) {
    this.encodedHeader = toBase64Url(utf8(JSON.stringify({ alg: 'EdDSA', kid, typ: RECEIPT_TYP })));
  }

  /** WebCrypto signer (any runtime). */
  static async fromJwk(jwk: JsonWebKey & { kid: string }): Promise<ReceiptSigner> {
    const key = (await importJWK(jwk, 'EdDSA')) as CryptoKey;
    return new ReceiptSigner(
      async (m) => new Uint8Array(await crypto.subtle.sign('Ed25519', key, m as Uint8Array<ArrayBuffer>)),
      jwk.kid,
    );
  }

  /** A runtime-provided raw Ed25519 signer (Node passes a synchronous node:crypto one). */
  static fromRawSigner(kid: string, rawSign: RawSigner): ReceiptSigner {
    return new ReceiptSigner(rawSign, kid);
  }

  /** Compact JWS (RFC 7515) over the JSON payload: plain enough to build directly, verified by jose anywhere. */
  async sign(payload: ReceiptPayload): Promise<string> {
    const signingInput = `${this.encodedHeader}.${toBase64Url(utf8(JSON.stringify(payload)))}`;
    const sig = await this.rawSign(utf8(signingInput));
    return `${signingInput}.${toBase64Url(sig)}`;
  }
}

export class ReceiptVerificationError extends Error {
  override name = 'ReceiptVerificationError';
}

/**
 * Check a receipt document the way a surety or auditor would, from public material only:
 * 1. the JWS verifies with a key from the JWKS (alg pinned to EdDSA);
 * 2. leafInput hashes to the signed leafHash, and the leaf says what the document says;
 * 3. the inclusion proof leads from that leaf to the signed rootHash at treeSize;
 * 4. the checkpoint verifies with the pinned vkey, names the expected origin, and has the same size and root.
 * Throws ReceiptVerificationError naming the first check that failed.
 */
export async function verifyReceiptDocument(
  doc: ReceiptDocument,
  trust: { jwks: JSONWebKeySet; vkey: string; origin?: string },
): Promise<ReceiptPayload> {
  const fail = (m: string): never => {
    throw new ReceiptVerificationError(m);
  };
  let payload: ReceiptPayload;
  try {
    const header = decodeProtectedHeader(doc.receipt);
    if (header.typ !== RECEIPT_TYP)
      fail(`receipt JWS has typ ${String(header.typ)}, expected ${RECEIPT_TYP}`);
    const { payload: raw } = await compactVerify(doc.receipt, createLocalJWKSet(trust.jwks), {
      algorithms: ['EdDSA', 'Ed25519'],
    });
    payload = JSON.parse(new TextDecoder().decode(raw)) as ReceiptPayload;
  } catch (e) {
    if (e instanceof ReceiptVerificationError) throw e;
    return fail(`receipt signature does not verify with the published keys (${(e as Error).message})`);
  }
  const leaf = fromBase64(doc.log.leafInput);
  const lh = leafHash(leaf);
  if (toBase64(lh) !== payload.leafHash) fail('leafInput does not hash to the signed leafHash');
  const parsed = parseLeaf(leaf);
  if (parsed.type !== 'densho/cert/v1') fail('leaf is not a certificate leaf');
  const body = parsed.body as { contractNumber: string; version: number; event: string; issuedAt: number };
  if (
    body.contractNumber !== doc.contractNumber ||
    body.contractNumber !== payload.sub ||
    body.version !== doc.version ||
    body.version !== payload.ver ||
    body.event !== doc.event ||
    body.event !== payload.evt ||
    body.issuedAt !== payload.issuedAt ||
    new Date(body.issuedAt).toISOString() !== doc.issuedAt
  ) {
    fail('the leaf, the signed receipt and the document disagree about the certificate event');
  }
  if (doc.log.index !== payload.idx) fail('log index differs from the signed index');
  const root = fromBase64(payload.rootHash);
  const proof = doc.log.inclusionProof.map((p) => fromBase64(p));
  if (!verifyInclusion(payload.idx, payload.treeSize, lh, proof, root)) {
    fail('inclusion proof does not lead to the signed root');
  }
  let cp: Awaited<ReturnType<typeof openCheckpoint>>;
  try {
    cp = await openCheckpoint(doc.log.checkpoint, trust.vkey, trust.origin ?? doc.log.origin);
  } catch (e) {
    return fail(`checkpoint does not verify with the pinned vkey (${(e as Error).message})`);
  }
  if (cp.size !== payload.treeSize || !bytesEqual(cp.root, root)) {
    fail('checkpoint size/root differ from the signed receipt');
  }
  return payload;
}
