// The auditor's dashboard (/audit): events per JST day for a period, counts by outcome, the latest failures and
// locks, and the integrity of both logs (latest checkpoint, last full recompute). Costs stay small at 10M events:
// per-day counts of the whole log are differences of log indexes (indexes are dense and `at` never decreases), an
// organisation's counts are range counts of its scope, outcome counts are covering-index range counts.
import type { AuditScope } from '../repos/access-events.ts';
import {
  countOutcome,
  countScope,
  distinctValues,
  latestOfAction,
  recentNotOk,
  scopeOutcomeCounts,
} from '../repos/access-events.ts';
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
import type { IntegrityJob, IntegrityJobs } from './audit-integrity.ts';
import type { SessionUser } from './sessions.ts';

export const PERIODS = [7, 30, 90] as const;
export type Period = (typeof PERIODS)[number];
export const DEFAULT_PERIOD: Period = 30;

/** Outcomes that are not worth an auditor's attention on the dashboard; every other one is listed. */
export const OK_OUTCOMES = [
  'success',
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

async function perDay(deps: AuditDeps, scope: AuditScope, dates: string[]): Promise<DayCount[]> {
  // Boundaries: the first index of each day, and of the day after the last.
  const bounds: number[] = [];
  for (const d of [...dates, addDays(dates[dates.length - 1]!, 1)])
    bounds.push(await firstIndexFor(deps, jstDayStart(d)));
  const out: DayCount[] = [];
  for (let i = 0; i < dates.length; i++) {
    const range = { lo: bounds[i]!, hi: bounds[i + 1]! };
    const count =
      scope.kind === 'platform' ? range.hi - range.lo : await countScope(deps.db, scope.orgCode, range);
    out.push({ date: dates[i]!, count });
  }
  return out;
}

async function logStatuses(deps: AuditDeps, jobs: IntegrityJobs): Promise<LogStatus[]> {
  const times = await latestCheckpointTimes(deps.db);
  const running = jobs.latest();
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
      job: running.get(log) ?? null,
    });
  }
  return out;
}

export async function auditDashboard(
  deps: AuditDeps,
  input: { user: SessionUser; period: Period; jobs: IntegrityJobs; meta: RequestMeta },
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
  const days = await perDay(deps, scope, dates);
  const range = {
    lo: await firstIndexFor(deps, jstDayStart(from)),
    hi: await firstIndexFor(deps, jstDayStart(to) + DAY_MS),
  };
  let outcomes: { outcome: string; count: number }[];
  if (scope.kind === 'platform') {
    outcomes = [];
    for (const o of await distinctValues(deps.db, 'outcome')) {
      const count = await countOutcome(deps.db, o, range);
      if (count > 0) outcomes.push({ outcome: o, count });
    }
  } else {
    outcomes = (await scopeOutcomeCounts(deps.db, scope.orgCode, range)).map((r) => ({
      outcome: r.outcome,
      count: r.n,
    }));
  }
  outcomes.sort((a, b) => b.count - a.count || a.outcome.localeCompare(b.outcome));
  const problems = await withActorLabels(deps, await recentNotOk(deps.db, scope, OK_OUTCOMES, range, 10));
  return {
    period: input.period,
    from,
    to,
    days,
    total: days.reduce((n, d) => n + d.count, 0),
    outcomes,
    problems,
    logs: await logStatuses(deps, input.jobs),
  };
}
