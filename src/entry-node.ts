// Node entry: validate configuration, open the runtime (migrate, keys, log self-check), serve on HOST:PORT — from
// this process, or from DENSHO_HTTP_WORKERS worker processes that send their appends here (platform/node/cluster.ts).
import { serve } from '@hono/node-server';
import type { Config } from './config.ts';
import { startWorkerPool } from './platform/node/cluster.ts';
import { type NodeRuntime, openRuntime, type RuntimeOptions } from './platform/node/runtime.ts';

export interface RunningServer {
  url: string;
  port: number;
  runtime: NodeRuntime;
  /** HTTP worker processes serving (0: this process serves). */
  httpWorkers: number;
  /** CPU time of every process of the server, µs (benchmarks). */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

function urlOf(config: Config, port: number): string {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
}

export async function startServer(config: Config, options: RuntimeOptions = {}): Promise<RunningServer> {
  const runtime = await openRuntime(config, options);
  if (config.httpWorkers > 0) {
    const pool = await startWorkerPool(config, runtime, config.httpWorkers).catch(async (err: unknown) => {
      await runtime.close();
      throw err;
    });
    let closing: Promise<void> | null = null;
    return {
      url: urlOf(config, pool.port),
      port: pool.port,
      runtime,
      httpWorkers: config.httpWorkers,
      cpuMicros: pool.cpuMicros,
      close: () => {
        // Workers first (they finish their requests, whose appends this process still commits), then the logs.
        closing ??= pool.stop().then(() => runtime.close());
        return closing;
      },
    };
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: runtime.app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closing: Promise<void> | null = null;
  return {
    url: urlOf(config, port),
    port,
    runtime,
    httpWorkers: 0,
    cpuMicros: async () => {
      const u = process.cpuUsage();
      return u.user + u.system;
    },
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((r) => server.close(() => r()));
        await runtime.close();
      })();
      return closing;
    },
  };
}
