// Surety API v1 (api.md): push events as compact JWS, read own certificates with a bearer JWT, public orderer list.
// JWS/JWT-authenticated, no cookies, so no CSRF. Every error is problem+json and stores nothing.
import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import { parseEventPayload } from '../domain/certificate.ts';
import { limitBodySize } from '../middleware/body-size.ts';
import { findCertificate, listEvents } from '../repos/certificates.ts';
import { listAcceptingOrderers } from '../repos/organisations.ts';
import { SequencerFullError } from '../services/sequencer.ts';
import { verifyBearer, verifyEventJws } from '../services/surety-auth.ts';
import { ClockBehindError } from '../services/trust-log.ts';
import { apiAccessEvents, noteApiCall } from './api-access.ts';
import { acknowledgementApiRoutes } from './api-acknowledgements.ts';
import { problem } from './problem.ts';

/** api.md: request bodies are size-limited (64 KiB for a certificate) → 413. */
export const MAX_EVENT_BYTES = 64 * 1024;

export function apiV1Routes(deps: AppDeps): Hono {
  const app = new Hono();
  app.use('*', apiAccessEvents(deps.access, deps.clientIp));

  app.post(
    '/certificates',
    limitBodySize(MAX_EVENT_BYTES, (c) =>
      problem(c, 413, 'too-large', `本文は ${MAX_EVENT_BYTES} バイト以下にしてください。`),
    ),
    async (c) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/jose') {
        return problem(
          c,
          415,
          'unsupported-media-type',
          'Content-Type: application/jose（compact JWS）で送信してください。',
        );
      }
      // A compact JWS has no whitespace; tolerate a trailing newline from `curl --data @file`.
      // Bytes, then UTF-8: workerd warns when .text() reads a body whose type (application/jose) is not text/*.
      const jws = new TextDecoder().decode(await c.req.arrayBuffer()).replace(/[\r\n]+$/, '');
      const auth = await verifyEventJws(deps.db, deps.verifier, jws);
      if (!auth.ok) return problem(c, auth.status, auth.code, auth.detail);
      noteApiCall(c, { actor: `surety:${auth.suretyCode}`, orgCode: auth.suretyCode, kid: auth.kid });

      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(auth.payload));
      } catch {
        return problem(
          c,
          400,
          'malformed-payload',
          'JWS の payload は UTF-8 の JSON オブジェクトにしてください。',
        );
      }
      const number = (json as { contractNumber?: unknown } | null)?.contractNumber;
      if (typeof number === 'string' && number.length <= 64) noteApiCall(c, { target: number });
      const parsed = parseEventPayload(json);
      if (!parsed.ok) {
        return problem(
          c,
          422,
          'validation',
          '入力内容に誤りがあります。errors の各項目を修正してください。',
          {
            errors: parsed.errors,
          },
        );
      }
      try {
        const outcome = await deps.ingest.submit({
          suretyId: auth.suretyId,
          suretyCode: auth.suretyCode,
          kid: auth.kid,
          jws,
          payload: parsed.value,
        });
        switch (outcome.kind) {
          case 'created':
            c.header('location', `/api/v1/certificates/${encodeURIComponent(outcome.body.contractNumber)}`);
            return c.json(outcome.body, 201, { 'cache-control': 'no-store' });
          case 'replayed':
            return c.json(outcome.body, 200, { 'cache-control': 'no-store' });
          default:
            return problem(c, outcome.status, outcome.code, outcome.detail, {
              ...(outcome.path ? { errors: [{ path: outcome.path, message: outcome.detail }] } : {}),
            });
        }
      } catch (err) {
        if (err instanceof SequencerFullError) {
          return problem(c, 503, 'busy', '混雑しています。Retry-After 秒後に同じ JWS を再送してください。', {
            headers: { 'retry-after': String(err.retryAfterSeconds) },
          });
        }
        if (err instanceof ClockBehindError) {
          console.error(`[densho] ${err.message}`);
          return problem(
            c,
            503,
            'clock-behind',
            'プラットフォームの時刻を確認中です。しばらくしてから同じ JWS を再送してください。',
            {
              headers: { 'retry-after': '30' },
            },
          );
        }
        throw err;
      }
    },
  );

  app.get('/certificates/:contractNumber', async (c) => {
    const auth = await verifyBearer(deps.db, c.req.header('authorization'), {
      audience: deps.config.origin,
      now: deps.clock.now(),
    });
    if (!auth.ok) return problem(c, auth.status, auth.code, auth.detail);
    const number = c.req.param('contractNumber');
    noteApiCall(c, {
      actor: `surety:${auth.suretyCode}`,
      orgCode: auth.suretyCode,
      kid: auth.kid,
      ...(number.length <= 64 ? { target: number } : {}),
    });
    const cert = await findCertificate(deps.db, number);
    if (!cert || cert.surety_id !== auth.suretyId) {
      return problem(c, 404, 'contract-not-found', `保証契約番号 ${number} の保証は登録されていません。`);
    }
    const events = await listEvents(deps.db, number);
    // Logged before served, like every view: the surety gets its certificate only once the read is durable.
    await deps.access.record({
      action: 'api.certificate.read',
      outcome: 'success',
      actor: `surety:${auth.suretyCode}`,
      orgCode: auth.suretyCode,
      target: cert.contract_number,
      ip: deps.clientIp(c),
      userAgent: c.req.header('user-agent') ?? null,
      requestId: (c.get('requestId' as never) as string | undefined) ?? null,
      detail: { status: 200, kid: auth.kid },
    });
    noteApiCall(c, { recorded: true });
    return c.json(
      {
        contractNumber: cert.contract_number,
        product: cert.product,
        ordererCode: cert.orderer_code,
        status: cert.status,
        events: events.map((e) => ({
          version: e.version,
          event: e.event,
          targetVersion: e.target_version,
          eventId: e.event_id,
          issuedAt: new Date(e.issued_at).toISOString(),
          logIndex: e.log_index,
        })),
      },
      200,
      { 'cache-control': 'no-store' },
    );
  });

  app.route('/', acknowledgementApiRoutes(deps));

  app.get('/orderers', async (c) => {
    const rows = await listAcceptingOrderers(deps.db);
    c.header('cache-control', 'public, max-age=60');
    return c.json({
      orderers: rows.map((r) => ({ code: r.code, name: r.name, acceptsSince: r.accepts_since })),
    });
  });

  return app;
}
