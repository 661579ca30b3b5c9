// Surety authentication: compact JWS events and bearer JWTs signed by a registered surety key.
// Trusts only the surety_keys table (public JWKs registered by the operator); never holds a private key.
import { decodeProtectedHeader, importJWK, errors as joseErrors, jwtVerify } from 'jose';
import type { Kysely } from 'kysely';
import { fromBase64Url, fromUtf8, utf8 } from '../domain/bytes.ts';
import type { SignatureVerifier } from '../platform/ports.ts';
import type { Database } from '../repos/database.ts';
import { findSuretyKey, type SuretyKeyWithOrg, useJti } from '../repos/surety-keys.ts';

export const EVENT_TYP = 'densho-event+jws';
/** api.md: bearer `exp` at most 5 minutes ahead. A little slack for clock drift between surety and platform. */
const MAX_BEARER_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 30;

export type AuthFailure = { ok: false; status: 400 | 401; code: string; detail: string };
export type SuretyIdentity = { suretyId: number; suretyCode: string; kid: string };

const ALGS: Record<'EdDSA' | 'ES256', string[]> = { EdDSA: ['EdDSA', 'Ed25519'], ES256: ['ES256'] };

/**
 * Key rows are cached for KEY_TTL_MS: every request otherwise queues a query on the single SQLite connection in
 * front of the sequencer's reads. Consequence, documented for operators: a revocation (or a new key) takes
 * effect within one second.
 */
const KEY_TTL_MS = 1_000;
const rowCache = new Map<string, { row: SuretyKeyWithOrg | undefined; at: number }>();

async function lookupKey(db: Kysely<Database>, kid: string): Promise<SuretyKeyWithOrg | undefined> {
  const now = Date.now();
  const hit = rowCache.get(kid);
  if (hit && now - hit.at < KEY_TTL_MS) return hit.row;
  const row = await findSuretyKey(db, kid);
  if (rowCache.size > 10_000) rowCache.clear(); // unknown kids can't grow it without bound
  rowCache.set(kid, { row, at: now });
  return row;
}

/** Imported CryptoKeys by kid and JWK text (a re-registered kid with another JWK is imported afresh). */
const keyCache = new Map<string, { jwk: string; key: CryptoKey }>();

async function cryptoKeyFor(row: SuretyKeyWithOrg): Promise<CryptoKey> {
  const hit = keyCache.get(row.kid);
  if (hit && hit.jwk === row.public_jwk) return hit.key;
  const key = (await importJWK(
    JSON.parse(row.public_jwk) as JsonWebKey,
    row.alg === 'EdDSA' ? 'Ed25519' : 'ES256',
  )) as CryptoKey;
  if (keyCache.size > 10_000) keyCache.clear();
  keyCache.set(row.kid, { jwk: row.public_jwk, key });
  return key;
}

function fail(status: 400 | 401, code: string, detail: string): AuthFailure {
  return { ok: false, status, code, detail };
}

/** Resolve the key named by the header: unknown, revoked or wrong-alg keys are all 401 with a precise reason. */
async function resolveKey(
  db: Kysely<Database>,
  header: { kid?: unknown; alg?: unknown },
): Promise<
  { ok: true; row: SuretyKeyWithOrg; jwk: JsonWebKey; key: CryptoKey; algs: string[] } | AuthFailure
> {
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 200) {
    return fail(401, 'unknown-key', 'JWS の protected header に登録済みの kid を指定してください。');
  }
  const row = await lookupKey(db, header.kid);
  if (!row)
    return fail(
      401,
      'unknown-key',
      `kid ${header.kid} は登録されていません。運営者に公開鍵の登録を依頼してください。`,
    );
  if (row.revoked_at !== null)
    return fail(401, 'revoked-key', `kid ${header.kid} は失効しています。有効な鍵で署名してください。`);
  const algs = ALGS[row.alg];
  if (typeof header.alg !== 'string' || !algs.includes(header.alg)) {
    return fail(
      401,
      'wrong-alg',
      `kid ${header.kid} の鍵では alg ${algs.join(' または ')} を使ってください。`,
    );
  }
  return { ok: true, row, jwk: JSON.parse(row.public_jwk) as JsonWebKey, key: await cryptoKeyFor(row), algs };
}

/**
 * Verify a compact JWS event (RFC 7515 §7.1, parsed strictly here so the signature check can be the runtime's
 * fastest: see SignatureVerifier). On success returns the surety and the payload bytes (not yet parsed).
 */
export async function verifyEventJws(
  db: Kysely<Database>,
  verifier: SignatureVerifier,
  jws: string,
): Promise<({ ok: true; payload: Uint8Array } & SuretyIdentity) | AuthFailure> {
  const parts = jws.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) {
    return fail(400, 'malformed-jws', '本文は compact JWS（header.payload.signature）にしてください。');
  }
  const [h, pl, sg] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let payload: Uint8Array;
  let signature: Uint8Array;
  try {
    const parsed: unknown = JSON.parse(fromUtf8(fromBase64Url(h)));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    header = parsed as Record<string, unknown>;
    payload = fromBase64Url(pl);
    signature = fromBase64Url(sg);
  } catch {
    return fail(
      400,
      'malformed-jws',
      'JWS の各部分を読めません。base64url（パディングなし）で、header は JSON オブジェクトにしてください。',
    );
  }
  if (header.typ !== EVENT_TYP) {
    return fail(400, 'wrong-typ', `JWS の protected header の typ を "${EVENT_TYP}" にしてください。`);
  }
  // RFC 7515 §4.1.11: a header we don't understand under `crit` must be refused; `b64: false` would change
  // what is signed — we support neither.
  if (header.crit !== undefined || header.b64 !== undefined) {
    return fail(400, 'unsupported-crit', 'crit / b64 ヘッダーには対応していません。');
  }
  const k = await resolveKey(db, header);
  if (!k.ok) return k;
  const ok = await verifier.verify(k.row.alg, k.jwk, utf8(`${h}.${pl}`), signature);
  if (!ok) {
    return fail(
      401,
      'bad-signature',
      '署名を検証できません。登録済みの鍵で、送信するバイト列そのものに署名してください。',
    );
  }
  return { ok: true, payload, suretyId: k.row.surety_id, suretyCode: k.row.surety_code, kid: k.row.kid };
}

/**
 * Verify `Authorization: Bearer <JWT>` for surety reads: signed by a registered key, iss = surety code,
 * aud = platform origin, exp ≤ 5 min ahead, jti never seen before.
 */
export async function verifyBearer(
  db: Kysely<Database>,
  authorization: string | undefined,
  opts: { audience: string; now: number },
): Promise<({ ok: true } & SuretyIdentity) | AuthFailure> {
  const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!m)
    return fail(
      401,
      'missing-bearer',
      'Authorization: Bearer <登録済みの鍵で署名した JWT> を付けてください。',
    );
  const token = m[1]!;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail(401, 'malformed-bearer', 'Bearer トークンの header を読めません。');
  }
  const k = await resolveKey(db, header);
  if (!k.ok) return k;
  try {
    const { payload } = await jwtVerify(token, k.key, {
      algorithms: k.algs,
      audience: opts.audience,
      issuer: k.row.surety_code,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(opts.now),
    });
    const nowS = Math.floor(opts.now / 1000);
    if ((payload.exp ?? 0) > nowS + MAX_BEARER_LIFETIME_S + CLOCK_TOLERANCE_S) {
      return fail(401, 'bearer-too-long', 'Bearer トークンの exp は発行から 5 分以内にしてください。');
    }
    const jti = String(payload.jti);
    if (jti.length === 0 || jti.length > 200)
      return fail(401, 'bad-jti', 'jti は 1〜200 文字にしてください。');
    if (!(await useJti(db, `${k.row.surety_id}:${jti}`, payload.exp ?? nowS, opts.now))) {
      return fail(
        401,
        'replayed-bearer',
        'この Bearer トークン（jti）は既に使われています。リクエストごとに新しい jti を付けてください。',
      );
    }
    return { ok: true, suretyId: k.row.surety_id, suretyCode: k.row.surety_code, kid: k.row.kid };
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired)
      return fail(401, 'expired-bearer', 'Bearer トークンの有効期限が切れています。');
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      return fail(
        401,
        'bad-claims',
        `Bearer トークンの ${e.claim} が正しくありません（iss は保証会社コード、aud はプラットフォームのオリジン）。`,
      );
    }
    return fail(401, 'bad-signature', 'Bearer トークンの署名を検証できません。');
  }
}
