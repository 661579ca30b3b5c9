// `densho serve` (what `npm start` runs): take the data-directory lock, start the server, print the URL, and on
// SIGINT/SIGTERM drain the sequencers (every accepted request is committed and answered) before closing.
import type { Config } from '../../config.ts';
import { type RunningServer, startServer } from '../../entry-node.ts';
import { acquireLock } from '../../platform/node/lockfile.ts';
import { CliError, type CliIo, type Command } from './shared.ts';

/** Start the server under the lock; explains the usual startup failures with their fix. */
export async function startLocked(
  config: Config,
  purpose: string,
): Promise<{ server: RunningServer; release(): void }> {
  const lock = acquireLock(config.dataDir, purpose);
  try {
    const server = await startServer(config);
    return { server, release: lock.release };
  } catch (err) {
    lock.release();
    throw listenError(err, config);
  }
}

/** The usual reasons a server cannot listen, with their fix. */
export function listenError(err: unknown, config: Config): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new CliError(
      `${config.host}:${config.port} is already in use — stop the other process or set PORT to a free port`,
    );
  }
  if (code === 'EACCES') {
    return new CliError(
      `not allowed to listen on ${config.host}:${config.port} — use a PORT above 1024 or run with the needed rights`,
    );
  }
  return err;
}

/** Wait for SIGINT/SIGTERM, then close: server.close() drains the sequencers before the database closes. */
export async function serveUntilStopped(
  io: CliIo,
  running: { server: RunningServer; release(): void },
): Promise<void> {
  try {
    const signal = await io.waitForStop();
    io.err(`densho: ${signal} — finishing accepted requests, then closing`);
    await running.server.close();
  } finally {
    running.release();
  }
}

export const serve: Command = {
  name: 'serve',
  summary: 'run the platform (what `npm start` runs)',
  usage: 'densho serve',
  help: `Opens DENSHO_DATA_DIR (creating the database and keys on first start), migrates, self-checks both logs against
their signed checkpoints (refusing to start on a mismatch), and serves on HOST:PORT. Holds a lock file
(DENSHO_DATA_DIR/densho.lock) so a second server, \`densho restore\` and \`densho migrate\` refuse meanwhile.
With DENSHO_HTTP_WORKERS=N, N worker processes serve HTTP and this process only appends to the logs.
Ctrl-C / SIGTERM: stops accepting, commits what was accepted, closes the database.`,
  options: {},
  async run(ctx) {
    const config = ctx.config();
    const running = await startLocked(config, 'serve');
    ctx.io.out(
      `densho serving ${running.server.url} (origin ${config.origin}, data ${config.dataDir}) — Ctrl-C to stop`,
    );
    await serveUntilStopped(ctx.io, running);
  },
};
