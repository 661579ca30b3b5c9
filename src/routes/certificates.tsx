// Certificate screens: 確認済み保証一覧, 保証証書, one version, its 写し, and 受領/返戻. Any signed-in role may look at its
// own organisation's verified certificates; only clerks and admins of an orderer may mark them (403 otherwise).
import { type Context, Hono } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { type AckFormState, AckPanel, EMPTY_ACK_FORM } from '../../views/certificates/certificate.tsx';
import { CopyPage } from '../../views/certificates/copy.tsx';
import { certificatePath } from '../../views/certificates/format.ts';
import { ListPageView, ListResults, MoreRows } from '../../views/certificates/list.tsx';
import { VersionPage } from '../../views/certificates/version.tsx';
import type { AppDeps } from '../app.ts';
import { PRODUCT_CODES, type ProductCode } from '../domain/certificate.ts';
import { formBody } from '../middleware/form-body.ts';
import { isHtmx, render, renderPage } from '../middleware/htmx.ts';
import { requestMeta, requireUser, type SessionUser, type WebEnv } from '../middleware/session.ts';
import { acknowledge } from '../services/acknowledge.ts';
import {
  type ListFilters,
  listCertificates,
  type Viewer,
  viewCertificate,
  viewCertificateVersion,
} from '../services/certificate-view.ts';
import { canAct, certificatePageResponse, VERIFY_ROLES } from './certificate-page.tsx';
import { errorResponse } from './error-pages.tsx';

const MAX_QUERY = 100;

function viewer(c: Context<WebEnv>): { user: SessionUser; viewer: Viewer } {
  const user = c.get('user') as SessionUser;
  return { user, viewer: { id: user.id, orgCode: user.orgCode } };
}

function listFilters(c: Context<WebEnv>): ListFilters {
  const product = c.req.query('product') ?? '';
  const status = c.req.query('status') ?? '';
  const after = c.req.query('after') ?? '';
  return {
    q: (c.req.query('q') ?? '').slice(0, MAX_QUERY),
    product: (PRODUCT_CODES as readonly string[]).includes(product) ? (product as ProductCode) : null,
    status: status === 'active' || status === 'terminated' ? status : null,
    after: after === '' ? null : after.slice(0, 64),
  };
}

/** An htmx-only answer (the fragment is the whole response). */
function fragmentOnly(c: Context<WebEnv>, view: JSX.Element, status: 200 | 422): Response {
  return render(c, { page: view, fragment: view }, status);
}

/** `:version` is a positive integer; anything else is simply a page that does not exist. */
function versionParam(raw: string): number | null {
  return /^[1-9][0-9]{0,5}$/.test(raw) ? Number(raw) : null;
}

export function certificateRoutes(deps: AppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const anyRole = requireUser();
  const actors = requireUser(VERIFY_ROLES);

  app.get('/certificates', anyRole, async (c) => {
    const { user, viewer: v } = viewer(c);
    const filters = listFilters(c);
    const page = await listCertificates(deps, { viewer: v, filters, meta: requestMeta(c) });
    // htmx asks either for more rows (the "次の20件" link carries `after`) or for new results (the search form).
    const fragment = filters.after ? (
      <MoreRows page={page} filters={filters} />
    ) : (
      <ListResults page={page} filters={filters} />
    );
    return render(c, {
      page: (
        <ListPageView
          user={user}
          csrfToken={c.get('csrfToken')}
          page={page}
          filters={filters}
          canVerify={canAct(user)}
        />
      ),
      fragment,
    });
  });

  async function certificatePage(
    c: Context<WebEnv>,
    contractNumber: string,
    ackForm: AckFormState,
    status: 200 | 422,
  ): Promise<Response> {
    const { viewer: v } = viewer(c);
    // Logged before served: viewCertificate resolves only after the access event is durable.
    const result = await viewCertificate(deps, { viewer: v, contractNumber, meta: requestMeta(c) });
    if (result.kind === 'not-found') return errorResponse(c, 404);
    return certificatePageResponse(c, result.detail, ackForm, status);
  }

  app.get('/certificates/:no', anyRole, (c) => {
    const ack = c.req.query('ack');
    // After the 303 of a no-JS 受領/返戻, the page says what was recorded (POST/redirect/GET).
    const recorded = ack === 'received' || ack === 'returned' ? ack : null;
    return certificatePage(c, c.req.param('no'), { ...EMPTY_ACK_FORM, recorded }, 200);
  });

  /** A version page and its 写し share the lookup, the access event and the 404; only the view differs. */
  const versionPage = (copy: boolean) => async (c: Context<WebEnv>) => {
    const { user, viewer: v } = viewer(c);
    const version = versionParam(c.req.param('version') ?? '');
    if (version === null) return errorResponse(c, 404);
    const result = await viewCertificateVersion(deps, {
      viewer: v,
      contractNumber: c.req.param('no') ?? '',
      version,
      copy,
      meta: requestMeta(c),
    });
    if (result.kind === 'not-found') return errorResponse(c, 404);
    const props = {
      user,
      csrfToken: c.get('csrfToken'),
      detail: result.detail,
      row: result.row,
      entry: result.entry,
    };
    return renderPage(
      c,
      copy ? (
        <CopyPage {...props} origin={deps.config.origin} printedAt={deps.clock.now()} />
      ) : (
        <VersionPage {...props} />
      ),
    );
  };
  app.get('/certificates/:no/versions/:version', anyRole, versionPage(false));
  app.get('/certificates/:no/versions/:version/copy', anyRole, versionPage(true));

  app.post('/certificates/:no/acknowledgements', actors, async (c) => {
    const { user, viewer: v } = viewer(c);
    if (user.orgKind !== 'orderer') return errorResponse(c, 403);
    const contractNumber = c.req.param('no');
    const body = await formBody(c);
    const kind = typeof body.kind === 'string' ? body.kind : '';
    // Bounded before validation; checkReason still refuses anything over 500 characters with a message.
    const reason = typeof body.reason === 'string' ? body.reason.slice(0, 2000) : '';
    const result = await acknowledge(deps, {
      viewer: v,
      contractNumber,
      kind,
      reason,
      meta: requestMeta(c),
    });
    if (result.kind === 'not-found') return errorResponse(c, 404);
    if (result.kind === 'recorded') {
      if (isHtmx(c)) {
        // htmx: swap the panel in place with the new state; the no-JS form gets POST/redirect/GET below.
        return fragmentOnly(
          c,
          <AckPanel
            contractNumber={contractNumber}
            acknowledgements={result.acknowledgements}
            canAcknowledge
            csrfToken={c.get('csrfToken')}
            form={{ ...EMPTY_ACK_FORM, recorded: kind === 'returned' ? 'returned' : 'received' }}
          />,
          200,
        );
      }
      return c.redirect(`${certificatePath(contractNumber)}?ack=${kind}#ack-panel`, 303);
    }
    const form: AckFormState = {
      reason,
      error: result.errors.reason ?? result.errors.kind ?? null,
      recorded: null,
    };
    if (isHtmx(c)) {
      return fragmentOnly(
        c,
        <AckPanel
          contractNumber={contractNumber}
          acknowledgements={result.acknowledgements}
          canAcknowledge
          csrfToken={c.get('csrfToken')}
          form={form}
        />,
        422,
      );
    }
    return certificatePage(c, contractNumber, form, 422);
  });

  return app;
}
