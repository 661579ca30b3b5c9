// Vitest config for the Workers test project: tests run inside workerd (vitest-pool-workers 0.15, the
// cloudflareTest plugin) with the worker from wrangler.toml, local D1 and the LogSequencer Durable Object.
// Development-only platform keys are generated here at every run and passed as the secrets' bindings.
import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { freshPlatformKeys } from '../../scripts/cf-dev-vars.ts';
import { secretsFromPlatformKeys } from '../../src/services/platform-secrets.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

// Offline and quiet (design/stack.md "Cloudflare, offline"), however the run was started.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_SEND_METRICS = 'false';

export default defineConfig(async () => {
  const migrations = await readD1Migrations(`${root}db/migrations`);
  const secrets = secretsFromPlatformKeys(await freshPlatformKeys());
  return {
    root,
    plugins: [
      cloudflareTest({
        main: `${root}src/entry-worker.ts`,
        wrangler: { configPath: `${root}wrangler.toml` },
        miniflare: {
          bindings: { ...secrets, DENSHO_ORIGIN: 'http://localhost', TEST_MIGRATIONS: migrations },
        },
      }),
    ],
    test: {
      include: ['test/workers/**/*.test.ts'],
      setupFiles: ['test/workers/apply-migrations.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  };
});
