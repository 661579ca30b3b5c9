// A/B for issue #3's verify figure: this tree against a baseline checkout, in ONE run with interleaved rounds.
// Why: this box's host drifts (hono's hello-world measured 29k–60k req/s within an hour), so two runs of
// bench/verify.ts minutes apart cannot tell a 5 % change from the host. Here both servers run side by side, each on
// its own copy of one seeded database with its own signed-in clerks, and the rounds alternate A, B, B, A, A, B …
// so any drift hits both alike; the figure is the median of the per-round B/A ratios.
//
//   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/node_modules
//   BENCH_BASE=/tmp/base node --import tsx bench/ab-verify.ts
//
// Same request as bench/verify.ts's headline (htmx POST number + key → rendered 保証証書, every POST a first
// verification, 64 connections, 64 clerks). The baseline needs bench/lib/harness.ts with startServerChild and
// runWrkSessions (every commit since session 3 has them).
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openRuntime } from '../src/platform/node/runtime.ts';
import { seedOrdererCertificates } from './fixtures.ts';
import { createClerks, type SignedInClerk, signInAll, writeTuples } from './lib/clerks.ts';
import * as here from './lib/harness.ts';

const BASE = process.env.BENCH_BASE;
if (!BASE || !existsSync(join(BASE, 'bench/lib/harness.ts'))) {
  console.error(
    'bench/ab-verify.ts: set BENCH_BASE to a baseline checkout with node_modules, e.g.\n' +
      '  git worktree add /tmp/base HEAD~1 && ln -s "$PWD/node_modules" /tmp/base/node_modules\n' +
      '  BENCH_BASE=/tmp/base node --import tsx bench/ab-verify.ts',
  );
  process.exit(2);
}
const base = (await import(join(BASE, 'bench/lib/harness.ts'))) as typeof here;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = 64;
/** Above what a round can take at 3,000 req/s, so no certificate is verified twice. */
const PER_ROUND = 3_500 * DURATION;

interface Side {
  name: string;
  server: here.ServerChild;
  clerks: SignedInClerk[];
  rps: number[];
  p99: number[];
  cpu: number[];
}

const { dataDir } = await here.prepareDataDir();
const dirA = `${dataDir}-base`;
try {
  const rt = await openRuntime(loadConfig({ DENSHO_DATA_DIR: dataDir, PORT: '18801' }));
  const seeded = await seedOrdererCertificates(rt, { count: PER_ROUND * (ROUNDS + 1), changeEvery: 5 });
  const logins = await createClerks(rt.database.db, '092134', 64);
  await rt.close();
  cpSync(dataDir, dirA, { recursive: true });

  const sides: Side[] = [];
  for (const [name, harness, dir, port] of [
    ['A (base)', base, dirA, 18801],
    ['B (this)', here, dataDir, 18803],
  ] as const) {
    const server = await harness.startServerChild(dir, port, port + 1);
    sides.push({ name, server, clerks: await signInAll(server.url, logins), rps: [], p99: [], cpu: [] });
  }
  const tuplesFor = (side: Side, round: number) => {
    const file = join(dataDir, `tuples-${side.name[0]}-${round}.tsv`);
    const slice = seeded.slice(round * PER_ROUND, (round + 1) * PER_ROUND);
    writeTuples(
      file,
      side.clerks,
      slice.map((s) => ({ number: s.contractNumber, key: s.authKey })),
    );
    return file;
  };
  const run = (side: Side, round: number, duration: number) =>
    here.runWrkSessions({
      url: side.server.url,
      origin: side.server.url,
      connections: CONNECTIONS,
      duration,
      tuplesFile: tuplesFor(side, round),
      mode: 'show',
    });

  for (const side of sides) run(side, ROUNDS, 2); // warm-up (JIT, caches), on the spare slice
  for (let r = 0; r < ROUNDS; r++) {
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
      const c0 = await side.server.cpuMs();
      const res = run(side, r, DURATION);
      const cpu = ((await side.server.cpuMs()) - c0) / res.requests;
      if (res.other > 0)
        throw new Error(`${side.name}: ${res.other} answers were not 200 (${res.firstOther})`);
      side.rps.push(res.rps200);
      side.p99.push(res.p99);
      side.cpu.push(cpu);
      console.log(
        `round ${r} ${side.name}: ${res.rps200.toFixed(0)} req/s, p99 ${res.p99.toFixed(1)} ms, ${cpu.toFixed(3)} ms CPU/req`,
      );
    }
  }
  const [a, b] = sides as [Side, Side];
  for (const s of sides) {
    console.log(
      `${s.name}: median ${here.median(s.rps).toFixed(0)} req/s, p99 ${here.median(s.p99).toFixed(1)} ms, ` +
        `${here.median(s.cpu).toFixed(3)} ms CPU/req (target ≥ 3,000 req/s, p99 ≤ 30 ms)`,
    );
  }
  const ratios = b.rps.map((x, i) => x / a.rps[i]!);
  const cpuRatios = b.cpu.map((x, i) => x / a.cpu[i]!);
  console.log(
    `B/A req/s per round: ${ratios.map((x) => x.toFixed(3)).join(' ')}; median ${here.median(ratios).toFixed(3)}; ` +
      `CPU/req median ${here.median(cpuRatios).toFixed(3)}`,
  );
  for (const s of sides) await s.server.stop();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(dirA, { recursive: true, force: true });
}
