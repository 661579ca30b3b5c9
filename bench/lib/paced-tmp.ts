import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { prepareDataDir, ROOT, startServerChild, writeSignedBodies } from './harness.ts';

const { dataDir, surety } = await prepareDataDir();
await writeSignedBodies(surety, 20000, join(dataDir, 'b.jws'));
const s = await startServerChild(dataDir, 18787, 18788);
for (const rate of [200, 500, 1000]) {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'bench/lib/paced.ts'),
      JSON.stringify({
        url: `${s.url}/api/v1/certificates`,
        rate,
        duration: 5,
        bodiesFile: join(dataDir, 'b.jws'),
      }),
    ],
    { encoding: 'utf8' },
  );
  console.log(rate, r.stdout, r.stderr.slice(0, 300));
  break;
}
await s.stop();
