// Tests for the event rules and the history projection: worked examples of the display rule plus fast-check properties against a reference model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CertificateContent,
  contentOf,
  EVENT_KINDS,
  type EventKind,
  type EventPayload,
  parseEventPayload,
} from '../../src/domain/certificate.ts';
import { checkNextEvent, type Projection, project, type StoredEvent } from '../../src/domain/history.ts';

const CN = '31074-00001M';

function parse(input: Record<string, unknown>): EventPayload {
  const r = parseEventPayload(input);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

let seq = 0;
function contentInput(amount: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    product: 'advance_payment',
    orderer: { code: '092134', name: '那須塩原市長' },
    contractor: { name: '〇〇建設 株式会社' },
    jv: null,
    work: { name: '●●●●工事', periodStart: '2025-12-20', periodEnd: '2026-03-31' },
    contractAmount: amount,
    guaranteeAmount: Math.min(amount, 1_000),
    guaranteePeriod: { start: '2025-12-20', end: '2026-04-30' },
    depositBank: { name: '〇〇銀行', branch: '××支店' },
    contractDate: '2025-12-19',
    ...over,
  };
}

const ev = {
  issue: (amount: number, over: Record<string, unknown> = {}) =>
    parse({ eventId: `e${++seq}`, event: 'issue', contractNumber: CN, ...contentInput(amount, over) }),
  change: (amount: number, over: Record<string, unknown> = {}) =>
    parse({ eventId: `e${++seq}`, event: 'change', contractNumber: CN, ...contentInput(amount, over) }),
  correction: (target: number, amount: number, over: Record<string, unknown> = {}) =>
    parse({
      eventId: `e${++seq}`,
      event: 'correction',
      contractNumber: CN,
      targetVersion: target,
      ...contentInput(amount, over),
    }),
  cancel: (target: number) =>
    parse({ eventId: `e${++seq}`, event: 'change_cancel', contractNumber: CN, targetVersion: target }),
  termination: () =>
    parse({ eventId: `e${++seq}`, event: 'termination', contractNumber: CN, terminationDate: '2026-02-01' }),
};

function stored(events: StoredEvent[], payload: EventPayload): StoredEvent {
  const version = events.length + 1;
  return {
    version,
    event: payload.event,
    targetVersion: payload.targetVersion ?? null,
    issuedAt: 1_766_199_600_000 + version * 1_000,
    logIndex: 100 + version * 3,
    payload,
  };
}

/** Appends events, insisting that checkNextEvent accepts each one. */
function history(...payloads: EventPayload[]): StoredEvent[] {
  const events: StoredEvent[] = [];
  for (const p of payloads) {
    const verdict = checkNextEvent(events, p);
    if (!verdict.ok) throw new Error(`rejected v${events.length + 1}: ${verdict.message}`);
    events.push(stored(events, p));
  }
  return events;
}

const amountOf = (c: CertificateContent) => c.contractAmount;
const rowsOf = (p: Projection) =>
  p.rows.map((r) => [r.no, r.version, r.shownVersion, r.event, r.corrected, amountOf(r.content)]);

describe('display rule (examples)', () => {
  it('issue: one row 新規', () => {
    const events = history(ev.issue(100));
    const p = project(events);
    expect(rowsOf(p)).toEqual([[1, 1, 1, 'issue', false, 100]]);
    expect(p.rows[0]?.issuedAt).toBe(events[0]?.issuedAt);
    expect(p).toMatchObject({ status: 'active', currentVersion: 1, terminatedAt: null });
    expect(amountOf(p.current)).toBe(100);
    expect(p.audit).toEqual([
      {
        version: 1,
        event: 'issue',
        targetVersion: null,
        issuedAt: events[0]?.issuedAt,
        logIndex: 103,
        visible: true,
        hiddenBecause: null,
      },
    ]);
  });

  it('issue + change: two rows, current is the change', () => {
    const p = project(history(ev.issue(100), ev.change(200)));
    expect(rowsOf(p)).toEqual([
      [1, 1, 1, 'issue', false, 100],
      [2, 2, 2, 'change', false, 200],
    ]);
    expect(amountOf(p.current)).toBe(200);
    expect(p.currentVersion).toBe(2);
  });

  it('issue + change + correction of the change: the correction replaces row 2', () => {
    const events = history(ev.issue(100), ev.change(200), ev.correction(2, 210));
    const p = project(events);
    expect(rowsOf(p)).toEqual([
      [1, 1, 1, 'issue', false, 100],
      [2, 2, 3, 'change', true, 210],
    ]);
    // the row shows the correction's arrival time (電子保証発行日時 of what is displayed)
    expect(p.rows[1]?.issuedAt).toBe(events[2]?.issuedAt);
    expect(amountOf(p.current)).toBe(210);
    expect(p.currentVersion).toBe(3);
    expect(p.audit.map((a) => [a.version, a.visible, a.hiddenBecause])).toEqual([
      [1, true, null],
      [2, false, 'corrected'],
      [3, false, 'correction'],
    ]);
  });

  it('correction of v1 after a change: row 1 shows the correction, current stays the change', () => {
    const p = project(history(ev.issue(100), ev.change(200), ev.correction(1, 110)));
    expect(rowsOf(p)).toEqual([
      [1, 1, 3, 'issue', true, 110],
      [2, 2, 2, 'change', false, 200],
    ]);
    expect(amountOf(p.current)).toBe(200);
    expect(p.currentVersion).toBe(2);
  });

  it('two corrections of the same version: the latest wins', () => {
    const p = project(history(ev.issue(100), ev.correction(1, 110), ev.correction(1, 120)));
    expect(rowsOf(p)).toEqual([[1, 1, 3, 'issue', true, 120]]);
    expect(p.currentVersion).toBe(3);
  });

  it('change + change_cancel: both hidden, current reverts to v1 including its correction', () => {
    const events = history(ev.issue(100), ev.correction(1, 110), ev.change(200), ev.cancel(3));
    const p = project(events);
    expect(rowsOf(p)).toEqual([[1, 1, 2, 'issue', true, 110]]);
    expect(amountOf(p.current)).toBe(110);
    expect(p.currentVersion).toBe(2);
    expect(p.audit.map((a) => [a.version, a.event, a.targetVersion, a.visible, a.hiddenBecause])).toEqual([
      [1, 'issue', null, false, 'corrected'],
      [2, 'correction', 1, false, 'correction'],
      [3, 'change', null, false, 'cancelled'],
      [4, 'change_cancel', 3, false, 'cancel'],
    ]);
  });

  it('a corrected change that is then cancelled is hidden with its correction', () => {
    const p = project(
      history(ev.issue(100), ev.change(200), ev.correction(2, 210), ev.cancel(2), ev.change(300)),
    );
    expect(rowsOf(p)).toEqual([
      [1, 1, 1, 'issue', false, 100],
      [2, 5, 5, 'change', false, 300],
    ]);
    expect(p.audit.find((a) => a.version === 2)?.hiddenBecause).toBe('cancelled');
  });

  it('cancelling two changes in turn (latest first) reverts to the issue', () => {
    const p = project(history(ev.issue(100), ev.change(200), ev.change(300), ev.cancel(3), ev.cancel(2)));
    expect(rowsOf(p)).toEqual([[1, 1, 1, 'issue', false, 100]]);
    expect(p.currentVersion).toBe(1);
  });

  it('termination: a visible row 解約 with the content in force; status terminated', () => {
    const events = history(ev.issue(100), ev.change(200), ev.correction(2, 220), ev.termination());
    const p = project(events);
    expect(rowsOf(p)).toEqual([
      [1, 1, 1, 'issue', false, 100],
      [2, 2, 3, 'change', true, 220],
      [3, 4, 4, 'termination', false, 220],
    ]);
    expect(p.status).toBe('terminated');
    expect(p.terminatedAt).toBe(events[3]?.issuedAt);
    expect(amountOf(p.current)).toBe(220);
    expect(p.currentVersion).toBe(3);
  });
});

describe('checkNextEvent (examples)', () => {
  const base = () => history(ev.issue(100), ev.change(200));

  it('issue only on an empty history', () => {
    expect(checkNextEvent([], ev.issue(1))).toEqual({ ok: true });
    expect(checkNextEvent(base(), ev.issue(1))).toMatchObject({ ok: false, code: 'already-exists' });
  });

  it.each([
    ['change', () => ev.change(1)],
    ['correction', () => ev.correction(1, 1)],
    ['change_cancel', () => ev.cancel(1)],
    ['termination', () => ev.termination()],
  ])('%s needs an existing certificate', (_k, make) => {
    expect(checkNextEvent([], make())).toMatchObject({ ok: false, code: 'not-found' });
  });

  it('another contract number is not-found', () => {
    const other = parse({
      eventId: 'x',
      event: 'termination',
      contractNumber: 'OTHER-1',
      terminationDate: '2026-01-01',
    });
    expect(checkNextEvent(base(), other)).toMatchObject({ ok: false, code: 'not-found' });
  });

  it('nothing after termination', () => {
    const events = history(ev.issue(100), ev.termination());
    for (const p of [ev.change(1), ev.correction(1, 1), ev.cancel(1), ev.termination()]) {
      expect(checkNextEvent(events, p)).toMatchObject({ ok: false, code: 'terminated' });
    }
  });

  it('correction targets only issue/change versions that are not cancelled', () => {
    const events = history(
      ev.issue(100),
      ev.change(200),
      ev.correction(2, 210),
      ev.change(300),
      ev.cancel(4),
    );
    expect(checkNextEvent(events, ev.correction(1, 1)).ok).toBe(true);
    expect(checkNextEvent(events, ev.correction(2, 1)).ok).toBe(true);
    for (const t of [3, 4, 5, 6, 99]) {
      expect(checkNextEvent(events, ev.correction(t, 1))).toMatchObject({
        ok: false,
        code: 'bad-target',
        path: 'targetVersion',
      });
    }
  });

  it('change_cancel targets only the latest still-effective change', () => {
    const events = history(ev.issue(100), ev.change(200), ev.change(300), ev.correction(1, 110));
    expect(checkNextEvent(events, ev.cancel(3)).ok).toBe(true);
    for (const t of [1, 2, 4, 5]) {
      expect(checkNextEvent(events, ev.cancel(t))).toMatchObject({ ok: false, code: 'bad-target' });
    }
    expect(checkNextEvent(history(ev.issue(1)), ev.cancel(1))).toMatchObject({
      ok: false,
      code: 'bad-target',
    });
  });

  it('product and orderer.code are immutable; other fields may change', () => {
    const events = base();
    expect(checkNextEvent(events, ev.change(1, { product: 'contract_guarantee' }))).toMatchObject({
      ok: false,
      code: 'immutable-field',
      path: 'product',
    });
    expect(
      checkNextEvent(events, ev.correction(1, 1, { orderer: { code: '090000', name: '栃木県知事' } })),
    ).toMatchObject({ ok: false, code: 'immutable-field', path: 'orderer.code' });
    const ok = ev.change(5, {
      orderer: { code: '092134', name: '那須塩原市長 (改称)' },
      contractor: { name: '新社名建設' },
      guaranteePeriod: { start: '2025-12-20', end: '2026-06-30' },
    });
    expect(checkNextEvent(events, ok)).toEqual({ ok: true });
  });

  it('messages are polite Japanese', () => {
    const r = checkNextEvent(base(), ev.cancel(1));
    expect(!r.ok && r.message).toMatch(/ください|できません|せん/);
  });
});

describe('project refuses impossible histories', () => {
  it('throws on an empty list', () => {
    expect(() => project([])).toThrow();
  });

  it('throws on lists checkNextEvent would not produce', () => {
    const good = history(ev.issue(100), ev.change(200));
    const noIssue = [stored([], ev.change(1))];
    expect(() => project(noIssue)).toThrow();
    expect(() => project([...good, stored(good, ev.issue(3))])).toThrow();
    expect(() => project([...good, stored(good, ev.cancel(1))])).toThrow();
    const t = history(ev.issue(1), ev.termination());
    expect(() => project([...t, stored(t, ev.change(2))])).toThrow();
  });

  it('throws on inconsistent rows (version gap, event or target mismatch)', () => {
    const good = history(ev.issue(100), ev.change(200), ev.correction(2, 210));
    expect(() => project([good[0] as StoredEvent, { ...(good[1] as StoredEvent), version: 3 }])).toThrow();
    expect(() =>
      project([good[0] as StoredEvent, { ...(good[1] as StoredEvent), event: 'termination' }]),
    ).toThrow();
    expect(() => project([...good.slice(0, 2), { ...(good[2] as StoredEvent), targetVersion: 1 }])).toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests against an independent reference model
// ---------------------------------------------------------------------------------------------

/** A deliberately naive restatement of the rules: recomputed from scratch with filters, no incremental state. */
function reference(events: StoredEvent[]) {
  const byVersion = (v: number) => events.find((e) => e.version === v);
  const cancelled = new Set(events.filter((e) => e.event === 'change_cancel').map((e) => e.targetVersion));
  const effective = events
    .filter((e) => (e.event === 'issue' || e.event === 'change') && !cancelled.has(e.version))
    .map((e) => e.version);
  const shown = (k: number) => {
    let s = k;
    for (const e of events) if (e.event === 'correction' && e.targetVersion === k) s = e.version;
    return s;
  };
  const terminated = events.some((e) => e.event === 'termination');
  const lastChange = [...effective].reverse().find((v) => byVersion(v)?.event === 'change');
  const issue = events[0]?.payload;
  const currentVersion = effective.length > 0 ? shown(effective[effective.length - 1] as number) : 0;
  return {
    cancelled,
    effective,
    shown,
    terminated,
    currentVersion,
    current: currentVersion > 0 ? contentOf((byVersion(currentVersion) as StoredEvent).payload) : null,
    accepts(p: EventPayload): boolean {
      if (p.event === 'issue') return events.length === 0;
      if (events.length === 0 || terminated) return false;
      if ((p.event === 'change' || p.event === 'correction') && issue?.event === 'issue') {
        if (p.product !== issue.product || p.orderer.code !== issue.orderer.code) return false;
      }
      if (p.event === 'correction') return effective.includes(p.targetVersion);
      if (p.event === 'change_cancel') return p.targetVersion === lastChange;
      return true;
    },
  };
}

interface Intent {
  kind: EventKind;
  pick: number;
  amount: number;
  mutate: null | 'product' | 'orderer';
}

const intentArb: fc.Arbitrary<Intent> = fc.record({
  kind: fc.oneof(
    { weight: 4, arbitrary: fc.constant<EventKind>('change') },
    { weight: 3, arbitrary: fc.constant<EventKind>('correction') },
    { weight: 3, arbitrary: fc.constant<EventKind>('change_cancel') },
    { weight: 1, arbitrary: fc.constant<EventKind>('termination') },
    { weight: 1, arbitrary: fc.constant<EventKind>('issue') },
  ),
  pick: fc.nat(1000),
  amount: fc.integer({ min: 1, max: 1_000_000_000 }),
  mutate: fc.oneof(
    { weight: 10, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom('product' as const, 'orderer' as const) },
  ),
});

function payloadFor(intent: Intent, n: number): EventPayload {
  const over: Record<string, unknown> =
    intent.mutate === 'product'
      ? { product: 'interim_advance_payment' }
      : intent.mutate === 'orderer'
        ? { orderer: { code: '2000012100001', name: '国土交通省' } }
        : {};
  const target = (intent.pick % (n + 1)) + 1; // 1..n+1: valid, invalid and nonexistent targets
  switch (intent.kind) {
    case 'issue':
      return ev.issue(intent.amount, over);
    case 'change':
      return ev.change(intent.amount, over);
    case 'correction':
      return ev.correction(target, intent.amount, over);
    case 'change_cancel':
      return ev.cancel(target);
    case 'termination':
      return ev.termination();
  }
}

/** Builds a history by applying only the events checkNextEvent accepts, checking each verdict against the model. */
function build(first: number, intents: Intent[]): StoredEvent[] {
  const events = history(ev.issue(first));
  const correctionProbe = ev.correction(1, 7);
  const cancelProbe = ev.cancel(1);
  if (correctionProbe.event !== 'correction' || cancelProbe.event !== 'change_cancel')
    throw new Error('probe');
  for (const intent of intents) {
    const ref = reference(events);
    // Every possible target, valid or not, must get the same verdict from the rules and from the model.
    for (let t = 1; t <= events.length + 1; t++) {
      const c = { ...correctionProbe, targetVersion: t };
      const x = { ...cancelProbe, targetVersion: t };
      const vc = checkNextEvent(events, c);
      const vx = checkNextEvent(events, x);
      expect(vc.ok, `correction→${t}`).toBe(ref.accepts(c));
      expect(vx.ok, `cancel→${t}`).toBe(ref.accepts(x));
      if (!vc.ok && !ref.terminated) expect(vc.code).toBe('bad-target');
      if (!vx.ok && !ref.terminated) expect(vx.code).toBe('bad-target');
    }
    const p = payloadFor(intent, events.length);
    const verdict = checkNextEvent(events, p);
    expect(verdict.ok).toBe(ref.accepts(p));
    if (verdict.ok) events.push(stored(events, p));
  }
  return events;
}

function assertProjection(events: StoredEvent[]): void {
  const p = project(events);
  const ref = reference(events);

  // rows numbered 1..k, in version order
  expect(p.rows.map((r) => r.no)).toEqual(p.rows.map((_, i) => i + 1));
  for (let i = 1; i < p.rows.length; i++) {
    expect((p.rows[i] as { version: number }).version).toBeGreaterThan(
      (p.rows[i - 1] as { version: number }).version,
    );
  }
  for (const r of p.rows) {
    const e = events[r.version - 1] as StoredEvent;
    // no row is a correction or a cancel, no cancelled change appears
    expect(['issue', 'change', 'termination']).toContain(e.event);
    expect(r.event).toBe(e.event);
    expect(ref.cancelled.has(r.version)).toBe(false);
    if (r.event !== 'termination') {
      expect(r.shownVersion).toBe(ref.shown(r.version));
      expect(r.content).toEqual(contentOf((events[r.shownVersion - 1] as StoredEvent).payload));
      expect(r.issuedAt).toBe((events[r.shownVersion - 1] as StoredEvent).issuedAt);
      expect(r.corrected).toBe(r.shownVersion !== r.version);
    } else {
      expect(r.content).toEqual(ref.current);
    }
  }
  // exactly the non-cancelled issue/change versions (+ termination) are rows
  const expectedRows = [
    ...ref.effective,
    ...events.filter((e) => e.event === 'termination').map((e) => e.version),
  ];
  expect(p.rows.map((r) => r.version)).toEqual(expectedRows);

  // every event appears exactly once in audit, in order, with a consistent reason
  expect(p.audit.map((a) => a.version)).toEqual(events.map((e) => e.version));
  for (const a of p.audit) {
    const e = events[a.version - 1] as StoredEvent;
    expect(a.event).toBe(e.event);
    expect(a.logIndex).toBe(e.logIndex);
    expect(a.visible).toBe(a.hiddenBecause === null);
    const expected =
      e.event === 'correction'
        ? 'correction'
        : e.event === 'change_cancel'
          ? 'cancel'
          : ref.cancelled.has(e.version)
            ? 'cancelled'
            : e.event !== 'termination' && ref.shown(e.version) !== e.version
              ? 'corrected'
              : null;
    expect(a.hiddenBecause).toBe(expected);
  }

  // current = the latest effective version with its corrections applied
  expect(p.current).toEqual(ref.current);
  expect(p.currentVersion).toBe(ref.currentVersion);
  expect(p.status).toBe(ref.terminated ? 'terminated' : 'active');
  expect(p.terminatedAt).toBe(events.find((e) => e.event === 'termination')?.issuedAt ?? null);
}

describe('properties', () => {
  it('random accepted sequences project consistently with the reference model (every prefix)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(intentArb, { maxLength: 20 }),
        (first, intents) => {
          const events = build(first, intents);
          for (let n = 1; n <= events.length; n++) assertProjection(events.slice(0, n));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('nothing is accepted after termination', () => {
    fc.assert(
      fc.property(fc.array(intentArb, { maxLength: 12 }), intentArb, (intents, after) => {
        const events = build(1, intents);
        if (!events.some((e) => e.event === 'termination')) events.push(stored(events, ev.termination()));
        for (const kind of EVENT_KINDS) {
          const p = payloadFor({ ...after, kind }, events.length);
          expect(checkNextEvent(events, p).ok).toBe(false);
        }
      }),
      { numRuns: 100 },
    );
  });
});
