// The background checkpointer copies the WAL into the database file once the writer goes quiet, so the WAL
// cannot grow without bound and the main thread never runs a checkpoint itself.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { databaseFile } from '../../src/platform/node/runtime.ts';
import { issueEvent, startTestPlatform } from '../helpers/platform.ts';

describe('WAL checkpointer', () => {
  it('checkpoints after the writer has been idle', async () => {
    const p = await startTestPlatform();
    try {
      const file = databaseFile(p.dataDir);
      const jwss = await Promise.all(Array.from({ length: 200 }, () => p.surety.sign(issueEvent())));
      const res = await Promise.all(jwss.map((j) => p.push(j)));
      expect(res.every((r) => r.status === 201)).toBe(true);
      // Password hashes and auth-key digests live here: owner-only, like the key directory.
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
      const before = statSync(file).size;
      const walBefore = statSync(`${file}-wal`).size;
      expect(walBefore).toBeGreaterThan(0);
      // Idle threshold 200 ms + tick 100 ms: well within a second.
      let after = before;
      for (let i = 0; i < 20 && after <= before; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = statSync(file).size;
      }
      expect(after).toBeGreaterThan(before); // the data pages reached the database file
      // And the main connection finds nothing left to copy.
      const [row] = p.server.runtime.database.sqlite.pragma('wal_checkpoint(PASSIVE)') as {
        log: number;
        checkpointed: number;
      }[];
      expect(row!.checkpointed).toBe(row!.log);
    } finally {
      await p.close();
    }
  });
});
