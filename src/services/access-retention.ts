// Retention of the clear client IP and user agent in access_events (the operator's record, not log evidence): rows
// older than N days get both set to NULL. The leaves never held them — only `net`, an HMAC of the IP — so every leaf,
// tile and checkpoint stays exactly as it was and the log stays verifiable; the 0001 trigger lets nothing else change.
// Runtime-neutral: reads through Kysely, writes as small atomic units through the AtomicWriter (one statement each,
// so a server appending meanwhile never waits long for the write lock; D1 has no interactive transactions anyway).
import type { Kysely } from 'kysely';
import type { AtomicWriter, Clock } from '../platform/ports.ts';
import { firstIndexAtOrAfter } from '../repos/access-events.ts';
import type { Database } from '../repos/database.ts';

export const RETENTION_DAY_MS = 86_400_000;
/** Rows per write: ~10k keeps each transaction a few milliseconds even at millions of rows. */
export const RETENTION_CHUNK = 10_000;

export interface RetentionResult {
  days: number;
  /** Events at or after this instant keep their IP and user agent. */
  cutoff: number;
  /** Events with log_index below this were in scope (all of them older than the cutoff). */
  belowIndex: number;
  /** Rows that still had an IP or user agent and were cleared now. */
  cleared: number;
}

export async function applyAccessRetention(
  deps: { db: Kysely<Database>; atomic: AtomicWriter; clock: Clock },
  days: number,
  onProgress?: (done: number, of: number) => void,
): Promise<RetentionResult> {
  if (!Number.isSafeInteger(days) || days < 1)
    throw new RangeError(`retention days must be ≥ 1, got ${days}`);
  const { db, atomic } = deps;
  const cutoff = deps.clock.now() - days * RETENTION_DAY_MS;
  // `at` never decreases along the log, so "older than the cutoff" is exactly a log_index prefix.
  let below = await firstIndexAtOrAfter(db, cutoff);
  if (below === null) {
    const last = await db
      .selectFrom('access_events')
      .select('log_index')
      .orderBy('log_index', 'desc')
      .limit(1)
      .executeTakeFirst();
    below = last ? last.log_index + 1 : 0;
  }
  let cleared = 0;
  for (let lo = 0; lo < below; lo += RETENTION_CHUNK) {
    const hi = Math.min(below, lo + RETENTION_CHUNK);
    const held = await db
      .selectFrom('access_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('log_index', '>=', lo)
      .where('log_index', '<', hi)
      .where((eb) => eb.or([eb('ip', 'is not', null), eb('user_agent', 'is not', null)]))
      .executeTakeFirstOrThrow();
    if (held.n > 0) {
      await atomic.run([
        db
          .updateTable('access_events')
          .set({ ip: null, user_agent: null })
          .where('log_index', '>=', lo)
          .where('log_index', '<', hi)
          .where((eb) => eb.or([eb('ip', 'is not', null), eb('user_agent', 'is not', null)]))
          .compile(),
      ]);
      cleared += held.n;
    }
    onProgress?.(hi, below);
  }
  return { days, cutoff, belowIndex: below, cleared };
}
