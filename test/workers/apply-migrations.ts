// Setup for the Workers test project: apply db/migrations to the local D1 before a test file runs (storage is
// per test file, and applyD1Migrations skips what is already applied).
import { applyD1Migrations, env } from 'cloudflare:test';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    }
  }
}

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
