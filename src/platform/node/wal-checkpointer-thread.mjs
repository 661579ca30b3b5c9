// WAL checkpointer thread: its own SQLite connection copies committed WAL frames into the database file
// (PASSIVE: never blocks the writer), so the copy and its fsync happen off the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = FULL');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next tick tries again; the main connection's autocheckpoint is the fallback.
  }
}, workerData.intervalMs);

parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {}
    db.close();
    parentPort.postMessage('stopped');
  }
});
