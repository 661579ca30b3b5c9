// Benchmark: `densho verify-log` over a large local database. Fills a temp data dir through TrustLog.append
// (bench/fixtures.ts; not timed), then times the full local verification of both logs.
// Target: ≥ 300,000 leaves/s for 1,000,000 leaves on the 2-core CI box.
// BENCH_CERTS / BENCH_ACCESS set the mix (default 500k + 500k); BENCH_KEEP=1 keeps the data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLocalLogs } from '../src/cli/verify-log.ts';
import { loadConfig } from '../src/config.ts';
import { openRuntime } from '../src/platform/node/runtime.ts';
import { fillLogs } from './fixtures.ts';

const certs = Number(process.env.BENCH_CERTS ?? 500_000);
const access = Number(process.env.BENCH_ACCESS ?? 500_000);
const dataDir = process.env.BENCH_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'densho-verify-bench-'));
const config = loadConfig({ DENSHO_DATA_DIR: dataDir, PORT: '18799' });

if (!process.env.BENCH_DATA_DIR) {
  const t = performance.now();
  const runtime = await openRuntime(config);
  let shown = 0;
  await fillLogs(
    runtime,
    { certs, access },
    {
      onProgress: (log, done, total) => {
        if (done - shown >= 100_000 || done === total) {
          shown = done === total ? 0 : done;
          console.log(`  filled ${log} ${done}/${total}`);
        }
      },
    },
  );
  await runtime.close();
  console.log(
    `filled ${certs} cert + ${access} access leaves in ${((performance.now() - t) / 1000).toFixed(1)} s (not timed)`,
  );
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const rates: number[] = [];
let mix = '';
for (let round = 0; round < rounds; round++) {
  const t = performance.now();
  const summaries = await verifyLocalLogs({ dataDir });
  const seconds = (performance.now() - t) / 1000;
  const leaves = summaries.reduce((n, s) => n + s.leaves, 0);
  mix = summaries.map((s) => `${s.leaves} ${s.log}`).join(' + ');
  rates.push(leaves / seconds);
  console.log(
    `  round ${round}: ${leaves} leaves in ${seconds.toFixed(2)} s = ${(leaves / seconds).toFixed(0)} leaves/s`,
  );
}
rates.sort((a, b) => a - b);
const median = rates[Math.floor(rates.length / 2)]!;
console.log(
  `verify-log (local, both logs: ${mix} leaves): median ${median.toFixed(0)} leaves/s, best ${rates[rates.length - 1]!.toFixed(0)} — target ≥ 300000 — ${median >= 300_000 ? 'PASS' : 'FAIL'}`,
);
if (!process.env.BENCH_KEEP && !process.env.BENCH_DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
else console.log(`data dir kept: ${dataDir}`);
