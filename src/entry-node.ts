// Node entry: validate configuration, open the runtime (migrate, keys, log self-check), serve on HOST:PORT.
import { serve } from '@hono/node-server';
import type { Config } from './config.ts';
import { type NodeRuntime, openRuntime, type RuntimeOptions } from './platform/node/runtime.ts';

export interface RunningServer {
  url: string;
  port: number;
  runtime: NodeRuntime;
  close(): Promise<void>;
}

export async function startServer(config: Config, options: RuntimeOptions = {}): Promise<RunningServer> {
  const runtime = await openRuntime(config, options);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: runtime.app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    runtime,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((r) => server.close(() => r()));
        await runtime.close();
      })();
      return closing;
    },
  };
}
