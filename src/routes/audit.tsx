// The auditor console (/audit): dashboard, the access log (filter, keyset pages, one event with its proof, CSV and
// JSON Lines exports), log integrity (earlier checkpoints, full recompute jobs) and the access log's C2SP API.
// Read-only for the data it shows: the only POSTs check a checkpoint and start a recompute (both CSRF-protected by
// the web app's middleware). Every page, export and API read is an access event recorded before it is served.
//
// Who (docs/auditing.md): auditors and admins (requireUser(AUDIT_ROLES)); clerks get 403. A user of the platform
// organisation sees everything; an organisation's auditor or admin sees its own users' events and events about
// certificates it orders — anything else is 404, exactly like an index that does not exist. The access log API
// and the full recompute are the platform's only: every leaf of the access log is every organisation's activity.
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { DashboardBody, DashboardPage } from '../../views/audit/dashboard.tsx';
import { EventDetailBody, EventDetailPage } from '../../views/audit/event.tsx';
import { EventResults, EventsPageView, type FilterOptions, MoreRows } from '../../views/audit/events.tsx';
import {
  CheckpointResult,
  IntegrityBody,
  IntegrityPage,
  JobPage,
  JobProgress,
  jobHref,
  type LogCheckpointView,
} from '../../views/audit/integrity.tsx';
import type { AppDeps } from '../app.ts';
import { toBase64 } from '../domain/bytes.ts';
import { formBody } from '../middleware/form-body.ts';
import { isHtmx, render } from '../middleware/htmx.ts';
import { requestMeta, requireUser, type SessionUser, type WebEnv } from '../middleware/session.ts';
import { distinctValues, listOrganisations } from '../repos/access-events.ts';
import { latestCheckpointTimes } from '../repos/log-integrity.ts';
import { auditDashboard, parsePeriod } from '../services/audit-dashboard.ts';
import {
  AUDIT_ROLES,
  type AuditFilters,
  type EventsPage,
  type FilterError,
  isPlatformAuditor,
  listAuditEvents,
  parseFilters,
  recordAudit,
  viewAuditEvent,
} from '../services/audit-events.ts';
import { type ExportFormat, exportAuditEvents } from '../services/audit-export.ts';
import {
  type CheckpointCheck,
  checkEarlierCheckpoint,
  LOG_NAMES,
  type LogName,
  noteFromFile,
} from '../services/audit-integrity.ts';
import { errorResponse } from './error-pages.tsx';
import { logRoutes } from './log.ts';

/** The largest checkpoint note we read from a form (a note is a few hundred bytes). */
const MAX_NOTE_BYTES = 16 * 1024;

function currentUser(c: Context<WebEnv>): SessionUser {
  return c.get('user') as SessionUser;
}

/** The platform's auditors only (403 for an organisation's): see the header comment. */
const platformOnly: MiddlewareHandler<WebEnv> = async function platformOnly(c, next) {
  if (!isPlatformAuditor(currentUser(c))) return errorResponse(c, 403);
  await next();
};

export function auditRoutes(deps: AppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const jobs = deps.integrity;
  // '/audit/*' also matches '/audit' itself.
  app.use('/audit/*', requireUser(AUDIT_ROLES));

  // ---- the access log's C2SP API (same endpoints as /log/certs) ----------------------------------------------
  app.use('/audit/log/access/*', platformOnly, async function accessLogApi(c, next) {
    // Logged before served, like every other read of the access log.
    await recordAudit(deps, currentUser(c), requestMeta(c), {
      action: 'audit.query',
      outcome: 'success',
      detail: { view: 'log-api', path: c.req.path.slice('/audit/log/access'.length) },
    });
    await next();
    // logRoutes marks tiles and proofs `public` for the public certs log; this one is behind a login, so no
    // shared cache may keep it.
    const cc = c.res.headers.get('cache-control');
    if (cc) c.res.headers.set('cache-control', cc.replace('public', 'private'));
  });
  app.route(
    '/audit/log/access',
    logRoutes(() => deps.logs.access),
  );

  // ---- dashboard -------------------------------------------------------------------------------------------------
  app.get('/audit', async (c) => {
    const user = currentUser(c);
    const data = await auditDashboard(deps, {
      user,
      period: parsePeriod(c.req.query('period')),
      jobs,
      meta: requestMeta(c),
    });
    return render(c, {
      page: <DashboardPage user={user} csrfToken={c.get('csrfToken')} data={data} />,
      fragment: <DashboardBody data={data} />,
    });
  });

  // ---- events ----------------------------------------------------------------------------------------------------
  async function filterOptions(user: SessionUser): Promise<FilterOptions> {
    return {
      organisations: isPlatformAuditor(user) ? await listOrganisations(deps.db) : null,
      actions: await distinctValues(deps.db, 'action'),
      outcomes: await distinctValues(deps.db, 'outcome'),
    };
  }

  async function eventsView(
    c: Context<WebEnv>,
    args: { filters: AuditFilters; before: number | null; page: EventsPage; errors: FilterError[] },
    status: 200 | 422,
  ): Promise<Response> {
    const user = currentUser(c);
    // htmx asks either for more rows (the "next" link carries `before`) or for new results (the filter form).
    const fragment =
      args.before !== null && args.errors.length === 0 ? (
        <MoreRows page={args.page} filters={args.filters} />
      ) : (
        <EventResults page={args.page} filters={args.filters} before={args.before} errors={args.errors} />
      );
    if (isHtmx(c)) return render(c, { page: fragment, fragment }, status);
    return render(
      c,
      {
        page: (
          <EventsPageView
            user={user}
            csrfToken={c.get('csrfToken')}
            options={await filterOptions(user)}
            {...args}
          />
        ),
        fragment,
      },
      status,
    );
  }

  app.get('/audit/events', async (c) => {
    const user = currentUser(c);
    const parsed = parseFilters((k) => c.req.query(k));
    const empty: EventsPage = { items: [], next: null };
    if (parsed.errors.length > 0) return eventsView(c, { ...parsed, page: empty }, 422);
    const page = await listAuditEvents(deps, {
      user,
      filters: parsed.filters,
      before: parsed.before,
      meta: requestMeta(c),
    });
    return eventsView(c, { ...parsed, page }, 200);
  });

  for (const format of ['csv', 'jsonl'] as const satisfies readonly ExportFormat[]) {
    app.get(`/audit/events.${format}`, async (c) => {
      const parsed = parseFilters((k) => c.req.query(k));
      if (parsed.errors.length > 0) {
        return eventsView(c, { ...parsed, before: null, page: { items: [], next: null } }, 422);
      }
      const out = await exportAuditEvents(deps, {
        user: currentUser(c),
        filters: parsed.filters,
        format,
        meta: requestMeta(c),
      });
      return c.body(out.stream, 200, {
        'content-type': out.contentType,
        'content-disposition': `attachment; filename="${out.filename}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
    });
  }

  app.get('/audit/events/:index', async (c) => {
    const raw = c.req.param('index');
    if (!/^(0|[1-9][0-9]{0,14})$/.test(raw)) return errorResponse(c, 404);
    const user = currentUser(c);
    const result = await viewAuditEvent(deps, { user, index: Number(raw), meta: requestMeta(c) });
    if (result.kind === 'not-found') return errorResponse(c, 404);
    const isPlatform = isPlatformAuditor(user);
    return render(c, {
      page: (
        <EventDetailPage
          user={user}
          csrfToken={c.get('csrfToken')}
          d={result.detail}
          isPlatform={isPlatform}
        />
      ),
      fragment: <EventDetailBody d={result.detail} isPlatform={isPlatform} />,
    });
  });

  // ---- integrity -------------------------------------------------------------------------------------------------
  async function checkpointViews(): Promise<LogCheckpointView[]> {
    const times = await latestCheckpointTimes(deps.db);
    return LOG_NAMES.map((log) => {
      const l = deps.logs[log];
      const cp = l.latestCheckpoint;
      return {
        log,
        size: cp.size,
        root: toBase64(cp.root),
        note: cp.note,
        signedAt: times.get(log) ?? null,
        vkey: l.vkey,
        origin: l.origin,
      };
    });
  }

  async function integrityView(
    c: Context<WebEnv>,
    result: CheckpointCheck | null,
    error: string | null,
    status: 200 | 422,
  ): Promise<Response> {
    const user = currentUser(c);
    const body = {
      checkpoints: await checkpointViews(),
      jobs: await jobs.latest(),
      canRecompute: isPlatformAuditor(user),
      result,
      error,
    };
    return render(
      c,
      {
        page: <IntegrityPage user={user} csrfToken={c.get('csrfToken')} {...body} />,
        fragment: <IntegrityBody csrfToken={c.get('csrfToken')} {...body} />,
      },
      status,
    );
  }

  app.get('/audit/integrity', async (c) => {
    await recordAudit(deps, currentUser(c), requestMeta(c), {
      action: 'audit.query',
      outcome: 'success',
      detail: { view: 'integrity' },
    });
    return integrityView(c, null, null, 200);
  });

  app.post('/audit/integrity/check', async (c) => {
    const user = currentUser(c);
    const body = await formBody(c);
    let text = typeof body.note === 'string' ? body.note : '';
    const file = body.file;
    if (file instanceof File && file.size > 0) {
      if (file.size > MAX_NOTE_BYTES) {
        return checkAnswer(
          c,
          null,
          `ファイルが大きすぎます（${MAX_NOTE_BYTES / 1024} KiB まで）。チェックポイントのファイルを選んでください。`,
        );
      }
      try {
        text = await noteFromFile(file);
      } catch {
        return checkAnswer(
          c,
          null,
          'ファイルを UTF-8 のテキストとして読めません。チェックポイントのファイルを選んでください。',
        );
      }
    }
    if (text.trim() === '') {
      return checkAnswer(c, null, 'チェックポイントを貼り付けるか、ファイルを選択してください。');
    }
    const result = await checkEarlierCheckpoint(deps.db, deps.logs, text.slice(0, MAX_NOTE_BYTES));
    await recordAudit(deps, user, requestMeta(c), {
      action: 'audit.integrity',
      outcome: result.kind,
      detail: {
        check: 'checkpoint',
        ...('log' in result ? { log: result.log } : {}),
        ...('size' in result ? { size: result.size } : {}),
      },
    });
    return checkAnswer(c, result, null);
  });

  function checkAnswer(
    c: Context<WebEnv>,
    result: CheckpointCheck | null,
    error: string | null,
  ): Response | Promise<Response> {
    const status = error ? 422 : 200;
    if (isHtmx(c)) {
      const fragment = <CheckpointResult result={result} error={error} />;
      return render(c, { page: fragment, fragment }, status);
    }
    return integrityView(c, result, error, status);
  }

  app.post('/audit/integrity/recompute', platformOnly, async (c) => {
    const user = currentUser(c);
    const body = await formBody(c);
    const log =
      typeof body.log === 'string' && (LOG_NAMES as readonly string[]).includes(body.log)
        ? (body.log as LogName)
        : null;
    if (log === null) return integrityView(c, null, '再計算するログを選んでください。', 422);
    const started = await jobs.start(log, {
      actor: `user:${user.id}`,
      orgCode: user.orgCode,
      meta: requestMeta(c),
    });
    return c.redirect(jobHref(started.job.id), 303);
  });

  app.get('/audit/integrity/jobs/:id', async (c) => {
    const job = await jobs.get(c.req.param('id'));
    if (!job) return errorResponse(c, 404);
    const user = currentUser(c);
    return render(c, {
      page: <JobPage user={user} csrfToken={c.get('csrfToken')} job={job} />,
      fragment: <JobProgress job={job} />,
    });
  });

  return app;
}
