// Throttle: failure counting with lockout for login and 保証確認, stored in the database so it holds across
// processes and Workers isolates. Trusts only the caller's key and clock; keys carry what is being guarded:
// `login:user:<login>`, `login:ip:<ip>`, `verify:user:<id>`, `verify:ip:<ip>`, `verify:contract:<no>`.
import type { Kysely } from 'kysely';
import type { Database, ThrottleRow } from '../repos/database.ts';
import {
  deleteThrottle,
  deleteThrottles,
  findThrottle,
  findThrottles,
  recordThrottleFailure,
} from '../repos/throttles.ts';

export interface ThrottlePolicy {
  /** Failures inside one window that lock the key. */
  limit: number;
  windowMs: number;
  /** How long the key stays locked once `limit` is reached (0: never lock). */
  lockMs: number;
}

export type ThrottleCheck =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number; locked: boolean };

/** check() of one key among several: `tracked` says the key has a count or a lock (reset has work to do). */
export type TrackedThrottleCheck = ThrottleCheck & { tracked: boolean };

export interface Throttle {
  /** Is an attempt on `key` allowed now? Call before doing the (expensive, guessable) work. */
  check(key: string, now: number): Promise<ThrottleCheck>;
  /** check() for several keys in ONE read, in the order given (保証確認: user, IP, contract number). */
  checkMany(keys: readonly string[], now: number): Promise<TrackedThrottleCheck[]>;
  /** Count a failed attempt; `lockedNow` is true when this failure locked the key. */
  fail(key: string, now: number, policy: ThrottlePolicy): Promise<{ lockedNow: boolean }>;
  /** Forget the key's failures (after a success on a per-account key — never on a per-IP key). */
  reset(key: string): Promise<void>;
  /** reset() for several keys in one statement (nothing to do for an empty list). */
  resetMany(keys: readonly string[]): Promise<void>;
}

/** Keys are bounded so a long login or header can't bloat the table; the tail is irrelevant to a guesser. */
const MAX_KEY = 300;

function judge(row: ThrottleRow | undefined, now: number): ThrottleCheck {
  if (!row || row.locked_until <= now) return { allowed: true };
  // Every refusal is a lockout reached through `limit` failures (there are no plain rate limits yet).
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil((row.locked_until - now) / 1000)),
    locked: true,
  };
}

export function createThrottle(db: Kysely<Database>): Throttle {
  const bound = (key: string) => key.slice(0, MAX_KEY);
  return {
    async check(key, now) {
      return judge(await findThrottle(db, bound(key)), now);
    },
    async checkMany(keys, now) {
      const rows = new Map((await findThrottles(db, keys.map(bound))).map((r) => [r.key, r]));
      return keys.map((k) => {
        const row = rows.get(bound(k));
        return { ...judge(row, now), tracked: row !== undefined };
      });
    },
    async fail(key, now, policy) {
      const r = await recordThrottleFailure(db, bound(key), now, policy);
      return { lockedNow: policy.lockMs > 0 && r.lockedUntil === now + policy.lockMs };
    },
    reset(key) {
      return deleteThrottle(db, bound(key));
    },
    async resetMany(keys) {
      if (keys.length > 0) await deleteThrottles(db, keys.map(bound));
    },
  };
}
