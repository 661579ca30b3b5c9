// Throttles: all Kysely code for the throttles table — failure counters with lockout (services/throttle.ts).
import { type Kysely, sql } from 'kysely';
import type { Database, ThrottleRow } from './database.ts';
import { preparedQuery } from './prepared.ts';

export function findThrottle(db: Kysely<Database>, key: string): Promise<ThrottleRow | undefined> {
  return db.selectFrom('throttles').selectAll().where('key', '=', key).executeTakeFirst();
}

const threeThrottles = preparedQuery((db, a: string, b: string, c: string) =>
  db.selectFrom('throttles').selectAll().where('key', 'in', [a, b, c]),
);

/** Several keys in one read (保証確認 checks user, IP and contract number on every attempt: prepared for three). */
export function findThrottles(db: Kysely<Database>, keys: readonly string[]): Promise<ThrottleRow[]> {
  if (keys.length === 3) return threeThrottles(db, keys[0]!, keys[1]!, keys[2]!);
  return db
    .selectFrom('throttles')
    .selectAll()
    .where('key', 'in', [...keys])
    .execute();
}

/**
 * Count one failure and lock the key once `limit` failures fall inside one window — as ONE statement
 * (an upsert with RETURNING), because D1 has no interactive transactions and two processes may count the
 * same key at once. A fixed window: the first failure after `windowMs` starts a new count. Locking resets
 * the count, so after the lock ends the key gets a fresh `limit` attempts. lockMs = 0 disables locking.
 */
export async function recordThrottleFailure(
  db: Kysely<Database>,
  key: string,
  now: number,
  policy: { limit: number; windowMs: number; lockMs: number },
): Promise<{ failures: number; lockedUntil: number }> {
  const lockUntil = now + policy.lockMs;
  const canLock = policy.lockMs > 0;
  const lockOnFirst = canLock && policy.limit <= 1;
  const expired = sql<boolean>`(${now} - window_start >= ${policy.windowMs})`;
  const next = sql<number>`(CASE WHEN ${expired} THEN 1 ELSE failures + 1 END)`;
  const locks = canLock ? sql<boolean>`(${next} >= ${policy.limit})` : sql<boolean>`0`;
  const row = await db
    .insertInto('throttles')
    .values({
      key,
      failures: lockOnFirst ? 0 : 1,
      window_start: now,
      locked_until: lockOnFirst ? lockUntil : 0,
    })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        // SQLite evaluates every SET expression against the old row, so `next` means the same in all three.
        failures: sql<number>`CASE WHEN ${locks} THEN 0 ELSE ${next} END`,
        window_start: sql<number>`CASE WHEN ${expired} OR ${locks} THEN ${now} ELSE window_start END`,
        locked_until: sql<number>`CASE WHEN ${locks} THEN ${lockUntil} ELSE locked_until END`,
      }),
    )
    .returning(['failures', 'locked_until'])
    .executeTakeFirstOrThrow();
  return { failures: row.failures, lockedUntil: row.locked_until };
}

export async function deleteThrottle(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('throttles').where('key', '=', key).execute();
}

export async function deleteThrottles(db: Kysely<Database>, keys: readonly string[]): Promise<void> {
  await db
    .deleteFrom('throttles')
    .where('key', 'in', [...keys])
    .execute();
}

/** Housekeeping: drop counters whose window started before `before` and that are not locked at `now`. */
export async function pruneThrottles(db: Kysely<Database>, before: number, now: number): Promise<number> {
  const r = await db
    .deleteFrom('throttles')
    .where('window_start', '<', before)
    .where('locked_until', '<=', now)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
