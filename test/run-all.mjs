#!/usr/bin/env node
// `npm test`: type-check, lint, then every vitest project; prints the closing line "N passed, N failed"
// (counting type-check and lint as one check each) and exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const results = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function step(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

function check(name, cmd, args) {
  if (step(name, cmd, args)) results.passed += 1;
  else {
    results.failed += 1;
    failures.push(name);
  }
}

function vitest(name, configArgs) {
  mkdirSync('test-results', { recursive: true });
  const out = `test-results/${name}.json`;
  rmSync(out, { force: true });
  const ok = step(name, 'npx', [
    'vitest',
    'run',
    ...configArgs,
    '--reporter=default',
    '--reporter=json',
    `--outputFile=${out}`,
  ]);
  if (!existsSync(out)) {
    results.failed += 1;
    failures.push(`${name} (no report: the runner itself failed)`);
    return;
  }
  const report = JSON.parse(readFileSync(out, 'utf8'));
  results.passed += report.numPassedTests;
  results.failed += report.numFailedTests;
  results.skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  if (report.numTotalTests === 0) {
    results.failed += 1;
    failures.push(`${name} ran no test`);
  }
  // Suites that fail to load count no tests but fail the run.
  const broken = report.testResults.filter((t) => t.status === 'failed' && t.assertionResults.length === 0);
  if (broken.length > 0 || (!ok && report.numFailedTests === 0)) {
    results.failed += Math.max(1, broken.length);
    failures.push(`${name}: ${broken.map((b) => b.name).join(', ') || 'runner failed'}`);
  } else if (report.numFailedTests > 0) {
    failures.push(`${name}: ${report.numFailedTests} failed`);
  }
}

check('typecheck', 'npx', ['tsc', '--noEmit']);
// The Worker's code with workerd's types (tsconfig.workers.json: the `wrangler types` output, no DOM).
check('typecheck (Workers)', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.workers.json']);
check('lint', 'npx', ['biome', 'ci', '.']);
vitest('node', []);
// Inside workerd with local D1 and the LogSequencer Durable Object (offline: see design/stack.md).
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
process.env.WRANGLER_SEND_METRICS ??= 'false';
vitest('workers', ['--config', 'test/workers/vitest.config.ts']);

console.log('');
if (failures.length > 0) console.log(`failures: ${failures.join('; ')}`);
const skipped = results.skipped > 0 ? `, ${results.skipped} skipped` : '';
console.log(`${results.passed} passed, ${results.failed} failed${skipped}`);
process.exit(results.failed > 0 ? 1 : 0);
