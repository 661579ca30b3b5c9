// Building blocks of the auditor console: the section's own navigation, Japanese labels for actions and outcomes,
// the outcome badge, the ✓/✗ verification line, and URL builders that keep the current filters.
import type { Child, FC } from 'hono/jsx';
import type { AuditFilters } from '../../src/services/audit-events.ts';
import { filterParams } from '../../src/services/audit-events.ts';
import type { SessionUser } from '../../src/services/sessions.ts';
import { Badge, type BadgeKind } from '../components/badge.tsx';

export { formatJst } from '../certificates/format.ts';

/** The console's stylesheet (chart, code blocks, verification lines). */
export const AuditStyles: FC = () => <link rel="stylesheet" href="/static/audit.css" />;

const SECTIONS = [
  { href: '/audit', label: '概要' },
  { href: '/audit/events', label: 'アクセスログ' },
  { href: '/audit/integrity', label: 'ログの完全性' },
] as const;

/** The console's own menu (the site menu belongs to the orderer screens). */
export const AuditNav: FC<{ current: (typeof SECTIONS)[number]['href'] | null; user: SessionUser }> = ({
  current,
  user,
}) => (
  <nav class="audit-nav" aria-label="監査メニュー">
    <ul class="audit-nav__list">
      {SECTIONS.map((s) => (
        <li>
          <a class="audit-nav__link" href={s.href} aria-current={s.href === current ? 'page' : undefined}>
            {s.label}
          </a>
        </li>
      ))}
    </ul>
    <p class="audit-nav__scope">
      {user.orgKind === 'platform'
        ? '表示範囲：プラットフォーム全体'
        : `表示範囲：${user.orgName}（所属する利用者の操作と、発注者として受け取る保証への操作）`}
    </p>
  </nav>
);

const ACTION_LABELS: Record<string, string> = {
  'auth.login': 'ログイン',
  'auth.logout': 'ログアウト',
  'auth.session_expired': 'セッションの期限切れ',
  'certificate.verify': '保証確認',
  'verify.lock': '保証確認のロック',
  'certificate.view': '保証証書の表示',
  'certificate.version_view': '保証証書（版）の表示',
  'certificate.copy_view': '写しの表示',
  'certificate.list': '確認済み保証一覧の表示',
  'certificate.acknowledge': '受領・返戻',
  'api.acknowledgements.read': '受領・返戻の取得（API）',
  'api.certificate.push': '保証の送信（API）',
  'api.certificate.read': '保証の照会（API）',
  'admin.org.add': '組織の登録',
  'admin.org.update': '組織の変更',
  'admin.user.add': '利用者の登録',
  'admin.user.disable': '利用者の無効化',
  'admin.surety-key.add': '保証会社鍵の登録',
  'admin.surety-key.revoke': '保証会社鍵の失効',
  'admin.keys.rotate': '受領証鍵の更新',
  'audit.query': '監査：照会',
  'audit.export': '監査：書き出し',
  'audit.integrity': '監査：完全性の検証',
};

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? action;
}

const OUTCOME_LABELS: Record<string, [string, BadgeKind]> = {
  success: ['成功', 'success'],
  accepted: ['受付', 'success'],
  replayed: ['再送（受付済み）', 'info'],
  rejected: ['拒否', 'danger'],
  busy: ['混雑で拒否', 'warning'],
  ok: ['成功', 'success'],
  consistent: ['整合', 'success'],
  received: ['受領', 'info'],
  returned: ['返戻', 'info'],
  started: ['開始', 'info'],
  idle: ['無操作で終了', 'neutral'],
  absolute: ['有効期限で終了', 'neutral'],
  not_found: ['該当なし', 'warning'],
  failure: ['失敗', 'danger'],
  failed: ['不一致を検出', 'danger'],
  error: ['エラー', 'danger'],
  wrong_key: ['認証キー誤り', 'danger'],
  unknown_number: ['番号なし', 'danger'],
  foreign_org: ['他の発注者の保証', 'danger'],
  locked: ['ロック', 'danger'],
  throttled: ['回数制限', 'danger'],
  inconsistent: ['不整合', 'danger'],
  'bad-signature': ['署名不正', 'danger'],
  beyond: ['未発行の大きさ', 'danger'],
};

export function outcomeLabel(outcome: string): string {
  return OUTCOME_LABELS[outcome]?.[0] ?? outcome;
}

export const OutcomeBadge: FC<{ outcome: string }> = ({ outcome }) => {
  const [label, kind] = OUTCOME_LABELS[outcome] ?? [outcome, 'neutral'];
  return (
    <Badge kind={kind}>
      {label}
      {label !== outcome ? <span class="audit-key">（{outcome}）</span> : null}
    </Badge>
  );
};

/** A verification result: the mark is decoration, the words carry the meaning (never colour or symbol alone). */
export const Check: FC<{ ok: boolean; children?: Child }> = ({ ok, children }) => (
  <p class={ok ? 'audit-check audit-check--ok' : 'audit-check audit-check--ng'}>
    <span class="audit-check__mark" aria-hidden="true">
      {ok ? '✓' : '✗'}
    </span>
    <strong class="audit-check__word">{ok ? '検証成功' : '検証失敗'}</strong>
    <span class="audit-check__text">{children}</span>
  </p>
);

export function eventsHref(filters: AuditFilters, before: number | null = null): string {
  const p = new URLSearchParams(filterParams(filters));
  if (before !== null) p.set('before', String(before));
  const qs = p.toString();
  return qs === '' ? '/audit/events' : `/audit/events?${qs}`;
}

export function exportHref(filters: AuditFilters, format: 'csv' | 'jsonl'): string {
  const qs = new URLSearchParams(filterParams(filters)).toString();
  return `/audit/events.${format}${qs === '' ? '' : `?${qs}`}`;
}

export function eventHref(index: number): string {
  return `/audit/events/${index}`;
}
