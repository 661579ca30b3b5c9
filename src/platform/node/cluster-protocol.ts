// The messages between the primary (owner of both logs' sequencers) and its HTTP worker processes, over Node's
// cluster IPC channel with 'advanced' serialization (structured clone: Uint8Arrays and nested objects as they are).
import type { RecordedAccess } from '../../services/access-log.ts';
import type {
  IntegrityJob,
  IntegrityStart,
  IntegrityStarter,
  LatestJobs,
  LogName,
} from '../../services/audit-integrity.ts';
import type { IngestOutcome, IngestRequest } from '../../services/ingest-event.ts';
import type { Sequenced, WireAccessEvent } from '../../services/sequenced.ts';

/** What a worker asks the primary; each answer is a Sequenced value (errors cross as values). */
export type Call =
  | { op: 'record'; event: WireAccessEvent }
  | { op: 'ingest'; request: IngestRequest }
  | { op: 'integrity-start'; log: LogName; who: IntegrityStarter }
  | { op: 'integrity-job'; id: string }
  | { op: 'integrity-latest' };

export interface CallResults {
  record: RecordedAccess;
  ingest: IngestOutcome;
  'integrity-start': IntegrityStart;
  'integrity-job': IntegrityJob | null;
  'integrity-latest': LatestJobs;
}

/**
 * Calls and results travel in batches: everything one event-loop turn produced, in one message. One IPC message
 * per call cost more CPU (serialisation, a pipe write, a wake-up of the other process) than the call's own work.
 */
export type WorkerMessage =
  | { t: 'calls'; calls: { id: number; call: Call }[] }
  | { t: 'cpu-usage'; cpu: NodeJS.CpuUsage }
  | { t: 'stopped' };

export type PrimaryMessage =
  | { t: 'results'; results: { id: number; result: Sequenced<unknown> }[] }
  /** Finish the requests in progress, close, exit 0. */
  | { t: 'stop' }
  /** Benchmarks: report this process's CPU time. */
  | { t: 'cpu-usage' };
