// Benchmark (orderer web app): the 保証証書 page for an organisation with 10,000 certificates on its 確認済み保証一覧,
// opened at random by a signed-in clerk — target p95 ≤ 20 ms — plus the list's first page and a search, each with
// its view/list event durable before it is served. Latency is judged open loop at half the measured maximum (a
// busy but sustainable load); the 64-connection closed-loop figures and hono's hello-world (same process, same
// tool, same run) are printed alongside. Last, the access-event append overhead on a view: the same pages with
// the durable append and with appends switched off in the server (same process, same run), p50 difference.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openRuntime } from '../src/platform/node/runtime.ts';
import { seedOrdererCertificates } from './fixtures.ts';
import { createClerks, signIn, writeTuples } from './lib/clerks.ts';
import {
  median,
  prepareDataDir,
  runPaced,
  runWrk,
  runWrkSessions,
  startServerChild,
  verdict,
} from './lib/harness.ts';

const LISTED = Number(process.env.BENCH_LISTED ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 6);
const CONNECTIONS = 64;
const PORT = 18795;
/** A steady office load, far below the maximum: the latency a clerk sees on an ordinary busy day. */
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 100);

/** What a clerk types into the list's search box: 工事名, 請負契約者, part of a number. */
const SEARCHES = ['橋梁補修工事', '△△組', '小学校', '上水道管', 'その3', '那須野建設'];

function shuffled<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const { dataDir } = await prepareDataDir();
try {
  const t0 = performance.now();
  const rt = await openRuntime(loadConfig({ DENSHO_DATA_DIR: dataDir, PORT: String(PORT) }));
  // Small batches: certificates of one batch share one issuance time, and real lists have few such ties.
  const listed = await seedOrdererCertificates(rt, {
    count: LISTED,
    onList: true,
    changeEvery: 5,
    batch: 16,
  });
  // Another orderer with as many of its own: the pages must not get slower because others use the platform.
  await seedOrdererCertificates(rt, {
    count: LISTED,
    onList: true,
    ordererCode: '090000',
    ordererName: '栃木県知事',
    batch: 16,
  });
  const [login] = await createClerks(rt.database.db, '092134', 1);
  await rt.close();
  console.log(
    `seeded ${LISTED} certificates on 092134's list (and ${LISTED} on 090000's) in ${((performance.now() - t0) / 1000).toFixed(0)} s (not timed)`,
  );

  const server = await startServerChild(dataDir, PORT, PORT + 1);
  try {
    const clerk = await signIn(server.url, login!);
    const pages = shuffled(listed).map((s) => ({ number: s.contractNumber }));
    const viewFile = join(dataDir, 'view.tsv');
    writeTuples(viewFile, [clerk], pages);
    const searchFile = join(dataDir, 'search.tsv');
    writeTuples(
      searchFile,
      [clerk],
      SEARCHES.map((q) => ({ number: encodeURIComponent(q) })),
    );
    const getsFile = (name: string, paths: string[]) => {
      const f = join(dataDir, `${name}.gets`);
      writeFileSync(f, `${paths.map((p) => `${p}\t${clerk.cookie}`).join('\n')}\n`);
      return f;
    };
    const gets = {
      view: getsFile(
        'view',
        pages.map((p) => `/certificates/${p.number}`),
      ),
      list: getsFile('list', ['/certificates']),
      search: getsFile(
        'search',
        SEARCHES.map((q) => `/certificates?q=${encodeURIComponent(q)}`),
      ),
    };

    const wrk = async (mode: 'view' | 'list' | 'search', duration = DURATION) => {
      const before = await server.cpuMs();
      const r = runWrkSessions({
        url: server.url,
        origin: server.url,
        connections: CONNECTIONS,
        duration,
        tuplesFile: mode === 'search' ? searchFile : viewFile,
        mode,
      });
      if (r.other > 0 || r.rps303 > 0) {
        console.log(
          `  ${mode}: ${r.other} unexpected answers (first ${r.firstOther}), ${r.rps303.toFixed(0)}/s 303s`,
        );
      }
      return { ...r, cpuMsPerRequest: ((await server.cpuMs()) - before) / Math.max(1, r.requests) };
    };

    // Warm-up (JIT, statement caches, page cache), not counted.
    runWrk({ url: server.baselineUrl, connections: CONNECTIONS, duration: 2 });
    await wrk('view', 3);
    await wrk('list', 1);
    await wrk('search', 1);

    const hello: number[] = [];
    console.log('');
    for (const [mode, label, rounds] of [
      ['view', `GET /certificates/<random one of ${LISTED}>`, ROUNDS],
      ['list', 'GET /certificates (first page, newest first)', 1],
      ['search', `GET /certificates?q=… (${SEARCHES.length} searches over 工事名, 請負契約者, number)`, 1],
    ] as const) {
      const rps: number[] = [];
      const p95: number[] = [];
      const p99: number[] = [];
      const cpu: number[] = [];
      for (let round = 0; round < rounds; round++) {
        hello.push(runWrk({ url: server.baselineUrl, connections: CONNECTIONS, duration: DURATION }).rps);
        const r = await wrk(mode);
        rps.push(r.rps200);
        p95.push(r.p95);
        p99.push(r.p99);
        cpu.push(r.cpuMsPerRequest);
      }
      const max = median(rps);
      const rate = Math.max(1, Math.floor(max / 2));
      const paced = runPaced({ url: server.url, rate, duration: DURATION, getsFile: gets[mode] });
      const steady = runPaced({
        url: server.url,
        rate: STEADY_RATE,
        duration: DURATION,
        getsFile: gets[mode],
      });
      const target = mode === 'view' ? ` — target p95 ≤ 20 ms — ${verdict(paced.p95 <= 20)}` : '';
      console.log(
        `${label}: ${CONNECTIONS} connections (wrk): median ${max.toFixed(0)} req/s over ${rounds} round(s), p95 ${median(p95).toFixed(1)} ms, p99 ${median(p99).toFixed(1)} ms, server CPU ${median(cpu).toFixed(2)} ms/req`,
      );
      console.log(
        `  at half that load (${rate} req/s, open loop): p50 ${paced.p50} ms, p95 ${paced.p95} ms, p99 ${paced.p99} ms${paced.statusErrors ? ` (${paced.statusErrors} non-200)` : ''}${target}`,
      );
      console.log(
        `  at a steady ${STEADY_RATE} req/s (open loop): p50 ${steady.p50} ms, p95 ${steady.p95} ms, p99 ${steady.p99} ms${steady.statusErrors ? ` (${steady.statusErrors} non-200)` : ''}${mode === 'view' ? ` — ${verdict(steady.p95 <= 20)} there` : ''}`,
      );
    }
    // Access-event append overhead on a view (issue #4: ≤ 5 ms at p50): the same pages at the steady rate with the
    // durable append (view event + viewed mark, group-committed, fsync'd) and with appends switched off, alternated.
    const withAppend: number[] = [];
    const without: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const on of [true, false]) {
        await server.setAccessAppends(on);
        const r = runPaced({ url: server.url, rate: STEADY_RATE, duration: DURATION, getsFile: gets.view });
        (on ? withAppend : without).push(r.p50);
      }
    }
    await server.setAccessAppends(true);
    const overhead = median(withAppend) - median(without);
    console.log(
      `access-event append overhead on a view at ${STEADY_RATE} req/s (open loop, ${ROUNDS} alternating rounds): p50 ${median(withAppend).toFixed(2)} ms with vs ${median(without).toFixed(2)} ms without = ${overhead.toFixed(2)} ms — target ≤ 5 ms — ${verdict(overhead <= 5)}`,
    );
    const h = median(hello);
    console.log(`hono hello-world, same server process, wrk, same run: median ${h.toFixed(0)} req/s`);
    const rss = await server.rss();
    console.log(
      `server RSS after the run: ${(rss.rss / 1048576).toFixed(0)} MB (peak ${(rss.peakRss / 1048576).toFixed(0)} MB)`,
    );
  } finally {
    await server.stop();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
