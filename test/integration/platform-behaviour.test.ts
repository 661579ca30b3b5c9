// The shared behaviour tests (test/shared/platform-behaviour.ts) against the Node server: real HTTP on 127.0.0.1
// and a real SQLite file. The Workers project runs the same bodies inside workerd (test/workers/).
import { afterAll } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { platformBehaviour } from '../shared/platform-behaviour.ts';

let p: TestPlatform | undefined;
afterAll(async () => {
  await p?.close();
});

platformBehaviour('Node + SQLite', async () => {
  p = await startTestPlatform();
  return { origin: p.url, fetch: (request) => fetch(request), db: p.server.runtime.database.db };
});
