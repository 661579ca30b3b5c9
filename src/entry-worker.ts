// Workers entry: the fetch handler (the whole app on workerd, D1 through kysely-d1) and the LogSequencer Durable
// Object class, the single writer of both logs. Runtime-specific code lives in platform/workers/.

import type { WorkerEnv } from './platform/workers/env.ts';
import { openWorkerRuntime, type WorkerRuntime } from './platform/workers/runtime.ts';

export { LogSequencer } from './platform/workers/sequencer-do.ts';

let runtime: Promise<WorkerRuntime> | null = null;

/**
 * Requests that never read this isolate's view of the logs: the surety API (receipts come from the sequencer) and
 * static files. Skipping the refresh there matters under ingest, when every refresh finds the certs log moved and
 * reloads its right edge from D1 (measured through wrangler dev: most of a push's time in the fetch isolate).
 */
function readsLogs(url: string): boolean {
  const path = new URL(url).pathname;
  return !path.startsWith('/api/v1/') && !path.startsWith('/static/');
}

/** What Node does by refusing to start: answer 503 and log the reason, which says how to fix it. */
function notReady(err: unknown): Response {
  console.error(`[densho] the platform cannot serve: ${(err as Error).message ?? String(err)}`);
  return new Response(
    'densho は起動できません。運用者はログ（wrangler tail）を確認してください。\n' +
      'densho cannot start: see the worker log (wrangler tail) for the reason and the fix.\n',
    { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' } },
  );
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    runtime ??= openWorkerRuntime(env).catch((err: unknown) => {
      runtime = null; // the next request tries again (e.g. after `wrangler d1 migrations apply`)
      throw err;
    });
    let rt: WorkerRuntime;
    try {
      rt = await runtime;
      if (readsLogs(request.url)) await rt.refresh();
    } catch (err) {
      return notReady(err);
    }
    const res = await rt.app.fetch(request, env, ctx);
    if (rt.inFlight.size > 0) ctx.waitUntil(Promise.allSettled([...rt.inFlight]));
    return res;
  },
} satisfies ExportedHandler<WorkerEnv>;
