// One access event (/audit/events/:index): what the row says, the exact leaf bytes in the access log (its JSON body
// shown), the inclusion proof against the latest signed checkpoint and the result of verifying both here — with
// what an auditor needs to repeat the check elsewhere (the vkey, the checkpoint note, the proof path).
import type { FC } from 'hono/jsx';
import type { EventDetail } from '../../src/services/audit-events.ts';
import type { SessionUser } from '../../src/services/sessions.ts';
import { Layout } from '../layout.tsx';
import { AuditNav, AuditStyles, actionLabel, Check, formatJst, OutcomeBadge } from './parts.tsx';

export function eventTitle(index: number): string {
  return `アクセスイベント ログ番号 ${index}`;
}

function prettyDetail(detail: string | null): string {
  if (detail === null) return '―';
  try {
    return JSON.stringify(JSON.parse(detail), null, 2);
  } catch {
    return detail;
  }
}

/** The part htmx swaps in (and the page's main content). */
export const EventDetailBody: FC<{ d: EventDetail; isPlatform: boolean }> = ({ d, isPlatform }) => {
  const { row, actorLabel } = d.item;
  return (
    <div id="audit-event" class="audit-event">
      <section class="section" aria-labelledby="ev-record-h">
        <h2 id="ev-record-h">記録の内容</h2>
        <dl class="summary-list">
          <div class="summary-list__row">
            <dt>ログ番号</dt>
            <dd>{row.log_index}</dd>
          </div>
          <div class="summary-list__row">
            <dt>日時（日本時間）</dt>
            <dd>
              {formatJst(row.at)}
              <span class="audit-key">{new Date(row.at).toISOString()}</span>
            </dd>
          </div>
          <div class="summary-list__row">
            <dt>操作</dt>
            <dd>
              {actionLabel(row.action)}
              <span class="audit-key">{row.action}</span>
            </dd>
          </div>
          <div class="summary-list__row">
            <dt>結果</dt>
            <dd>
              <OutcomeBadge outcome={row.outcome} />
            </dd>
          </div>
          <div class="summary-list__row">
            <dt>操作者</dt>
            <dd>
              {actorLabel ?? row.actor ?? '―'}
              {actorLabel && row.actor ? <span class="audit-key">{row.actor}</span> : null}
            </dd>
          </div>
          <div class="summary-list__row">
            <dt>組織</dt>
            <dd>{row.org_code ?? '―'}</dd>
          </div>
          <div class="summary-list__row">
            <dt>保証契約番号</dt>
            <dd>{row.target ?? '―'}</dd>
          </div>
          <div class="summary-list__row">
            <dt>IP アドレス</dt>
            <dd>{row.ip ?? '保存期間を過ぎたため削除済み、または記録なし'}</dd>
          </div>
          <div class="summary-list__row">
            <dt>ユーザーエージェント</dt>
            <dd class="audit-break">{row.user_agent ?? '保存期間を過ぎたため削除済み、または記録なし'}</dd>
          </div>
          <div class="summary-list__row">
            <dt>リクエストID</dt>
            <dd class="audit-break">{row.request_id ?? '―'}</dd>
          </div>
          <div class="summary-list__row">
            <dt>詳細</dt>
            <dd>
              <pre class="audit-code">{prettyDetail(row.detail)}</pre>
            </dd>
          </div>
        </dl>
        <p class="muted">
          IP
          アドレスとユーザーエージェントは、この画面のための記録（access_events）にだけ保存され、ログのリーフには
          IP アドレスの HMAC（net）だけが入ります。
        </p>
      </section>

      <section class="section" aria-labelledby="ev-verify-h">
        <h2 id="ev-verify-h">検証結果</h2>
        <Check ok={d.leafMatchesRow}>
          {d.leafMatchesRow
            ? 'ログのリーフは、上の記録（操作・操作者・日時・net・結果・保証契約番号）をそのまま表しています。'
            : 'ログのリーフが上の記録と一致しません。記録が書き換えられた可能性があります。'}
        </Check>
        {d.ipMatchesNet === null ? null : (
          <Check ok={d.ipMatchesNet}>
            {d.ipMatchesNet
              ? '保存されている IP アドレスから計算した HMAC は、リーフの net と一致します。'
              : '保存されている IP アドレスがリーフの net と一致しません。IP アドレスが記録後に書き換えられた可能性があります。'}
          </Check>
        )}
        <Check ok={d.signatureOk}>
          {d.signatureOk
            ? `最新のチェックポイント（木の大きさ ${d.checkpoint.size}）の署名は、このログの検証鍵で正しく検証できました。`
            : `最新のチェックポイントの署名を検証できません（${d.signatureError ?? '不明な理由'}）。`}
        </Check>
        {d.proof === null ? (
          <p>
            この記録は最新のチェックポイントより新しいため、包含証明はまだありません。少し待ってから表示し直してください。
          </p>
        ) : (
          <Check ok={d.proofOk}>
            {d.proofOk
              ? 'リーフのハッシュを計算し直し、包含証明でチェックポイントの root まで計算できました。この記録は署名済みのログに含まれています。'
              : '包含証明からチェックポイントの root を再現できません。'}
          </Check>
        )}
      </section>

      <section class="section" aria-labelledby="ev-leaf-h">
        <h2 id="ev-leaf-h">ログのリーフ</h2>
        <p>
          リーフのバイト列（UTF-8）：<code>densho/access/v1</code> の行に続く JSON（RFC 8785 の正規形）です。
        </p>
        <pre class="audit-code audit-break">{d.leafText}</pre>
        <h3>JSON の内容</h3>
        <pre class="audit-code">{d.leafBody}</pre>
        <dl class="summary-list">
          <div class="summary-list__row">
            <dt>リーフのハッシュ</dt>
            <dd>
              <code class="audit-break">{d.leafHash}</code>
              <span class="audit-key">SHA-256(0x00 ‖ リーフ)、base64</span>
            </dd>
          </div>
        </dl>
      </section>

      <section class="section" aria-labelledby="ev-proof-h">
        <h2 id="ev-proof-h">包含証明とチェックポイント</h2>
        <dl class="summary-list">
          <div class="summary-list__row">
            <dt>木の大きさ</dt>
            <dd>{d.checkpoint.size}</dd>
          </div>
          <div class="summary-list__row">
            <dt>root</dt>
            <dd>
              <code class="audit-break">{d.checkpoint.root}</code>
            </dd>
          </div>
          <div class="summary-list__row">
            <dt>検証鍵（vkey）</dt>
            <dd>
              <code class="audit-break">{d.vkey}</code>
            </dd>
          </div>
        </dl>
        {d.proof !== null ? (
          <>
            <h3>包含証明（RFC 6962 PATH、リーフ側から）</h3>
            {d.proof.length === 0 ? (
              <p>木にリーフが1件だけのため、証明は空です。</p>
            ) : (
              <ol class="audit-proof">
                {d.proof.map((h) => (
                  <li>
                    <code class="audit-break">{h}</code>
                  </li>
                ))}
              </ol>
            )}
          </>
        ) : null}
        <h3>署名付きチェックポイント</h3>
        <pre class="audit-code audit-break">{d.checkpoint.note}</pre>
        {isPlatform ? (
          <p>
            同じ証明は{' '}
            <a
              href={`/audit/log/access/proof/inclusion?index=${d.item.row.log_index}&size=${d.checkpoint.size}`}
            >
              アクセスログ API
            </a>{' '}
            からも取得できます。
          </p>
        ) : null}
      </section>
    </div>
  );
};

export const EventDetailPage: FC<{
  user: SessionUser;
  csrfToken: string;
  d: EventDetail;
  isPlatform: boolean;
}> = ({ user, csrfToken, d, isPlatform }) => (
  <Layout title={eventTitle(d.item.row.log_index)} user={user} csrfToken={csrfToken} current="/audit/events">
    <AuditStyles />
    <h1>{eventTitle(d.item.row.log_index)}</h1>
    <AuditNav current="/audit/events" user={user} />
    <p>
      <a href="/audit/events">アクセスログの一覧へ戻る</a>
    </p>
    <EventDetailBody d={d} isPlatform={isPlatform} />
  </Layout>
);
