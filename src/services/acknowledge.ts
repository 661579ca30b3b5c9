// 受領 / 返戻: an orderer marks a verified certificate received, or returned with a reason; the surety reads the
// marks through GET /api/v1/acknowledgements. Marks are history (append-only); the page shows the latest.
import type { AppDeps } from '../app.ts';
import {
  type AcknowledgementWithUser,
  insertAcknowledgement,
  listAcknowledgementsForOrg,
} from '../repos/acknowledgements.ts';
import { findOrgCertificate } from '../repos/org-certificates.ts';
import type { RequestMeta, Viewer } from './certificate-view.ts';

export type AcknowledgementKind = 'received' | 'returned';

export const REASON_MAX = 500;

/**
 * Same refusal as the certificate text fields (api.md: "control characters are refused"): Unicode Cc, lone
 * surrogates, U+2028/2029 and the bidi controls that make text read differently on screen than it is stored.
 */
const FORBIDDEN_CHAR = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

export type AcknowledgeResult =
  /** `acknowledgements`: this organisation's marks after the new one, newest first (for the re-rendered panel). */
  | { kind: 'recorded'; id: number; acknowledgements: AcknowledgementWithUser[] }
  | { kind: 'not-found' }
  | {
      kind: 'invalid';
      errors: { reason?: string; kind?: string };
      acknowledgements: AcknowledgementWithUser[];
    };

/** The reason as stored (NFC, trimmed), or the message that says how to fix it. */
export function checkReason(raw: string): { ok: true; value: string } | { ok: false; message: string } {
  const value = raw.normalize('NFC').trim();
  if (value === '') return { ok: false, message: '返戻の理由を入力してください。' };
  if ([...value].length > REASON_MAX) {
    return { ok: false, message: `返戻の理由は${REASON_MAX}文字以内で入力してください。` };
  }
  if (FORBIDDEN_CHAR.test(value)) {
    return {
      ok: false,
      message: '返戻の理由に改行や制御文字は使えません。1行の文章で入力してください。',
    };
  }
  return { ok: true, value };
}

/**
 * domain.md: "the orderer may mark a certificate received (受領) or returned with a reason (返戻)". Only for a
 * certificate in the user's organisation's list (otherwise the same not-found as a missing one). The mark is
 * stored first and then logged; the caller answers only after both (a failed log append surfaces as a 500 and the
 * clerk retries — a second mark is harmless, marks are history).
 */
export async function acknowledge(
  deps: AppDeps,
  input: {
    viewer: Viewer;
    contractNumber: string;
    kind: string;
    reason: string;
    meta: RequestMeta;
  },
): Promise<AcknowledgeResult> {
  const { viewer, contractNumber, meta } = input;
  const cert = await findOrgCertificate(deps.db, viewer.orgCode, contractNumber);
  if (!cert) return { kind: 'not-found' };
  const invalid = async (errors: { reason?: string; kind?: string }): Promise<AcknowledgeResult> => ({
    kind: 'invalid',
    errors,
    acknowledgements: await listAcknowledgementsForOrg(deps.db, viewer.orgCode, contractNumber),
  });
  if (input.kind !== 'received' && input.kind !== 'returned') {
    return invalid({ kind: '受領または返戻を選んでください。' });
  }
  let reason: string | null = null;
  if (input.kind === 'returned') {
    const r = checkReason(input.reason);
    if (!r.ok) return invalid({ reason: r.message });
    reason = r.value;
  }
  const id = await insertAcknowledgement(deps.db, {
    contractNumber,
    suretyId: cert.surety_id,
    orgCode: viewer.orgCode,
    userId: viewer.id,
    kind: input.kind,
    reason,
    at: deps.clock.now(),
  });
  await deps.access.record({
    action: 'certificate.acknowledge',
    outcome: input.kind,
    actor: `user:${viewer.id}`,
    orgCode: viewer.orgCode,
    target: contractNumber,
    ip: meta.ip,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
    detail: { id, kind: input.kind, version: cert.versions },
  });
  return {
    kind: 'recorded',
    id,
    acknowledgements: await listAcknowledgementsForOrg(deps.db, viewer.orgCode, contractNumber),
  };
}
