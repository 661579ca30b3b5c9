// The Node AtomicWriter for a running server: every atomic write goes to one writer thread with its own SQLite
// connection (see writer-thread.mjs), so the COMMIT's fsync and the inserts no longer stall the event loop.
import { Worker } from 'node:worker_threads';
import type { CompiledQuery } from 'kysely';
import type { AtomicWriter } from '../ports.ts';
import { compactBytes } from './thread-message.ts';

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

type Answer =
  | { id: number; ok: true }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };

/** A write the writer thread refused; `code` is SQLite's (e.g. SQLITE_CONSTRAINT_PRIMARYKEY). Nothing was written. */
export class WriterError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'WriterError';
  }
}

export class ThreadedAtomicWriter implements AtomicWriter {
  /** Called on the main thread after every successful commit (the WAL checkpointer waits for quiet). */
  onCommit: (() => void) | null = null;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | null = null;
  private drained: (() => void) | null = null;

  /** `file` must exist and be migrated: the thread opens it with fileMustExist. */
  constructor(file: string, autocheckpointPages: number) {
    this.worker = new Worker(new URL('./writer-thread.mjs', import.meta.url), {
      workerData: { file, autocheckpointPages },
    });
    // Referenced only while a write is in flight: an idle writer never keeps a CLI process alive, and a pending
    // write always does (its caller is waiting for durability).
    this.worker.unref();
    this.worker.on('message', (answer: Answer | 'closed') => {
      if (answer === 'closed') return;
      const p = this.pending.get(answer.id);
      if (!p) return;
      this.pending.delete(answer.id);
      if (this.pending.size === 0) {
        this.worker.unref();
        this.drained?.();
      }
      if (answer.ok) {
        this.onCommit?.();
        p.resolve();
      } else {
        p.reject(new WriterError(answer.error.message, answer.error.code));
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the SQLite writer thread exited (code ${code})`)));
  }

  run(queries: readonly CompiledQuery[]): Promise<void> {
    if (this.stopped) {
      return Promise.reject(
        new Error(`${this.stopped.message} — nothing was written; restart the server (densho serve)`),
      );
    }
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      // Only the SQL and its values cross the thread boundary (Kysely's query tree stays here).
      this.worker.postMessage({
        id,
        queries: queries.map((q) => ({ sql: q.sql, parameters: q.parameters.map(compactBytes) })),
      });
    });
  }

  /** Waits for the writes in flight, then closes the writer's connection and the thread. */
  async close(): Promise<void> {
    if (this.stopped) return;
    while (this.pending.size > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    this.worker.ref();
    await new Promise<void>((resolve) => {
      this.worker.on('message', (m: unknown) => {
        if (m === 'closed') resolve();
      });
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('close');
    });
    this.stopped = new Error('the SQLite writer is closed');
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    if (this.stopped) return;
    this.stopped = err;
    console.error(`[densho] ${err.message}`);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.drained?.();
  }
}
