// Background WAL checkpoints for the Node runtime. SQLite's automatic checkpoint runs inside the COMMIT that
// crosses the threshold — on the main thread, with an fsync of the database file — which showed up as
// 20–40 ms latency spikes at p99 even at 200 events/s. A worker thread checkpoints instead; the main
// connection keeps a high autocheckpoint as the fallback if the worker ever stops.
import { Worker } from 'node:worker_threads';
import type { SqliteHandle } from './sqlite.ts';

/** Fallback: the writer checkpoints itself only if the WAL passes ~40 MB (10,000 pages of 4 KiB). */
const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

export function startWalCheckpointer(sqlite: SqliteHandle, file: string, intervalMs = 250): WalCheckpointer {
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  const worker = new Worker(new URL('./wal-checkpointer-thread.mjs', import.meta.url), {
    workerData: { file, intervalMs },
  });
  worker.unref();
  worker.on('error', (err) =>
    console.error('[densho] WAL checkpointer stopped; falling back to autocheckpoint:', err),
  );
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once('message', () => void worker.terminate().then(done, done));
        worker.once('exit', done);
        worker.postMessage('stop');
      }),
  };
}
