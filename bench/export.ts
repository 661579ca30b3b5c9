// Benchmark: `densho export` (SQL for Cloudflare D1) and `densho import` (the same SQL replayed into a new SQLite
// data directory, then a full verify-log) over a large database. Fills a temp data dir through TrustLog.append
// (bench/fixtures.ts; not timed), then times both through the real CLI dispatcher.
// No target: the figure sizes a migration window. BENCH_CERTS / BENCH_ACCESS set the mix (default 100k + 100k).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/commands/index.ts';
import type { CliIo } from '../src/cli/commands/shared.ts';
import { loadConfig } from '../src/config.ts';
import { openRuntime } from '../src/platform/node/runtime.ts';
import { fillLogs } from './fixtures.ts';

const certs = Number(process.env.BENCH_CERTS ?? 100_000);
const access = Number(process.env.BENCH_ACCESS ?? 100_000);
const work = mkdtempSync(join(tmpdir(), 'densho-export-bench-'));
const source = join(work, 'source');
const env = { DENSHO_DATA_DIR: source, PORT: '18798' };

const runtime = await openRuntime(loadConfig(env));
await fillLogs(runtime, { certs, access });
await runtime.close();

async function densho(dataDir: string, args: string[]): Promise<{ seconds: number; out: string[] }> {
  const out: string[] = [];
  const io: CliIo = {
    env: { ...env, DENSHO_DATA_DIR: dataDir },
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    readStdin: async () => '',
    promptSecret: async () => null,
    waitForStop: () => new Promise(() => {}),
  };
  const t = performance.now();
  const code = await runCli(args, io);
  const seconds = (performance.now() - t) / 1000;
  if (code !== 0) throw new Error(`densho ${args.join(' ')} failed: ${out.join('\n')}`);
  return { seconds, out };
}

const sql = join(work, 'export.sql');
const exported = await densho(source, ['export', '--to', sql]);
const rows = Number(/; (\d+) rows;/.exec(exported.out[0]!)?.[1] ?? 0);
console.log(exported.out[0]);
console.log(
  `export: ${certs} cert + ${access} access events, ${rows} rows, ${(statSync(sql).size / 1e6).toFixed(0)} MB SQL (database ${(statSync(join(source, 'densho.db')).size / 1e6).toFixed(0)} MB) in ${exported.seconds.toFixed(2)} s = ${(rows / exported.seconds).toFixed(0)} rows/s, ${((certs + access) / exported.seconds).toFixed(0)} events/s (including the admin.export access event)`,
);
const imported = await densho(join(work, 'imported'), ['import', '--from', sql]);
console.log(
  `import + full verify-log: ${imported.seconds.toFixed(2)} s = ${(rows / imported.seconds).toFixed(0)} rows/s`,
);
if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
else console.log(`kept: ${work}`);
