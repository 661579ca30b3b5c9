// Surety API: GET /api/v1/acknowledgements?since=<cursor> — 受領/返戻 marks on the calling surety's certificates.
// Trusts only the bearer JWT (verifyBearer); cookie-free, so no CSRF. Every read is an access event.
import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import { listAcknowledgementsForSurety } from '../repos/acknowledgements.ts';
import { verifyBearer } from '../services/surety-auth.ts';
import { noteApiCall } from './api-access.ts';
import { problem } from './problem.ts';

/** api.md: "oldest first, with a cursor for the next call"; one page is at most this many marks. */
export const ACKNOWLEDGEMENTS_PAGE = 100;

/** The cursor is the id of the last mark already read: a decimal integer, "0" (or absent) for the start. */
const CURSOR_RE = /^(?:0|[1-9][0-9]{0,14})$/;

export function acknowledgementApiRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  app.get('/acknowledgements', async (c) => {
    const auth = await verifyBearer(deps.db, c.req.header('authorization'), {
      audience: deps.config.origin,
      now: deps.clock.now(),
    });
    if (!auth.ok) return problem(c, auth.status, auth.code, auth.detail);
    noteApiCall(c, { actor: `surety:${auth.suretyCode}`, orgCode: auth.suretyCode, kid: auth.kid });
    const raw = c.req.query('since') ?? '0';
    if (!CURSOR_RE.test(raw)) {
      return problem(
        c,
        400,
        'bad-cursor',
        'since には前回の応答の next の値（0 以上の整数）をそのまま指定してください。最初は省略するか 0 にしてください。',
        { errors: [{ path: 'since', message: 'since は 0 以上の整数にしてください。' }] },
      );
    }
    const since = Number(raw);
    const rows = await listAcknowledgementsForSurety(deps.db, auth.suretyId, since, ACKNOWLEDGEMENTS_PAGE);
    // Logged before served: the surety gets the marks only once the read is durable in the access log.
    await deps.access.record({
      action: 'api.acknowledgements.read',
      outcome: 'success',
      actor: `surety:${auth.suretyCode}`,
      orgCode: auth.suretyCode,
      target: null,
      ip: deps.clientIp(c),
      userAgent: c.req.header('user-agent') ?? null,
      requestId: (c.get('requestId' as never) as string | undefined) ?? null,
      detail: { since, count: rows.length },
    });
    noteApiCall(c, { recorded: true });
    const next = rows.length > 0 ? rows[rows.length - 1]!.id : since;
    return c.json(
      {
        acknowledgements: rows.map((r) => ({
          id: r.id,
          contractNumber: r.contract_number,
          ordererCode: r.org_code,
          kind: r.kind,
          reason: r.reason,
          at: new Date(r.at).toISOString(),
        })),
        next: String(next),
      },
      200,
      { 'cache-control': 'no-store' },
    );
  });

  return app;
}
