// Benchmark (issue #2): durable signed ingest over HTTP, 64 connections, load generator on the same box.
// Targets: ≥ 5,000 events/s (and the ratio to hono's hello-world measured the same way in the same run); at
// half that load p50 ≤ 5 ms and p99 ≤ 30 ms arrival → receipt; server RSS under the ingest load < 300 MB.
// Load: Debian's wrk (light on a 2-core box) for throughput; an open-loop paced sender for latency
// (autocannon's overallRate releases bursts, which measures its bursts). BENCH_LOADER=autocannon to compare.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  median,
  prepareDataDir,
  ROOT,
  runLoad,
  runWrk,
  startServerChild,
  verdict,
  writeSignedBodies,
} from './lib/harness.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = 64;
const useAutocannon = process.env.BENCH_LOADER === 'autocannon';

const { dataDir, surety } = await prepareDataDir();
const perRound = 9_000 * DURATION; // above what one round can consume
const allFile = join(dataDir, 'bodies.jws');
console.log(`signing ${perRound * (ROUNDS + 1)} distinct events (not timed)…`);
await writeSignedBodies(surety, perRound * (ROUNDS + 1), allFile);
const all = readFileSync(allFile, 'utf8').split('\n').filter(Boolean);
const slice = (n: number) => {
  const f = join(dataDir, `bodies-${n}.jws`);
  writeFileSync(f, `${all.slice(n * perRound, (n + 1) * perRound).join('\n')}\n`);
  return f;
};

const server = await startServerChild(dataDir, 18787, 18788);
try {
  const hello: number[] = [];
  const ingest: number[] = [];
  let peak = 0;
  const ingestUrl = `${server.url}/api/v1/certificates`;
  // Warm-up (JIT), not counted.
  runWrk({ url: server.baselineUrl, connections: CONNECTIONS, duration: 2 });
  for (let round = 0; round < ROUNDS; round++) {
    const h = useAutocannon
      ? runLoad({ url: server.baselineUrl, connections: CONNECTIONS, duration: DURATION }).rps
      : runWrk({ url: server.baselineUrl, connections: CONNECTIONS, duration: DURATION }).rps;
    hello.push(h);
    await server.resetPeak();
    const file = slice(round);
    let rps: number;
    let line: string;
    if (useAutocannon) {
      const r = runLoad({ url: ingestUrl, connections: CONNECTIONS, duration: DURATION, bodiesFile: file });
      rps = r.ok2xx / DURATION;
      line = `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}`;
    } else {
      const r = runWrk({ url: ingestUrl, connections: CONNECTIONS, duration: DURATION, bodiesFile: file });
      rps = r.rps;
      line = `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, other ${r.other}, errors ${r.errors}`;
    }
    ingest.push(rps);
    peak = Math.max(peak, (await server.rss()).peakRss);
    console.log(`  round ${round}: hello ${h.toFixed(0)} req/s, ingest ${rps.toFixed(0)} events/s (${line})`);
  }
  const ingestMedian = median(ingest);
  const helloMedian = median(hello);

  // Latency at half the measured throughput, open loop, evenly paced.
  const rate = Math.floor(ingestMedian / 2);
  const paced = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'bench/lib/paced.ts'),
      JSON.stringify({ url: ingestUrl, rate, duration: DURATION, bodiesFile: slice(ROUNDS) }),
    ],
    { encoding: 'utf8' },
  );
  const half = JSON.parse(paced.stdout) as { p50: number; p99: number; statusErrors: number };

  console.log('');
  console.log(
    `ingest (durable, signed, HTTP, ${CONNECTIONS} connections, ${useAutocannon ? 'autocannon' : 'wrk'}): median ${ingestMedian.toFixed(0)} events/s over ${ROUNDS} rounds — target ≥ 5000 — ${verdict(ingestMedian >= 5000)}`,
  );
  console.log(
    `hono hello-world, same server process, same tool, same run: median ${helloMedian.toFixed(0)} req/s; ingest/hello ratio ${(ingestMedian / helloMedian).toFixed(3)}`,
  );
  console.log(
    `latency at half load (${rate} events/s, open loop): p50 ${half.p50} ms (target ≤ 5), p99 ${half.p99} ms (target ≤ 30) — ${verdict(half.p50 <= 5 && half.p99 <= 30)}${half.statusErrors ? ` (${half.statusErrors} non-201)` : ''}`,
  );
  console.log(
    `server peak RSS under ingest load: ${(peak / 1048576).toFixed(0)} MB — target < 300 MB — ${verdict(peak < 300 * 1048576)}`,
  );
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
