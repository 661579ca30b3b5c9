import { it } from 'vitest';
import { issueEvent, startTestPlatform } from './helpers/platform.ts';
it('latency probe', async () => {
  const p = await startTestPlatform();
  const jwss = await Promise.all(Array.from({ length: 200 }, () => p.surety.sign(issueEvent())));
  const times: number[] = [];
  for (const j of jwss) { const t = performance.now(); const r = await p.push(j); await r.text(); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  console.log('sequential p50', times[100]!.toFixed(2), 'p90', times[180]!.toFixed(2));
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) { const r = await fetch(`${p.url}/api/v1/orderers`); await r.text(); }
  console.log('orderers avg ms', ((performance.now() - t0) / 200).toFixed(2));
  await p.close();
}, 60000);
