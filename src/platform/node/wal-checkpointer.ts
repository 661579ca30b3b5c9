// Background WAL checkpoints for the Node runtime. SQLite's automatic checkpoint runs inside the COMMIT that
// crosses the threshold — on the main thread, with an fsync of the database file — which showed up as
// 20–40 ms p99 spikes even at 200 events/s; checkpointing from a thread at a fixed pace instead made the
// disk contention worse (p99 ~190 ms at half load). So a worker thread checkpoints when the writer has been
// idle for IDLE_MS, or when the WAL passes WAL_CAP (sustained load), and the main connection keeps a far
// higher autocheckpoint as the fallback if the worker ever stops.
import { Worker } from 'node:worker_threads';
import type { SqliteHandle } from './sqlite.ts';

export const FALLBACK_AUTOCHECKPOINT_PAGES = 65_536; // ≈ 256 MiB of 4 KiB pages
const WAL_CAP_BYTES = 128 * 1024 * 1024;
const IDLE_MS = 200;

export interface WalCheckpointer {
  /** Tell the checkpointer a commit just happened (it waits for the writer to go quiet). */
  noteCommit(): void;
  stop(): Promise<void>;
}

export function startWalCheckpointer(sqlite: SqliteHandle, file: string, intervalMs = 100): WalCheckpointer {
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  const activity = new SharedArrayBuffer(8);
  const lastCommit = new Float64Array(activity);
  lastCommit[0] = Date.now();
  const worker = new Worker(new URL('./wal-checkpointer-thread.mjs', import.meta.url), {
    workerData: { file, intervalMs, idleMs: IDLE_MS, walCapBytes: WAL_CAP_BYTES, activity },
  });
  worker.unref();
  worker.on('error', (err) =>
    console.error('[densho] WAL checkpointer stopped; falling back to autocheckpoint:', err),
  );
  return {
    noteCommit: () => {
      lastCommit[0] = Date.now();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once('message', () => void worker.terminate().then(done, done));
        worker.once('exit', done);
        worker.postMessage('stop');
      }),
  };
}
