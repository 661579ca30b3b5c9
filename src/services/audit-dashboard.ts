// The auditor's dashboard (/audit): events per JST day for a period, counts by outcome, the latest failures and
// locks, and the integrity of both logs (latest checkpoint, last full recompute). Costs stay small at 10M events:
// every count comes from the per-day rollup (access_daily, kept by triggers in the events' own transaction — see
// 0005_audit_daily), a few hundred rows for 90 days whatever the number of events; the recent problems are bounded
// index walks, one per problem outcome the rollup says occurred, driven by the smaller index.
import type { AuditScope } from '../repos/access-events.ts';
import { dailyCounts, jstDayNumber, latestOfAction, recentOfOutcome } from '../repos/access-events.ts';
import type { LogName } from '../repos/database.ts';
import { latestCheckpointTimes } from '../repos/log-integrity.ts';
import {
  type AuditDeps,
  addDays,
  auditScope,
  DAY_MS,
  type EventItem,
  firstIndexFor,
  jstDate,
  jstDayStart,
  type RequestMeta,
  recordAudit,
  withActorLabels,
} from './audit-events.ts';
import type { IntegrityJob, IntegrityJobsPort } from './audit-integrity.ts';
import type { SessionUser } from './sessions.ts';

export const PERIODS = [7, 30, 90] as const;
export type Period = (typeof PERIODS)[number];
export const DEFAULT_PERIOD: Period = 30;

/** Outcomes that are not worth an auditor's attention on the dashboard; every other one is listed. */
export const OK_OUTCOMES = [
  'success',
  'accepted',
  'replayed',
  'ok',
  'received',
  'returned',
  'started',
  'idle',
  'absolute',
  'consistent',
];

export interface DayCount {
  date: string;
  count: number;
}

export interface LogStatus {
  log: LogName;
  size: number;
  checkpointAt: number | null;
  /** The newest finished full recompute (from the access log, so it survives restarts). */
  lastRecompute: { at: number; outcome: string; size: number | null; finding: string | null } | null;
  /** A recompute running (or finished) in this server process. */
  job: IntegrityJob | null;
}

export interface Dashboard {
  period: Period;
  from: string;
  to: string;
  days: DayCount[];
  total: number;
  outcomes: { outcome: string; count: number }[];
  problems: EventItem[];
  logs: LogStatus[];
}

export function parsePeriod(raw: string | undefined): Period {
  const n = Number(raw);
  return (PERIODS as readonly number[]).includes(n) ? (n as Period) : DEFAULT_PERIOD;
}

/** The newest events in the period whose outcome is not one of OK_OUTCOMES, newest first, at most `limit`. */
async function recentProblems(
  deps: AuditDeps,
  scope: AuditScope,
  range: { lo: number; hi: number },
  rollup: { scopeRows: number; byOutcome: Map<string, number>; allByOutcome: Map<string, number> },
  limit: number,
): Promise<EventItem[]> {
  const problemOutcomes = [...rollup.byOutcome.keys()].filter((o) => !OK_OUTCOMES.includes(o));
  const lists = await Promise.all(
    problemOutcomes.map((o) =>
      recentOfOutcome(deps.db, scope, o, range, limit, {
        scopeRows: rollup.scopeRows,
        outcomeRows: rollup.allByOutcome.get(o) ?? 0,
      }),
    ),
  );
  const rows = lists
    .flat()
    .sort((a, b) => b.log_index - a.log_index)
    .slice(0, limit);
  return withActorLabels(deps, rows);
}

async function logStatuses(deps: AuditDeps, jobs: IntegrityJobsPort): Promise<LogStatus[]> {
  const times = await latestCheckpointTimes(deps.db);
  const running = await jobs.latest();
  const results = await latestOfAction(deps.db, 'audit.integrity', 200);
  const out: LogStatus[] = [];
  for (const log of ['certs', 'access'] as const) {
    let lastRecompute: LogStatus['lastRecompute'] = null;
    for (const r of results) {
      if (!['ok', 'failed', 'error'].includes(r.outcome) || r.detail === null) continue;
      const d = JSON.parse(r.detail) as {
        check?: string;
        log?: string;
        size?: number;
        finding?: { message?: string } | null;
      };
      if (d.check !== 'recompute' || d.log !== log) continue;
      lastRecompute = {
        at: r.at,
        outcome: r.outcome,
        size: d.size ?? null,
        finding: d.finding?.message ?? null,
      };
      break;
    }
    out.push({
      log,
      size: deps.logs[log].size,
      checkpointAt: times.get(log) ?? null,
      lastRecompute,
      job: running[log] ?? null,
    });
  }
  return out;
}

export async function auditDashboard(
  deps: AuditDeps,
  input: { user: SessionUser; period: Period; jobs: IntegrityJobsPort; meta: RequestMeta },
): Promise<Dashboard> {
  const scope = auditScope(input.user);
  await recordAudit(deps, input.user, input.meta, {
    action: 'audit.query',
    outcome: 'success',
    detail: { view: 'dashboard', period: input.period },
  });
  const to = jstDate(deps.clock.now());
  const from = addDays(to, -(input.period - 1));
  const dates: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) dates.push(d);
  const fromDay = jstDayNumber(jstDayStart(from));
  const toDay = jstDayNumber(jstDayStart(to));
  const perDay = new Map<number, number>();
  const byOutcome = new Map<string, number>();
  for (const r of await dailyCounts(deps.db, scope, fromDay, toDay)) {
    perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.n);
    byOutcome.set(r.outcome, (byOutcome.get(r.outcome) ?? 0) + r.n);
  }
  // An organisation's problem list picks its driving index from the platform-wide counts of each outcome.
  const allByOutcome = new Map<string, number>();
  if (scope.kind === 'org') {
    for (const r of await dailyCounts(deps.db, { kind: 'platform' }, fromDay, toDay))
      allByOutcome.set(r.outcome, (allByOutcome.get(r.outcome) ?? 0) + r.n);
  }
  const days: DayCount[] = dates.map((date, i) => ({ date, count: perDay.get(fromDay + i) ?? 0 }));
  const outcomes = [...byOutcome]
    .filter(([, count]) => count > 0)
    .map(([outcome, count]) => ({ outcome, count }))
    .sort((a, b) => b.count - a.count || a.outcome.localeCompare(b.outcome));
  const range = {
    lo: await firstIndexFor(deps, jstDayStart(from)),
    hi: await firstIndexFor(deps, jstDayStart(to) + DAY_MS),
  };
  const scopeRows = days.reduce((n, d) => n + d.count, 0);
  const problems = await recentProblems(deps, scope, range, { scopeRows, byOutcome, allByOutcome }, 10);
  return {
    period: input.period,
    from,
    to,
    days,
    total: scopeRows,
    outcomes,
    problems,
    logs: await logStatuses(deps, input.jobs),
  };
}
