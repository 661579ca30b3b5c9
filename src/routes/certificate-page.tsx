// The 保証証書 page as a response: shared by GET /certificates/:no and a 保証確認 that answers with the certificate
// itself (POST /verify from htmx), so both render exactly the same page for the same detail.
import type { Context } from 'hono';
import { type AckFormState, CertificatePage } from '../../views/certificates/certificate.tsx';
import { renderPage } from '../middleware/htmx.ts';
import type { SessionUser, WebEnv } from '../middleware/session.ts';
import type { CertificateDetail } from '../services/certificate-view.ts';

/** domain.md: only orderer organisations hold certificates; auditors may look but not verify or mark (403). */
export const VERIFY_ROLES: SessionUser['role'][] = ['clerk', 'admin'];

/** Clerks and admins of an orderer organisation may mark 受領/返戻 (and verify); auditors only look. */
export function canAct(user: SessionUser): boolean {
  return user.orgKind === 'orderer' && VERIFY_ROLES.includes(user.role);
}

export function certificatePageResponse(
  c: Context<WebEnv>,
  detail: CertificateDetail,
  ackForm: AckFormState,
  status: 200 | 422,
  options: { focusMain?: boolean } = {},
): Response {
  const user = c.get('user') as SessionUser;
  const view = (
    <CertificatePage
      user={user}
      csrfToken={c.get('csrfToken')}
      detail={detail}
      canAcknowledge={canAct(user)}
      ackForm={ackForm}
      focusMain={options.focusMain ?? false}
    />
  );
  return renderPage(c, view, status);
}
