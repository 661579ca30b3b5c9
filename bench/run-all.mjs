#!/usr/bin/env node
// `npm run bench`: every benchmark in bench/, one after another (each prints its figures and its target).
// Not part of `npm test`: benchmarks need a quiet machine and minutes, not a CI run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const only = process.argv.slice(2);
const benches = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts') && f !== 'fixtures.ts')
  // A/B runs need a baseline checkout to compare against (see bench/ab-verify.ts): only when one is given.
  .filter((f) => !f.startsWith('ab-') || process.env.BENCH_BASE)
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const b of benches) {
  console.log(`\n=== bench/${b}`);
  const r = spawnSync('npx', ['tsx', `bench/${b}`], { stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed > 0 ? 1 : 0);
