// 保証確認 routes: GET /verify (the form) and POST /verify (number + key → 303 to the certificate). Clerks and
// admins of an orderer organisation only; CSRF is checked by the web router before this runs.
import { type Context, Hono } from 'hono';
import { EMPTY_ACK_FORM } from '../../views/certificates/certificate.tsx';
import { certificatePath } from '../../views/certificates/format.ts';
import { VerifyPage, VerifyPanel, type VerifyViewProps } from '../../views/verify/verify.tsx';
import type { AppDeps } from '../app.ts';
import { formBody } from '../middleware/form-body.ts';
import { render } from '../middleware/htmx.ts';
import { requestMeta, requireUser, type SessionUser, type WebEnv } from '../middleware/session.ts';
import { verifyCertificate } from '../services/verify-certificate.ts';
import { certificatePageResponse, VERIFY_ROLES } from './certificate-page.tsx';
import { errorResponse } from './error-pages.tsx';

/** Typed input is bounded before any work: nothing longer is a number or a key. */
const MAX_INPUT = 64;

function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v.slice(0, MAX_INPUT) : '';
}

function show(c: Context<WebEnv>, user: SessionUser, props: VerifyViewProps, status: 200 | 422 | 429) {
  return render(
    c,
    {
      page: <VerifyPage user={user} csrfToken={c.get('csrfToken')} {...props} />,
      fragment: <VerifyPanel csrfToken={c.get('csrfToken')} {...props} />,
    },
    status,
  );
}

export function verifyRoutes(deps: AppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const guard = requireUser(VERIFY_ROLES);

  app.get('/verify', guard, (c) => {
    const user = c.get('user') as SessionUser;
    if (user.orgKind !== 'orderer') return errorResponse(c, 403);
    return show(c, user, { contractNumber: '', errors: {}, failed: false, retryAfterSeconds: null }, 200);
  });

  app.post('/verify', guard, async (c) => {
    const user = c.get('user') as SessionUser;
    if (user.orgKind !== 'orderer') return errorResponse(c, 403);
    const body = await formBody(c);
    const contractNumber = field(body, 'contractNumber');
    const htmx = c.req.header('hx-request') === 'true';
    // The access event is durable before verifyCertificate returns; if the append fails it throws and the web
    // router's onError answers 500 — nothing about the certificate is served.
    const result = await verifyCertificate(deps, {
      user,
      contractNumber,
      authKey: field(body, 'authKey'),
      ...requestMeta(c),
      // htmx gets the 保証証書 in this answer (one round trip on a slow line); without JS, POST/redirect/GET.
      show: htmx,
    });
    switch (result.kind) {
      case 'found': {
        const location = certificatePath(result.contractNumber);
        if (htmx && result.detail) {
          // The whole page replaces <body> (new title, navigation, breadcrumbs) and the address bar shows the
          // certificate's own URL, exactly as if the clerk had followed the redirect — minus the second request.
          c.header('HX-Retarget', 'body');
          c.header('HX-Reswap', 'innerHTML show:top');
          c.header('HX-Push-Url', location);
          return certificatePageResponse(c, result.detail, EMPTY_ACK_FORM, 200, { focusMain: true });
        }
        return c.redirect(location, 303);
      }
      case 'failed':
        // One message, one status for wrong number / wrong key / another organisation's certificate. The typed
        // number is kept (so only the key is retyped); the key is never sent back.
        return show(c, user, { contractNumber, errors: {}, failed: true, retryAfterSeconds: null }, 422);
      case 'invalid':
        return show(
          c,
          user,
          { contractNumber, errors: result.errors, failed: false, retryAfterSeconds: null },
          422,
        );
      case 'throttled':
      case 'locked':
        c.header('Retry-After', String(result.retryAfterSeconds));
        return show(
          c,
          user,
          { contractNumber, errors: {}, failed: false, retryAfterSeconds: result.retryAfterSeconds },
          429,
        );
    }
  });

  return app;
}
