// `densho keys rotate`: a new receipt signing key. Old public keys stay in /.well-known/jwks.json so every
// receipt ever issued keeps verifying; the rotation itself is recorded in the access log.

import { loadOrCreateKeys, rotateReceiptKey } from '../../platform/node/keys.ts';
import { acquireLock, LockHeldError } from '../../platform/node/lockfile.ts';
import { openRuntime } from '../../platform/node/runtime.ts';
import { assertDatabaseReady, CliError, type Command, commitWithRuntime } from './shared.ts';

export const keysRotate: Command = {
  name: 'keys rotate',
  summary: 'make a new receipt key current (old public keys stay published)',
  usage: 'densho keys rotate',
  help: `Generates a new Ed25519 receipt key in DENSHO_DATA_DIR/keys (0600) and makes it current; every earlier
public key stays in the JWKS, so old receipts keep verifying. The checkpoint (note) key is not rotated: it is
the log's identity (its vkey), which auditors pin.
With the server stopped, the rotation is recorded in the access log; a running server keeps signing with the
old key until it is restarted (then it uses the new one) and the rotation is not logged — prefer rotating
with the server stopped. Back up the key directory afterwards (densho backup).`,
  options: {},
  async run(ctx) {
    const config = ctx.config();
    assertDatabaseReady(config);
    let lock: ReturnType<typeof acquireLock> | null = null;
    let serverPid: number | null = null;
    try {
      lock = acquireLock(config.dataDir, 'keys rotate');
    } catch (err) {
      if (!(err instanceof LockHeldError) || !['serve', 'demo'].includes(err.holder.purpose)) throw err;
      serverPid = err.holder.pid;
    }
    try {
      const before = (await loadOrCreateKeys(config.dataDir)).receipt.kid;
      const kid = await rotateReceiptKey(config.dataDir);
      if (serverPid !== null) {
        ctx.io.out(`new receipt key ${kid} (was ${before})`);
        ctx.io.err(
          `densho: note: the server (pid ${serverPid}) keeps signing receipts with ${before} until it restarts, and this rotation is not in the access log (the server is its only writer) — restart the server now`,
        );
        return;
      }
      const runtime = await openRuntime(config);
      try {
        await commitWithRuntime(runtime, {
          writes: [],
          action: 'admin.keys.rotate',
          detail: { kid, previous: before },
          done: '',
        });
      } catch (e) {
        throw new CliError(
          `the new key ${kid} is in place but recording the rotation failed: ${(e as Error).message}`,
        );
      } finally {
        await runtime.close();
      }
      ctx.io.out(`new receipt key ${kid} (was ${before}); both are published in /.well-known/jwks.json`);
    } finally {
      lock?.release();
    }
  },
};
