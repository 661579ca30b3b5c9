// Access log: every view, attempt, login, export and admin action as a leaf in the `access` Merkle log,
// group-committed through the same TrustLog as certificates. `record` resolves only once the event is durable,
// so a caller that awaits it before serving a page has "logged before served".
import type { CompiledQuery, Kysely } from 'kysely';
import { hmacSha256, toBase64, utf8 } from '../domain/bytes.ts';
import { accessLeaf } from '../domain/leaf.ts';
import { insertAccessEventQuery } from '../repos/access-events.ts';
import type { Database } from '../repos/database.ts';
import { GroupCommitter } from './sequencer.ts';
import type { LogEntryDraft, TrustLog } from './trust-log.ts';

export interface AccessEventInput {
  action: string;
  outcome: string;
  /** Opaque actor id: `user:<id>`, `surety:<code>`, `operator:<login>` … or null when unknown. */
  actor: string | null;
  orgCode?: string | null;
  /** Contract number the event is about, or null. */
  target?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  /** Free-form JSON detail for auditors (never secrets). */
  detail?: Record<string, unknown> | null;
  /**
   * Domain writes that must exist only if this event does (the list row a successful 保証確認 grants, the
   * "viewed" mark of a certificate page). They commit in the SAME transaction as the event — so "logged before
   * granted" holds atomically — and ride its group commit instead of paying an fsync of their own per request.
   * They must not be able to fail on valid input: a failing write rolls back the whole batch it is in.
   */
  writes?: readonly CompiledQuery[];
}

/** The leaf's `net`: base64 HMAC-SHA-256 of the client IP under the server's net secret (also: does a row's IP match?). */
export function netOf(secret: Uint8Array, ip: string | null | undefined): string {
  return toBase64(hmacSha256(secret, utf8(`densho/net/v1\n${ip ?? ''}`)));
}

export interface RecordedAccess {
  index: number;
  at: number;
}

/**
 * netOf with the last addresses remembered. An office's clerks share one address and a surety's pushes come from
 * a few, so nearly every event finds its HMAC here instead of computing it again (a 保証確認 records two events).
 * Bounded: the map is dropped whole when full — cheaper than LRU bookkeeping, and a refill costs one HMAC each.
 */
export function memoizedNetOf(secret: Uint8Array, size = 1024): (ip: string | null | undefined) => string {
  const memo = new Map<string, string>();
  return (ip) => {
    const key = ip ?? '';
    let net = memo.get(key);
    if (net === undefined) {
      net = netOf(secret, ip);
      if (memo.size >= size) memo.clear();
      memo.set(key, net);
    }
    return net;
  };
}

export class AccessLog {
  private readonly committer: GroupCommitter<AccessEventInput, RecordedAccess>;
  private readonly netOf: (ip: string | null | undefined) => string;

  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      log: TrustLog;
      netSecret: Uint8Array;
      sequencer?: { maxPending?: number; maxBatch?: number; maxDelayMs?: number };
    },
  ) {
    this.netOf = memoizedNetOf(deps.netSecret);
    this.committer = new GroupCommitter({
      maxPending: deps.sequencer?.maxPending ?? 8192,
      maxBatch: deps.sequencer?.maxBatch ?? 512,
      maxDelayMs: deps.sequencer?.maxDelayMs ?? 0,
      process: async (items) => (await deps.log.append(items.map((e) => this.draft(e)))).results,
    });
  }

  get log(): TrustLog {
    return this.deps.log;
  }

  record(event: AccessEventInput): Promise<RecordedAccess> {
    return this.committer.submit(event);
  }

  close(): Promise<void> {
    return this.committer.close();
  }

  /** HMAC of the client IP under the server secret: the leaf never carries the raw address. */
  net(ip: string | null | undefined): string {
    return this.netOf(ip);
  }

  private draft(e: AccessEventInput): LogEntryDraft<RecordedAccess> {
    const net = this.net(e.ip);
    return {
      leaf: (_index, at) =>
        accessLeaf({
          action: e.action,
          actor: e.actor,
          at,
          net,
          outcome: e.outcome,
          target: e.target ?? null,
        }),
      finish: (ctx) => ({
        writes: [
          insertAccessEventQuery(this.deps.db, {
            log_index: ctx.index,
            at: ctx.timestamp,
            action: e.action,
            outcome: e.outcome,
            actor: e.actor,
            org_code: e.orgCode ?? null,
            target: e.target ?? null,
            net,
            ip: e.ip ?? null,
            user_agent: e.userAgent ? e.userAgent.slice(0, 512) : null,
            request_id: e.requestId ?? null,
            detail: e.detail ? JSON.stringify(e.detail) : null,
          }),
          ...(e.writes ?? []),
        ],
        result: { index: ctx.index, at: ctx.timestamp },
      }),
    };
  }
}
