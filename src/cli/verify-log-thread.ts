// verify-log worker body: opens its own read-only connection and verifies the segments the coordinator sends.
import { parentPort, workerData } from 'node:worker_threads';
// better-sqlite3 directly rather than platform/node/sqlite.ts: that one also loads Kysely, and every module a
// worker imports adds to its start-up time (verify-log is read-only and needs none of the write pragmas).
import BetterSqlite3 from 'better-sqlite3';
import { type SegmentTask, verifySegment } from './verify-log-segment.ts';

interface WorkerInit {
  file: string;
  suretyCodes: [number, string][];
}

const init = workerData as WorkerInit;
const db = new BetterSqlite3(init.file, { readonly: true, fileMustExist: true });
const suretyCodes = new Map(init.suretyCodes);

parentPort!.on('message', (task: SegmentTask | null) => {
  if (task === null) {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    const result = verifySegment(db, task, suretyCodes);
    parentPort!.postMessage({ ok: true, result });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message, start: task.start });
  }
});
