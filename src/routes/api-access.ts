// Every surety API call becomes an access event (issue #4): pushes accepted, replayed or rejected (with the
// problem code as the reason), certificate reads and acknowledgement reads, whoever the caller turned out to be.
import type { Context, MiddlewareHandler } from 'hono';
import type { AccessLog } from '../services/access-log.ts';

/** What a handler learned about the call: who it was (once authenticated) and which contract it was about. */
interface CallFacts {
  actor?: string;
  orgCode?: string;
  target?: string;
  kid?: string;
  /** The handler appended its own event (one that must be durable before its response). */
  recorded?: boolean;
}

const facts = new WeakMap<Context, CallFacts>();
const problemCodes = new WeakMap<Context, string>();

/** Handlers call this as soon as they know something about the caller or the target. */
export function noteApiCall(c: Context, update: CallFacts): void {
  facts.set(c, { ...facts.get(c), ...update });
}

/** problem() notes its stable code, which becomes the rejection reason in the event. */
export function noteProblemCode(c: Context, code: string): void {
  problemCodes.set(c, code);
}

/** The action of a surety API call, or null for what is not one (the public orderer list, unknown paths). */
function actionOf(method: string, path: string): string | null {
  if (method === 'POST' && path === '/api/v1/certificates') return 'api.certificate.push';
  if (method === 'GET' && path.startsWith('/api/v1/certificates/')) return 'api.certificate.read';
  if (method === 'GET' && path === '/api/v1/acknowledgements') return 'api.acknowledgements.read';
  return null;
}

function outcomeOf(action: string, status: number): string {
  if (status === 201) return 'accepted';
  if (status === 200) return action === 'api.certificate.push' ? 'replayed' : 'success';
  if (status === 503) return 'busy';
  return 'rejected';
}

/**
 * Records the call after the handler answered. Reads that guard data (a certificate read) record themselves
 * before serving; here the push's event is appended without delaying the receipt — the push itself is already
 * durable in the certs log, and its access event follows in the next access batch. A failure to append is
 * reported on stderr and never turns a committed push into an error.
 */
export function apiAccessEvents(
  access: Pick<AccessLog, 'record'>,
  clientIp: (c: Context) => string | null,
): MiddlewareHandler {
  return async (c, next) => {
    const action = actionOf(c.req.method, c.req.path);
    if (!action) return next();
    await next();
    const f = facts.get(c) ?? {};
    if (f.recorded) return;
    const status = c.res.status;
    const code = problemCodes.get(c);
    access
      .record({
        action,
        outcome: outcomeOf(action, status),
        actor: f.actor ?? null,
        orgCode: f.orgCode ?? null,
        target: f.target ?? null,
        ip: clientIp(c),
        userAgent: c.req.header('user-agent') ?? null,
        requestId: (c.get('requestId' as never) as string | undefined) ?? null,
        detail: { status, ...(code ? { code } : {}), ...(f.kid ? { kid: f.kid } : {}) },
      })
      .catch((err: unknown) => {
        console.error(`[densho] could not append the access event of ${action}: ${(err as Error).message}`);
      });
  };
}
