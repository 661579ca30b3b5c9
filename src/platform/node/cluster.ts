// Serving with HTTP worker processes (DENSHO_HTTP_WORKERS=N > 0): this process keeps everything that must be one —
// both logs' sequencers and the writer, the startup self-check, the recompute jobs, the lock — and N forked workers
// (platform/node/http-worker.ts) serve HTTP on the shared port (Node's cluster: this process accepts and hands the
// connections round-robin). Why: one event loop carries the whole HTTP side of a request (parsing, sessions, SQL
// reads, rendering), and a machine's other cores sat idle; appends stay in one place, so the logs' guarantees
// (contiguous indices, non-decreasing times, one signed checkpoint per batch) do not change.
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config.ts';
import { fromWireAccessEvent, type Sequenced, sequenced } from '../../services/sequenced.ts';
import type { Call, PrimaryMessage, WorkerMessage } from './cluster-protocol.ts';
import type { NodeRuntime } from './runtime.ts';

const WORKER_ENTRY = fileURLToPath(new URL('./http-worker.ts', import.meta.url));
/** A worker that has not finished its requests this long after 'stop' is killed (its clients see a reset). */
const STOP_TIMEOUT_MS = 15_000;
/** A worker that dies (not asked to) is replaced after this pause; a crash loop then costs little. */
const RESTART_DELAY_MS = 1_000;

export interface WorkerPool {
  port: number;
  /** CPU time of this process and every worker, µs (benchmarks: per-request cost over all processes). */
  cpuMicros(): Promise<number>;
  /** Let the workers finish their requests and exit; this process's runtime stays open (the caller closes it). */
  stop(): Promise<void>;
}

/** How a forked worker loads TypeScript: the primary's own loader flags, or tsx's when it registered tsx by API. */
function workerExecArgv(): string[] {
  const own = process.execArgv.filter((a) => !a.startsWith('--inspect'));
  return own.some((a) => a.includes('tsx')) ? own : [...own, '--import', import.meta.resolve('tsx')];
}

function answer(runtime: NodeRuntime, call: Call): Promise<Sequenced<unknown>> {
  switch (call.op) {
    case 'record':
      return sequenced(() => runtime.access.record(fromWireAccessEvent(call.event)));
    case 'ingest':
      return sequenced(() => runtime.ingest.submit(call.request));
    case 'integrity-start':
      return sequenced(() => runtime.integrity.start(call.log, call.who));
    case 'integrity-job':
      return sequenced(() => runtime.integrity.get(call.id));
    case 'integrity-latest':
      return sequenced(() => runtime.integrity.latest());
  }
}

export async function startWorkerPool(
  config: Config,
  runtime: NodeRuntime,
  count: number,
): Promise<WorkerPool> {
  if (!cluster.isPrimary) throw new Error('HTTP workers are started from the primary process only');
  cluster.setupPrimary({ exec: WORKER_ENTRY, execArgv: workerExecArgv(), serialization: 'advanced' });
  const env = {
    HOST: config.host,
    PORT: String(config.port),
    DENSHO_DATA_DIR: config.dataDir,
    DENSHO_ORIGIN: config.origin,
    DENSHO_ACCESS_RETENTION_DAYS: String(config.accessRetentionDays),
    DENSHO_HTTP_WORKERS: '0',
  };
  const workers = new Set<Worker>();
  const cpuWaiters = new Map<Worker, (cpu: NodeJS.CpuUsage) => void>();
  let stopping = false;

  const fork = (): Worker => {
    const worker = cluster.fork(env);
    workers.add(worker);
    // Results that are ready in the same turn of the event loop (a group commit answers many) go back together.
    let outbox: { id: number; result: Sequenced<unknown> }[] = [];
    const flush = () => {
      const results = outbox;
      outbox = [];
      if (worker.isConnected()) worker.send({ t: 'results', results } satisfies PrimaryMessage);
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.t === 'calls') {
        for (const { id, call } of m.calls) {
          void answer(runtime, call).then((result) => {
            if (outbox.push({ id, result }) === 1) setImmediate(flush);
          });
        }
      } else if (m.t === 'cpu-usage') {
        cpuWaiters.get(worker)?.(m.cpu);
        cpuWaiters.delete(worker);
      }
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      cpuWaiters.get(worker)?.({ user: 0, system: 0 });
      cpuWaiters.delete(worker);
      if (stopping) return;
      console.error(
        `[densho] HTTP worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another in ${RESTART_DELAY_MS / 1000} s`,
      );
      setTimeout(() => {
        if (stopping) return;
        const replacement = fork();
        replacement.once('listening', () => {
          console.error(
            `[densho] HTTP worker ${replacement.process.pid} serving in place of ${worker.process.pid}`,
          );
        });
      }, RESTART_DELAY_MS).unref();
    });
    return worker;
  };

  // Start them all and wait until each listens; a worker that dies first fails the start with its exit status.
  const started = Array.from({ length: count }, () => fork());
  let port: number;
  try {
    const ports = await Promise.all(
      started.map(
        (worker) =>
          new Promise<number>((resolve, reject) => {
            const onExit = (code: number | null, signal: string | null) =>
              reject(
                new Error(
                  `an HTTP worker stopped while starting (${signal ?? `code ${code}`}); its error is printed above`,
                ),
              );
            worker.once('exit', onExit);
            worker.once('listening', (address) => {
              worker.off('exit', onExit);
              resolve(address.port);
            });
          }),
      ),
    );
    port = ports[0] ?? config.port;
  } catch (err) {
    stopping = true;
    for (const w of workers) w.process.kill('SIGKILL');
    throw err;
  }

  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      [...workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (worker.isConnected()) worker.send({ t: 'stop' } satisfies PrimaryMessage);
            else worker.process.kill('SIGKILL');
          }),
      ),
    );
  };

  const cpuMicros = async (): Promise<number> => {
    const asked = [...workers].filter((w) => w.isConnected());
    const usages = await Promise.all(
      asked.map(
        (worker) =>
          new Promise<NodeJS.CpuUsage>((resolve) => {
            cpuWaiters.set(worker, resolve);
            worker.send({ t: 'cpu-usage' } satisfies PrimaryMessage);
          }),
      ),
    );
    const own = process.cpuUsage();
    return [own, ...usages].reduce((sum, u) => sum + u.user + u.system, 0);
  };

  return { port, cpuMicros, stop };
}
