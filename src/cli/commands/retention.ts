// `densho retention apply`: clear the clear IP address and user agent of access events older than N days
// (DENSHO_ACCESS_RETENTION_DAYS, default 180, or --days). The leaves hold only the HMAC of the IP, so the logs stay
// verifiable; the run itself is an access event (admin.retention.apply). Safe while the server runs.

import { systemClock } from '../../platform/ports.ts';
import { applyAccessRetention } from '../../services/access-retention.ts';
import {
  assertDatabaseReady,
  type Command,
  commitExclusive,
  openCliRuntime,
  str,
  takeForWriting,
  UsageError,
} from './shared.ts';

function parseDays(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^[1-9][0-9]{0,4}$/.test(raw) || Number(raw) > 36_500) {
    throw new UsageError(
      `--days must be a whole number of days from 1 to 36500, e.g. --days 180 (got ${raw})`,
    );
  }
  return Number(raw);
}

export const retentionApply: Command = {
  name: 'retention apply',
  summary:
    'forget the IP address and user agent of access events past the retention period (addition to api.md)',
  usage: 'densho retention apply [--days N]',
  help: `Sets ip and user_agent to NULL in access_events for every event older than N days (default
DENSHO_ACCESS_RETENTION_DAYS, 180). Nothing else changes: the access log's leaves never held the IP (only "net", an
HMAC of it) nor the user agent, so every leaf, tile and checkpoint is untouched and \`densho verify-log\` passes as
before. The database refuses any other change to an event row. Works in chunks of 10,000 rows, so a running server
keeps serving; run it daily (cron, systemd timer). The run is recorded as an access event (admin.retention.apply)
with the cut-off and the number of rows cleared. Prints that number.`,
  options: { days: { type: 'string' } },
  async run(ctx) {
    const config = ctx.config();
    const days = parseDays(str(ctx.values, 'days'), config.accessRetentionDays);
    assertDatabaseReady(config);
    const lock = takeForWriting(config, 'retention apply');
    try {
      const runtime = await openCliRuntime(config);
      try {
        const result = await applyAccessRetention(
          { db: runtime.database.db, atomic: runtime.database.atomic, clock: systemClock },
          days,
        );
        const cutoff = new Date(result.cutoff).toISOString();
        await commitExclusive(runtime, {
          writes: [],
          action: 'admin.retention.apply',
          detail: { days, cutoff, belowIndex: result.belowIndex, cleared: result.cleared },
          done: '',
        });
        ctx.io.out(
          `retention: cleared the IP address and user agent of ${result.cleared} access events before ${cutoff} (${days} days); the log is unchanged`,
        );
      } finally {
        await runtime.close();
      }
    } finally {
      lock.release();
    }
  },
};
