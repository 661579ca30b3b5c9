// Benchmark (issue #2): durable signed ingest over HTTP, 64 connections, load generator on the same box.
// Targets: ≥ 5,000 events/s (and the ratio to hono's hello-world in the same run); at half that load
// p50 ≤ 5 ms and p99 ≤ 30 ms arrival → receipt; server RSS under the ingest load < 300 MB.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  median,
  prepareDataDir,
  runLoad,
  startServerChild,
  verdict,
  writeSignedBodies,
} from './lib/harness.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = 64;

const { dataDir, surety } = await prepareDataDir();
const bodiesFile = join(dataDir, 'bodies.jws');
const perRound = 14_000 * DURATION; // comfortably above what one round can consume
console.log(`signing ${perRound * (ROUNDS + 1)} distinct events (not timed)…`);
await writeSignedBodies(surety, perRound * (ROUNDS + 1), bodiesFile);

const server = await startServerChild(dataDir, 18787, 18788);
try {
  const profiling = Boolean(process.env.BENCH_PROF); // profile the ingest phase alone
  // Warm-up (JIT, page cache), not counted.
  if (!profiling) runLoad({ url: server.baselineUrl, connections: CONNECTIONS, duration: 2 });

  const hello: number[] = [];
  const ingest: number[] = [];
  let used = 0;
  let peak = 0;
  for (let round = 0; round < ROUNDS; round++) {
    hello.push(
      profiling ? 1 : runLoad({ url: server.baselineUrl, connections: CONNECTIONS, duration: DURATION }).rps,
    );
    await server.resetPeak();
    const roundFile = join(dataDir, `bodies-${round}.jws`);
    await writeSlice(bodiesFile, roundFile, used, perRound);
    const r = runLoad({
      url: `${server.url}/api/v1/certificates`,
      connections: CONNECTIONS,
      duration: DURATION,
      bodiesFile: roundFile,
    });
    if (r.non2xx > 0 || r.errors > 0)
      console.log(`  round ${round}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    used += r.used;
    ingest.push(r.ok2xx / DURATION);
    peak = Math.max(peak, (await server.rss()).peakRss);
    console.log(
      `  round ${round}: hello ${hello[round]!.toFixed(0)} req/s, ingest ${ingest[round]!.toFixed(0)} events/s (p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms)`,
    );
  }
  if (profiling) {
    await server.stop();
    process.exit(0);
  }
  const ingestMedian = median(ingest);
  const helloMedian = median(hello);

  // Latency at half the measured throughput.
  const halfRate = Math.floor(ingestMedian / 2);
  const halfFile = join(dataDir, 'bodies-half.jws');
  await writeSlice(bodiesFile, halfFile, used, perRound);
  const half = runLoad({
    url: `${server.url}/api/v1/certificates`,
    connections: CONNECTIONS,
    duration: DURATION,
    bodiesFile: halfFile,
    overallRate: halfRate,
  });

  console.log('');
  console.log(
    `ingest (durable, signed, HTTP, ${CONNECTIONS} connections): median ${ingestMedian.toFixed(0)} events/s over ${ROUNDS} rounds — target ≥ 5000 — ${verdict(ingestMedian >= 5000)}`,
  );
  console.log(
    `hono hello-world, same server process, same run: median ${helloMedian.toFixed(0)} req/s; ingest/hello ratio ${(ingestMedian / helloMedian).toFixed(3)}`,
  );
  console.log(
    `latency at half load (${halfRate} events/s offered): p50 ${half.latency.p50} ms (target ≤ 5), p99 ${half.latency.p99} ms (target ≤ 30) — ${verdict(half.latency.p50 <= 5 && half.latency.p99 <= 30)}`,
  );
  console.log(
    `server peak RSS under ingest load: ${(peak / 1024 / 1024).toFixed(0)} MB — target < 300 MB — ${verdict(peak < 300 * 1024 * 1024)}`,
  );
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

async function writeSlice(src: string, dst: string, skip: number, count: number): Promise<void> {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const lines = readFileSync(src, 'utf8').split('\n').filter(Boolean);
  const slice = lines.slice(skip, skip + count);
  if (slice.length < count / 2) throw new Error('not enough pre-signed bodies left');
  writeFileSync(dst, `${slice.join('\n')}\n`);
}
