// Certificate history: which event may come next, and the orderer-facing projection (D-Sure display rule) plus the audit view.
import {
  type CertificateContent,
  contentOf,
  EVENT_LABELS,
  type EventKind,
  type EventPayload,
} from './certificate.ts';

export interface StoredEvent {
  /** 1, 2, 3… per certificate, in arrival order. */
  version: number;
  event: EventKind;
  targetVersion: number | null;
  /** Arrival time (ms) — the 電子保証発行日時 of this event. */
  issuedAt: number;
  logIndex: number;
  payload: EventPayload;
}

export type NextEventCheck =
  | { ok: true }
  | {
      ok: false;
      code: 'not-found' | 'already-exists' | 'terminated' | 'bad-target' | 'immutable-field';
      message: string;
      path?: string;
    };

export interface HistoryRow {
  /** 1.. display order. */
  no: number;
  /** The original version k of this row. */
  version: number;
  /** The event version whose content is shown (the latest correction of k, or k). */
  shownVersion: number;
  event: 'issue' | 'change' | 'termination';
  /** Arrival time of the shown version. */
  issuedAt: number;
  corrected: boolean;
  /** For termination: the content in force at termination. */
  content: CertificateContent;
}

export interface AuditRow {
  version: number;
  event: EventKind;
  targetVersion: number | null;
  issuedAt: number;
  logIndex: number;
  /** True when this event's own content is what the orderer sees as a row. */
  visible: boolean;
  /**
   * 'correction': a 訂正 event (its content is shown in its target's row, it is not a row itself);
   * 'corrected': an issue/change whose original content was replaced by a later 訂正;
   * 'cancelled': a 変更 withdrawn by a 変更取消; 'cancel': the 変更取消 event itself.
   */
  hiddenBecause: null | 'correction' | 'corrected' | 'cancelled' | 'cancel';
}

export interface Projection {
  status: 'active' | 'terminated';
  current: CertificateContent;
  /** The event version whose content is current: the latest correction of the current row, or the row itself. */
  currentVersion: number;
  rows: HistoryRow[];
  audit: AuditRow[];
  terminatedAt: number | null;
}

// ---------------------------------------------------------------------------------------------
// State folded from the events so far (shared by checkNextEvent and project)
// ---------------------------------------------------------------------------------------------

interface State {
  events: StoredEvent[];
  contractNumber: string | null;
  /** product / orderer.code fixed at 新規 (immutable afterwards). */
  product: string | null;
  ordererCode: string | null;
  /** Versions of issue/change events that carry a row, in version order (cancelled ones removed). */
  effective: number[];
  /** k → version of the latest 訂正 of k. */
  latestCorrection: Map<number, number>;
  cancelled: Set<number>;
  termination: StoredEvent | null;
}

function emptyState(): State {
  return {
    events: [],
    contractNumber: null,
    product: null,
    ordererCode: null,
    effective: [],
    latestCorrection: new Map(),
    cancelled: new Set(),
    termination: null,
  };
}

/** The latest still-effective 変更, which is the only one a 変更取消 may withdraw (undo is last-in, first-out). */
function latestEffectiveChange(s: State): number | null {
  for (let i = s.effective.length - 1; i >= 0; i--) {
    const v = s.effective[i] as number;
    if (s.events[v - 1]?.event === 'change') return v;
  }
  return null;
}

function reject(
  code: Exclude<NextEventCheck, { ok: true }>['code'],
  message: string,
  path?: string,
): NextEventCheck {
  return path === undefined ? { ok: false, code, message } : { ok: false, code, message, path };
}

function check(s: State, next: EventPayload): NextEventCheck {
  if (next.event === 'issue') {
    // "issue only for a new contract number" (api.md)
    return s.events.length === 0
      ? { ok: true }
      : reject(
          'already-exists',
          `保証契約番号 ${next.contractNumber} はすでに登録されています。変更・訂正などは対応するイベント種別で送ってください`,
          'contractNumber',
        );
  }
  if (s.events.length === 0 || (s.contractNumber !== null && s.contractNumber !== next.contractNumber)) {
    return reject(
      'not-found',
      `保証契約番号 ${next.contractNumber} の電子保証が見つかりません。先に新規（issue）を送るか、番号を確認してください`,
      'contractNumber',
    );
  }
  // "a termination'ed certificate takes no further events" (api.md)
  if (s.termination !== null) {
    return reject(
      'terminated',
      `保証契約番号 ${next.contractNumber} は解約済みのため、これ以上イベントを受け付けられません`,
    );
  }

  if (next.event === 'correction' || next.event === 'change') {
    // product and orderer.code are fixed at 新規: a different product or orderer is a different guarantee.
    if (next.product !== s.product) {
      return reject(
        'immutable-field',
        `商品（product）は新規時の値（${s.product ?? ''}）から変更できません。別の商品は新しい保証契約番号で新規に送ってください`,
        'product',
      );
    }
    if (next.orderer.code !== s.ordererCode) {
      return reject(
        'immutable-field',
        `発注者コードは新規時の値（${s.ordererCode ?? ''}）から変更できません。別の発注者は新しい保証契約番号で新規に送ってください`,
        'orderer.code',
      );
    }
  }

  if (next.event === 'correction') {
    // 訂正 replaces an issue/change that is still shown; corrections, cancels, cancelled changes and the
    // termination have no content of their own to fix.
    const t = next.targetVersion;
    const target = s.events[t - 1];
    if (
      target === undefined ||
      (target.event !== 'issue' && target.event !== 'change') ||
      s.cancelled.has(t)
    ) {
      const allowed = s.effective.join(', ');
      return reject(
        'bad-target',
        `訂正の対象バージョン ${t} は訂正できません。取り消されていない新規・変更のバージョン（${allowed}）を指定してください`,
        'targetVersion',
      );
    }
    return { ok: true };
  }

  if (next.event === 'change_cancel') {
    const t = next.targetVersion;
    const latest = latestEffectiveChange(s);
    if (latest === null) {
      return reject(
        'bad-target',
        '取り消せる変更がありません。変更取消は有効な変更（change）があるときだけ送ってください',
        'targetVersion',
      );
    }
    if (t !== latest) {
      return reject(
        'bad-target',
        `変更取消の対象バージョン ${t} は取り消せません。取り消せるのは最新の有効な変更（バージョン ${latest}）だけです`,
        'targetVersion',
      );
    }
    return { ok: true };
  }

  // change / termination need nothing more than a live certificate.
  return { ok: true };
}

function apply(s: State, e: StoredEvent): void {
  const p = e.payload;
  s.events.push(e);
  switch (p.event) {
    case 'issue':
      s.contractNumber = p.contractNumber;
      s.product = p.product;
      s.ordererCode = p.orderer.code;
      s.effective.push(e.version);
      break;
    case 'change':
      s.effective.push(e.version);
      break;
    case 'correction':
      s.latestCorrection.set(p.targetVersion, e.version);
      break;
    case 'change_cancel':
      s.cancelled.add(p.targetVersion);
      s.effective = s.effective.filter((v) => v !== p.targetVersion);
      break;
    case 'termination':
      s.termination = e;
      break;
  }
}

/**
 * The event rules: issue only when events is empty; every other event only when non-empty; nothing after
 * termination; correction targets an existing issue/change version that has not been cancelled;
 * change_cancel targets the latest still-effective change; product and orderer.code never change after
 * issue (contractor, amounts, periods etc. may).
 */
export function checkNextEvent(events: StoredEvent[], next: EventPayload): NextEventCheck {
  const s = emptyState();
  for (const e of events) apply(s, e);
  return check(s, next);
}

// ---------------------------------------------------------------------------------------------
// Projection
// ---------------------------------------------------------------------------------------------

function contentAt(s: State, version: number): CertificateContent {
  const c = contentOf((s.events[version - 1] as StoredEvent).payload);
  if (c === null) throw new Error(`history: version ${version} carries no content`);
  return c;
}

/** Version whose content stands for row k: its latest 訂正, else k itself. */
function shownVersionOf(s: State, k: number): number {
  return s.latestCorrection.get(k) ?? k;
}

/**
 * Orderer history and audit view. Seed: 「訂正、変更取消された履歴は表示されません」 —
 * 訂正 replaces the version it corrects (row k shows the latest correction's content and arrival time;
 * the correction is not a row); 変更取消 hides both the cancelled 変更 and itself, and current content
 * reverts to what was in force before that change (with corrections to earlier versions applied);
 * 解約 is a visible row, status becomes 'terminated', current content stays. Auditors see every event.
 *
 * Throws on an empty list, or on a list checkNextEvent would not have produced (events are replayed
 * through the same rules, so a corrupted or hand-edited history is loud, not quietly mis-rendered).
 */
export function project(events: StoredEvent[]): Projection {
  if (events.length === 0) throw new Error('history: no events');
  const s = emptyState();
  events.forEach((e, i) => {
    if (e.version !== i + 1) throw new Error(`history: expected version ${i + 1}, got ${e.version}`);
    if (e.event !== e.payload.event) {
      throw new Error(
        `history: version ${e.version} is stored as ${e.event} but its payload is ${e.payload.event}`,
      );
    }
    const payloadTarget = e.payload.targetVersion ?? null;
    if (e.targetVersion !== payloadTarget) {
      throw new Error(
        `history: version ${e.version} targetVersion ${e.targetVersion} ≠ payload ${payloadTarget}`,
      );
    }
    const verdict = check(s, e.payload);
    if (!verdict.ok) {
      throw new Error(
        `history: version ${e.version} (${EVENT_LABELS[e.event]}) breaks the rules: ${verdict.message}`,
      );
    }
    apply(s, e);
  });

  const rows: HistoryRow[] = [];
  for (const e of events) {
    if (e.event === 'issue' || e.event === 'change') {
      if (s.cancelled.has(e.version)) continue;
      const shown = shownVersionOf(s, e.version);
      rows.push({
        no: rows.length + 1,
        version: e.version,
        shownVersion: shown,
        event: e.event,
        issuedAt: (events[shown - 1] as StoredEvent).issuedAt,
        corrected: shown !== e.version,
        content: contentAt(s, shown),
      });
    }
  }

  // Current = the latest effective issue/change, with its latest correction applied. An issue can never
  // be cancelled, so `effective` is never empty here.
  const currentRowVersion = s.effective[s.effective.length - 1] as number;
  const currentVersion = shownVersionOf(s, currentRowVersion);
  const current = contentAt(s, currentVersion);

  if (s.termination !== null) {
    // The termination is last (nothing follows it), so the content in force at termination is `current`.
    rows.push({
      no: rows.length + 1,
      version: s.termination.version,
      shownVersion: s.termination.version,
      event: 'termination',
      issuedAt: s.termination.issuedAt,
      corrected: false,
      content: current,
    });
  }

  const audit: AuditRow[] = events.map((e) => {
    let hiddenBecause: AuditRow['hiddenBecause'] = null;
    if (e.event === 'correction') hiddenBecause = 'correction';
    else if (e.event === 'change_cancel') hiddenBecause = 'cancel';
    else if (s.cancelled.has(e.version)) hiddenBecause = 'cancelled';
    else if (s.latestCorrection.has(e.version)) hiddenBecause = 'corrected';
    return {
      version: e.version,
      event: e.event,
      targetVersion: e.targetVersion,
      issuedAt: e.issuedAt,
      logIndex: e.logIndex,
      visible: hiddenBecause === null,
      hiddenBecause,
    };
  });

  return {
    status: s.termination === null ? 'active' : 'terminated',
    current,
    currentVersion,
    rows,
    audit,
    terminatedAt: s.termination?.issuedAt ?? null,
  };
}
