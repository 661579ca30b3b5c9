// Writer thread: the single SQLite write connection of a Node server. Receives batches of compiled statements,
// runs each batch as ONE IMMEDIATE transaction (synchronous=FULL: the COMMIT's fsync completes before the answer)
// and answers in order. The main thread keeps HTTP, validation and reads while the disk work happens here.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
// Per connection: the idle-time checkpointer does the routine checkpoints; this is only the fallback.
db.pragma(`wal_autocheckpoint = ${workerData.autocheckpointPages}`);
if (db.pragma('synchronous', { simple: true }) !== 2) {
  throw new Error('SQLite refused synchronous=FULL on the writer connection; cannot promise durability');
}

const statements = new Map();
function statement(sql) {
  let st = statements.get(sql);
  if (!st) {
    // A handful of distinct multi-row shapes; bounded so odd sizes can't grow it forever.
    if (statements.size > 512) statements.clear();
    st = db.prepare(sql);
    statements.set(sql, st);
  }
  return st;
}

/** better-sqlite3 binds Buffers (structured clone delivers plain Uint8Arrays) and no booleans. */
function value(v) {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

const runAll = db.transaction((queries) => {
  for (const q of queries) statement(q.sql).run(...q.parameters.map(value));
}).immediate;

parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.postMessage('closed');
    return;
  }
  try {
    runAll(message.queries);
    parentPort.postMessage({ id: message.id, ok: true });
  } catch (err) {
    parentPort.postMessage({
      id: message.id,
      ok: false,
      error: { name: err?.name ?? 'Error', message: err?.message ?? String(err), code: err?.code },
    });
  }
});
