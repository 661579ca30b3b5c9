// Benchmark (issue #2): inclusion-proof serving at 1,000,000 entries — target ≥ 5,000 req/s over HTTP with
// 64 connections, random indices against the full tree, with hono's hello-world in the same server process
// as the same-run baseline.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openRuntime } from '../src/platform/node/runtime.ts';
import { fillLogs } from './fixtures.ts';
import { median, prepareDataDir, runLoad, startServerChild, verdict } from './lib/harness.ts';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);

const { dataDir } = await prepareDataDir();
try {
  const t0 = performance.now();
  const rt = await openRuntime(loadConfig({ DENSHO_DATA_DIR: dataDir }));
  await fillLogs(rt, { certs: ENTRIES, access: 0 });
  await rt.close();
  console.log(
    `filled ${ENTRIES} certificate events in ${((performance.now() - t0) / 1000).toFixed(0)} s (not timed)`,
  );

  const pathsFile = join(dataDir, 'paths.txt');
  const lines: string[] = [];
  for (let i = 0; i < 200_000; i++) {
    lines.push(`/log/certs/proof/inclusion?index=${Math.floor(Math.random() * ENTRIES)}&size=${ENTRIES}`);
  }
  writeFileSync(pathsFile, `${lines.join('\n')}\n`);

  const server = await startServerChild(dataDir, 18791, 18792);
  try {
    runLoad({ url: server.url, connections: 64, duration: 3, pathsFile }); // warm-up: tiles into cache
    const hello: number[] = [];
    const proofs: number[] = [];
    const p99: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      hello.push(runLoad({ url: server.baselineUrl, connections: 64, duration: DURATION }).rps);
      const r = runLoad({ url: server.url, connections: 64, duration: DURATION, pathsFile });
      if (r.non2xx > 0 || r.errors > 0)
        console.log(`  round ${round}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      proofs.push(r.ok2xx / DURATION);
      p99.push(r.latency.p99);
      console.log(
        `  round ${round}: hello ${hello[round]!.toFixed(0)} req/s, proofs ${proofs[round]!.toFixed(0)} req/s (p99 ${r.latency.p99} ms)`,
      );
    }
    const m = median(proofs);
    const h = median(hello);
    const rss = await server.rss();
    console.log('');
    console.log(
      `inclusion proofs at ${ENTRIES} entries, 64 connections: median ${m.toFixed(0)} req/s over ${ROUNDS} rounds (p99 ${median(p99)} ms) — target ≥ 5000 — ${verdict(m >= 5000)}`,
    );
    console.log(
      `hono hello-world, same server process, same run: median ${h.toFixed(0)} req/s; proofs/hello ratio ${(m / h).toFixed(3)}`,
    );
    console.log(
      `server RSS after the run: ${(rss.rss / 1048576).toFixed(0)} MB (peak ${(rss.peakRss / 1048576).toFixed(0)} MB)`,
    );
  } finally {
    await server.stop();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
