// 保証確認: a clerk enters 保証契約番号 + 認証キー; on success the certificate joins the organisation's list.
// Trusts nothing typed: one generic failure for every wrong input, throttled per user / IP / contract number, and
// every attempt is appended durably to the access log BEFORE the caller may answer.
import type { CompiledQuery } from 'kysely';
import type { AppDeps } from '../app.ts';
import { authKeyMatches } from '../domain/auth-key.ts';
import { isValidContractNumber } from '../domain/certificate.ts';
import { findCertificate } from '../repos/certificates.ts';
import { addOrgCertificateQuery, findCertificateForOrg } from '../repos/org-certificates.ts';
import {
  type CertificateDetail,
  foldNumber,
  type RequestMeta,
  recordCertificateView,
  verifiedCertificateDetail,
} from './certificate-view.ts';
import type { ThrottlePolicy } from './throttle.ts';

/** Who may verify: the session user reduced to what the rules need (role checks are the route's job). */
export interface Verifier {
  id: number;
  orgCode: string;
}

export type VerifyOutcome =
  | 'success'
  | 'wrong_key'
  | 'unknown_number'
  | 'foreign_org'
  | 'throttled'
  | 'locked';

export type VerifyResult =
  /** `detail` when the caller asked to show the certificate: its view event is durable too. */
  | { kind: 'found'; contractNumber: string; detail?: CertificateDetail }
  /** Wrong number, wrong key or another organisation's certificate — deliberately indistinguishable. */
  | { kind: 'failed' }
  | { kind: 'throttled'; retryAfterSeconds: number }
  | { kind: 'locked'; retryAfterSeconds: number }
  /** A field was left empty: nothing was looked up, so this is not an attempt. */
  | { kind: 'invalid'; errors: { contractNumber?: string; authKey?: string } };

const MINUTE = 60_000;
/** domain.md: "attempts are throttled per user, per IP and per contract number". */
export const VERIFY_POLICIES = {
  user: { limit: 10, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE },
  ip: { limit: 30, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE },
  contract: { limit: 5, windowMs: 30 * MINUTE, lockMs: 30 * MINUTE },
} as const satisfies Record<string, ThrottlePolicy>;

/**
 * Compared against when the number is unknown, so an unknown number costs the same HMAC and constant-time compare
 * as a known one and response timing does not tell which it was. No real digest is all zeros.
 */
const DUMMY_DIGEST = new Uint8Array(32);

/** 保証契約番号 as clerks type it (full-width, lower-case, spaces, any dash) folded to the stored form. */
export function normalizeContractNumber(input: string): string {
  return foldNumber(input).replace(/\s+/g, '');
}

export async function verifyCertificate(
  deps: AppDeps,
  input: {
    user: Verifier;
    contractNumber: string;
    authKey: string;
    ip: string | null;
    userAgent: string | null;
    requestId: string | null;
    /**
     * Answer with the 保証証書 itself (htmx: one round trip instead of a redirect and a GET). Its view event and
     * "viewed" mark are appended with the grant, in the same group commit, before the result is returned.
     */
    show?: boolean;
  },
): Promise<VerifyResult> {
  const number = normalizeContractNumber(input.contractNumber);
  const errors: { contractNumber?: string; authKey?: string } = {};
  if (number === '') errors.contractNumber = '保証契約番号を入力してください。';
  if (input.authKey.trim() === '') errors.authKey = '認証キーを入力してください。';
  if (errors.contractNumber || errors.authKey) return { kind: 'invalid', errors };

  const meta: RequestMeta = { ip: input.ip, userAgent: input.userAgent, requestId: input.requestId };
  const throttle = deps.throttle;
  const keys = {
    user: `verify:user:${input.user.id}`,
    ip: `verify:ip:${input.ip ?? 'unknown'}`,
    contract: `verify:contract:${number}`,
  };
  // Only a plausible number is kept as the log's target; anything else is noise a clerk (or a script) typed.
  const target = isValidContractNumber(number) ? number : null;
  const record = (
    outcome: VerifyOutcome,
    detail: Record<string, unknown> | null = null,
    writes: readonly CompiledQuery[] = [],
  ) =>
    deps.access.record({
      action: 'certificate.verify',
      outcome,
      actor: `user:${input.user.id}`,
      orgCode: input.user.orgCode,
      target,
      ip: meta.ip,
      userAgent: meta.userAgent,
      requestId: meta.requestId,
      detail,
      writes,
    });

  const now = deps.clock.now();
  const scopes = ['user', 'ip', 'contract'] as const;
  // One read for the three counters; refused in this order (user, then IP, then the number's lock).
  const checks = await throttle.checkMany(
    scopes.map((s) => keys[s]),
    now,
  );
  for (const [i, scope] of scopes.entries()) {
    const check = checks[i]!;
    if (!check.allowed) {
      // A contract-number lock is 'locked'; a user or IP that failed too often is 'throttled'.
      const outcome = scope === 'contract' ? 'locked' : 'throttled';
      await record(outcome, { scope, retryAfterSeconds: check.retryAfterSeconds });
      return { kind: outcome, retryAfterSeconds: check.retryAfterSeconds };
    }
  }

  // The htmx answer is the certificate page: one read serves the check and the page (one read either way, so
  // timing still does not tell an unknown number from a wrong key).
  const forPage =
    target !== null && input.show
      ? await findCertificateForOrg(deps.db, input.user.orgCode, target)
      : undefined;
  const cert = target === null ? undefined : input.show ? forPage : await findCertificate(deps.db, target);
  // Always one HMAC + constant-time compare, whatever the number: timing must not tell unknown from wrong key.
  const keyMatches = authKeyMatches(
    deps.keys.secrets.authKey,
    input.authKey,
    cert?.auth_key_digest ?? DUMMY_DIGEST,
  );
  const outcome: VerifyOutcome = !cert
    ? 'unknown_number'
    : cert.orderer_code !== input.user.orgCode
      ? 'foreign_org'
      : keyMatches
        ? 'success'
        : 'wrong_key';

  if (outcome !== 'success' || !cert) {
    const locks: (keyof typeof VERIFY_POLICIES)[] = [];
    for (const scope of ['user', 'ip', 'contract'] as const) {
      const r = await throttle.fail(keys[scope], now, VERIFY_POLICIES[scope]);
      if (r.lockedNow) locks.push(scope);
    }
    await record(outcome);
    for (const scope of locks) {
      // The lock itself is evidence for auditors: who pushed the number (or the user/IP) over the limit.
      await deps.access.record({
        action: 'verify.lock',
        outcome: 'locked',
        actor: `user:${input.user.id}`,
        orgCode: input.user.orgCode,
        target: scope === 'contract' ? target : null,
        ip: meta.ip,
        userAgent: meta.userAgent,
        requestId: meta.requestId,
        detail: { scope, ...VERIFY_POLICIES[scope] },
      });
    }
    return { kind: 'failed' };
  }

  // Logged before access is granted: the list row (the lasting right to view) commits in the same transaction
  // as the attempt's access event — it exists only if the event is durable (and costs no fsync of its own).
  const grant = addOrgCertificateQuery(deps.db, {
    orgCode: input.user.orgCode,
    contractNumber: cert.contract_number,
    now,
  });
  let detail: CertificateDetail | undefined;
  if (forPage) {
    // Read first (marks as they were before this view), then submit grant and view in this order, synchronously:
    // the view's mark updates the row the grant inserts, and both ride one group commit.
    detail = await verifiedCertificateDetail(deps, input.user, forPage, now);
    await Promise.all([
      record('success', null, [grant]),
      recordCertificateView(deps, input.user, meta, detail),
    ]);
  } else {
    await record('success', null, [grant]);
  }
  // A success clears this user's and this number's failures (never the IP's: an office shares one address
  // with whoever else is guessing behind it) — only those that exist, so the usual success writes nothing here.
  await throttle.resetMany(
    (['user', 'contract'] as const).filter((s) => checks[scopes.indexOf(s)]!.tracked).map((s) => keys[s]),
  );
  return detail
    ? { kind: 'found', contractNumber: cert.contract_number, detail }
    : { kind: 'found', contractNumber: cert.contract_number };
}
