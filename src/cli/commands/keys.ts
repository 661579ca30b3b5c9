// `densho keys rotate`: a new receipt signing key. Old public keys stay in /.well-known/jwks.json so every
// receipt ever issued keeps verifying; the rotation itself is recorded in the access log.

import { loadOrCreateKeys, rotateReceiptKey } from '../../platform/node/keys.ts';
import { readLock } from '../../platform/node/lockfile.ts';
import {
  assertDatabaseReady,
  CliError,
  type Command,
  commitExclusive,
  openCliRuntime,
  takeForWriting,
} from './shared.ts';

export const keysRotate: Command = {
  name: 'keys rotate',
  summary: 'make a new receipt key current (old public keys stay published)',
  usage: 'densho keys rotate',
  help: `Generates a new Ed25519 receipt key in DENSHO_DATA_DIR/keys (0600) and makes it current; every earlier
public key stays in the JWKS, so old receipts keep verifying. The checkpoint (note) key is not rotated: it is
the log's identity (its vkey), which auditors pin.
The rotation is recorded in the access log (admin.keys.rotate), also while a server runs; a running server keeps
signing receipts with the old key until it is restarted (then it uses the new one) — restart it after rotating.
Back up the key directory afterwards (densho backup).`,
  options: {},
  async run(ctx) {
    const config = ctx.config();
    assertDatabaseReady(config);
    const serverPid = ((h) => (h && ['serve', 'demo'].includes(h.purpose) ? h.pid : null))(
      readLock(config.dataDir),
    );
    const lock = takeForWriting(config, 'keys rotate');
    try {
      const before = (await loadOrCreateKeys(config.dataDir)).receipt.kid;
      const kid = await rotateReceiptKey(config.dataDir);
      const runtime = await openCliRuntime(config);
      try {
        await commitExclusive(runtime, {
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
      if (serverPid !== null) {
        ctx.io.err(
          `densho: note: the server (pid ${serverPid}) keeps signing receipts with ${before} until it restarts — restart the server now`,
        );
      }
    } finally {
      lock.release();
    }
  },
};
