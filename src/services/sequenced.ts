// Calls to the one process that appends to the logs, from processes that only serve HTTP: the Workers fetch
// isolates (to the LogSequencer Durable Object, over RPC) and the Node HTTP worker processes (to the primary, over
// the cluster IPC channel). Outcomes cross as values, and the caller rethrows its own error classes: an exception
// would lose its class on the way (the routes map SequencerFullError and ClockBehindError to 503 + Retry-After).
import { CompiledQuery } from 'kysely';
import type { AccessEventInput } from './access-log.ts';
import { SequencerFullError } from './sequencer.ts';
import { ClockBehindError } from './trust-log.ts';

/** `failed`: the batch rolled back, nothing was stored. */
export type Sequenced<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'busy'; retryAfterSeconds: number }
  | { kind: 'clock-behind'; message: string }
  | { kind: 'failed'; message: string };

/** Run a sequencer call on the appending side and turn its outcome into a value. */
export async function sequenced<T>(run: () => Promise<T>): Promise<Sequenced<T>> {
  try {
    return { kind: 'ok', value: await run() };
  } catch (err) {
    if (err instanceof SequencerFullError) return { kind: 'busy', retryAfterSeconds: err.retryAfterSeconds };
    if (err instanceof ClockBehindError) return { kind: 'clock-behind', message: err.message };
    return { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
}

/** On the calling side: the value, or the error the routes already know how to answer. */
export function unwrapSequenced<T>(r: Sequenced<T>): T {
  if (r.kind === 'ok') return r.value;
  if (r.kind === 'busy') throw new SequencerFullError(r.retryAfterSeconds);
  if (r.kind === 'clock-behind') throw new ClockBehindError(r.message);
  throw new Error(`the sequencer could not commit the batch (nothing was stored): ${r.message}`);
}

/** A compiled query as it crosses a process boundary: only what SQLite binds (Kysely's node tree stays behind). */
export interface WireQuery {
  sql: string;
  parameters: unknown[];
}

export type WireAccessEvent = Omit<AccessEventInput, 'writes'> & { writes?: WireQuery[] };

export function toWireAccessEvent(event: AccessEventInput): WireAccessEvent {
  const { writes, ...rest } = event;
  return writes
    ? { ...rest, writes: writes.map((q) => ({ sql: q.sql, parameters: [...q.parameters] })) }
    : rest;
}

export function fromWireAccessEvent(event: WireAccessEvent): AccessEventInput {
  const { writes, ...rest } = event;
  return writes ? { ...rest, writes: writes.map((q) => CompiledQuery.raw(q.sql, q.parameters)) } : rest;
}
