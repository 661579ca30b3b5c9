// The shared behaviour tests (test/shared/platform-behaviour.ts) inside workerd: the worker's own fetch handler,
// D1 through kysely-d1, and the LogSequencer Durable Object as the single writer of both logs.
import { env, SELF } from 'cloudflare:test';
import { d1Kysely } from '../../src/platform/workers/d1.ts';
import { platformBehaviour } from '../shared/platform-behaviour.ts';

platformBehaviour('Workers + D1', async () => ({
  origin: 'http://localhost',
  fetch: (request) => SELF.fetch(request),
  db: d1Kysely(env.DB),
}));
