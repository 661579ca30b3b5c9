// In-process profile of the ingest batch path (no HTTP): how many µs per event the sequencer itself costs.
import { rmSync } from 'node:fs';
import { loadConfig } from '../../src/config.ts';
import { parseEventPayload } from '../../src/domain/certificate.ts';
import { openRuntime } from '../../src/platform/node/runtime.ts';
import { benchIssueEvent, prepareDataDir } from './harness.ts';

const { dataDir } = await prepareDataDir();
const rt = await openRuntime(loadConfig({ DENSHO_DATA_DIR: dataDir }));
const surety = await rt.database.db
  .selectFrom('organisations')
  .select(['id', 'code'])
  .where('kind', '=', 'surety')
  .executeTakeFirstOrThrow();
const N = Number(process.env.N ?? 20_000);
const reqs = Array.from({ length: N }, () => {
  const payload = benchIssueEvent();
  const parsed = parseEventPayload(payload);
  if (!parsed.ok) throw new Error('bad event');
  return {
    suretyId: surety.id,
    suretyCode: surety.code,
    kid: 'k',
    jws: `x.${JSON.stringify(payload)}.y`,
    payload: parsed.value,
  };
});
const t0 = performance.now();
for (let i = 0; i < N; i += 64) await Promise.all(reqs.slice(i, i + 64).map((r) => rt.ingest.submit(r)));
const ms = performance.now() - t0;
console.log(
  `sequencer path: ${((ms * 1000) / N).toFixed(1)} µs/event (${((N / ms) * 1000).toFixed(0)} events/s, batches of 64)`,
);
await rt.close();
rmSync(dataDir, { recursive: true, force: true });
