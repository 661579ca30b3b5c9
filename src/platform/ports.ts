// Ports: the small structural interfaces the runtime-neutral core needs from a runtime (Node or Workers).
import type { CompiledQuery } from 'kysely';

/** Wall clock in milliseconds since the epoch. Injected so tests can move time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Runs compiled queries as ONE atomic unit that is durable when the promise resolves
 * (Node: one better-sqlite3 transaction with synchronous=FULL; D1: one batch()).
 * Rejects, leaving nothing behind, if any statement fails.
 */
export interface AtomicWriter {
  run(queries: readonly CompiledQuery[]): Promise<void>;
}
