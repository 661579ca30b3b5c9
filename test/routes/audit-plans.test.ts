// Query plans of the auditor console (EXPLAIN QUERY PLAN on the real schema): every page query — platform or an
// organisation's scope, with any one or two filters and a period — walks an index range in log_index order: no full
// table scan and no temporary B-tree sort, whatever the number of events. The period probe, the skip-scan of
// distinct values and the dashboard's counts likewise.
import type { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditScope,
  type EventFilter,
  firstIndexQuery,
  jstDayNumber,
  listEventsQuery,
  NO_FILTER,
} from '../../src/repos/access-events.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

let p: TestPlatform;

beforeAll(async () => {
  p = await startTestPlatform();
});

afterAll(async () => {
  await p?.close();
});

function plan(q: CompiledQuery): string[] {
  const rows = p.server.runtime.database.sqlite
    .prepare(`EXPLAIN QUERY PLAN ${q.sql}`)
    .all(...(q.parameters as unknown[])) as { detail: string }[];
  return rows.map((r) => r.detail);
}

function expectIndexedOrdered(lines: string[], label: string): void {
  const text = lines.join('\n');
  expect(text, `${label}\n${text}`).not.toMatch(/TEMP B-TREE/);
  // A bare "SCAN <table>" is a full scan; every access here must be a SEARCH (an index or rowid range).
  for (const l of lines) expect(l, `${label}\n${text}`).not.toMatch(/^SCAN /);
  expect(text, `${label}\n${text}`).toMatch(/SEARCH/);
}

const FILTERS: [string, Partial<EventFilter>][] = [
  ['none', {}],
  ['organisation', { orgCode: '092134' }],
  ['user', { actor: 'user:1' }],
  ['action', { action: 'certificate.verify' }],
  ['outcome', { outcome: 'wrong_key' }],
  ['contract number', { target: '31074-00001M' }],
  ['IP', { ip: '192.0.2.1' }],
  ['action + outcome', { action: 'certificate.verify', outcome: 'wrong_key' }],
  ['user + contract number', { actor: 'user:1', target: '31074-00001M' }],
  ['organisation + IP', { orgCode: '092134', ip: '192.0.2.1' }],
];

const SCOPES: AuditScope[] = [{ kind: 'platform' }, { kind: 'org', orgCode: '092134' }];

describe('EXPLAIN QUERY PLAN', () => {
  it('every filtered page walks an index in log_index order (platform and organisation scope)', () => {
    const db = p.server.runtime.database.db;
    for (const scope of SCOPES) {
      for (const [name, f] of FILTERS) {
        const filter = { ...NO_FILTER, ...f };
        // first page, a later page (cursor), and a period (log_index range)
        for (const range of [
          { lo: 0, hi: 10_000_000 },
          { lo: 0, hi: 5_000_123 },
          { lo: 2_000_000, hi: 2_900_000 },
        ]) {
          const lines = plan(listEventsQuery(db, scope, filter, range, 51).compile());
          expectIndexedOrdered(lines, `${scope.kind} / ${name}`);
        }
      }
    }
  });

  it('uses the filter’s own index where one exists', () => {
    const db = p.server.runtime.database.db;
    const expectations: [Partial<EventFilter>, RegExp][] = [
      [{ orgCode: '092134' }, /access_events_by_org/],
      [{ actor: 'user:1' }, /access_events_by_actor/],
      [{ action: 'x' }, /access_events_by_action/],
      [{ outcome: 'x' }, /access_events_by_outcome/],
      [{ target: 'x' }, /access_events_by_target/],
      [{ ip: 'x' }, /access_events_by_ip/],
    ];
    for (const [f, index] of expectations) {
      const text = plan(
        listEventsQuery(db, { kind: 'platform' }, { ...NO_FILTER, ...f }, { lo: 0, hi: 100 }, 51).compile(),
      ).join('\n');
      expect(text).toMatch(index);
    }
    // An organisation's scope: its primary key drives, events are fetched by rowid.
    const org = plan(
      listEventsQuery(db, { kind: 'org', orgCode: '092134' }, NO_FILTER, { lo: 0, hi: 100 }, 51).compile(),
    ).join('\n');
    expect(org).toMatch(/SEARCH s USING PRIMARY KEY \(org_code=\? AND log_index>\? AND log_index<\?\)/);
    expect(org).toMatch(/SEARCH e USING INTEGER PRIMARY KEY \(rowid=\?\)/);
  });

  it('a period is two probes of access_events_by_at; distinct values skip through their index', () => {
    const db = p.server.runtime.database.db;
    const probe = plan(firstIndexQuery(db, 1_700_000_000_000).compile()).join('\n');
    expect(probe).toMatch(/SEARCH access_events USING COVERING INDEX access_events_by_at \(at>\?\)/);
    expect(probe).not.toMatch(/TEMP B-TREE/);
    for (const column of ['action', 'outcome'] as const) {
      const q = db
        .selectFrom('access_events')
        .select(column)
        .where(column, '>', 'a')
        .orderBy(column)
        .limit(1);
      const text = plan(q.compile()).join('\n');
      expect(text).toMatch(new RegExp(`COVERING INDEX access_events_by_${column}`));
      expect(text).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('the dashboard reads the per-day rollup by primary key, and its problem lists walk either index', () => {
    const db = p.server.runtime.database.db;
    for (const key of ['*', '092134']) {
      const q = db
        .selectFrom('access_daily')
        .select(['day', 'outcome', 'n'])
        .where('org_code', '=', key)
        .where('day', '>=', 20_000)
        .where('day', '<=', 20_029);
      expect(plan(q.compile()).join('\n')).toMatch(
        /SEARCH access_daily USING PRIMARY KEY \(org_code=\? AND day>\? AND day<\?\)/,
      );
    }
    const org: AuditScope = { kind: 'org', orgCode: '092134' };
    const filter = { ...NO_FILTER, outcome: 'locked' };
    for (const drive of ['scope', 'filter'] as const) {
      const lines = plan(listEventsQuery(db, org, filter, { lo: 0, hi: 5_000_000 }, 10, drive).compile());
      expectIndexedOrdered(lines, `org problems driven by ${drive}`);
      expect(lines.join('\n')).toMatch(drive === 'scope' ? /USING PRIMARY KEY/ : /access_events_by_outcome/);
    }
  });
});

describe('the per-day rollup (0005_audit_daily)', () => {
  it('counts every event once for the platform and once per scope it is in, by JST day and outcome', async () => {
    const sqlite = p.server.runtime.database.sqlite;
    await p.server.runtime.access.record({ action: 'test.rollup', outcome: 'rollup_probe', actor: null });
    await p.server.runtime.access.record({
      action: 'test.rollup',
      outcome: 'rollup_probe',
      actor: 'user:1',
      orgCode: 'ROLLUP1',
    });
    const recount = sqlite
      .prepare(
        `SELECT '*' AS org_code, (at + 32400000) / 86400000 AS day, outcome, count(*) AS n FROM access_events GROUP BY 2, 3
         UNION ALL
         SELECT s.org_code, (e.at + 32400000) / 86400000, e.outcome, count(*) FROM access_scopes s
           JOIN access_events e ON e.log_index = s.log_index GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3`,
      )
      .all();
    const rollup = sqlite
      .prepare('SELECT org_code, day, outcome, n FROM access_daily ORDER BY 1, 2, 3')
      .all();
    expect(rollup).toEqual(recount);
    const today = jstDayNumber(Date.now());
    const probe = sqlite
      .prepare("SELECT org_code, n FROM access_daily WHERE outcome = 'rollup_probe' AND day = ? ORDER BY 1")
      .all(today);
    expect(probe).toEqual([
      { org_code: '*', n: 2 },
      { org_code: 'ROLLUP1', n: 1 },
    ]);
  });
});
