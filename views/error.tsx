// Error pages (403, 404, 413, 429, 500): what happened and what to do next, in polite Japanese. The fragment
// is what htmx swaps in when a partial request fails (htmx 4 swaps 4xx/5xx responses by default).
import type { FC } from 'hono/jsx';
import type { SessionUser } from '../src/services/sessions.ts';
import { Layout } from './layout.tsx';

export type ErrorReason = 'role' | 'csrf' | 'not-found' | 'too-large' | 'internal';

interface ErrorText {
  title: string;
  paragraphs: string[];
}

function text(status: number, reason: ErrorReason, signedIn: boolean): ErrorText {
  switch (reason) {
    case 'csrf':
      return {
        title: '操作を受け付けられませんでした',
        paragraphs: [
          'このページの有効期限が切れたか、別のサイトから送信された可能性があるため、処理を中止しました。',
          '元のページに戻って再読み込み（F5 キー）してから、もう一度操作してください。',
        ],
      };
    case 'role':
      return {
        title: 'このページを表示する権限がありません',
        paragraphs: [
          'お使いのアカウントには、このページを表示する権限がありません。',
          '必要な場合は、組織の管理者に権限の変更を依頼してください。',
        ],
      };
    case 'too-large':
      return {
        title: '送信された内容が大きすぎます',
        paragraphs: ['入力内容を短くしてから、もう一度送信してください。'],
      };
    case 'internal':
      return {
        title: 'システムで問題が発生しました',
        paragraphs: [
          'ご不便をおかけして申し訳ありません。処理を完了できませんでした。',
          'しばらく時間をおいてから、もう一度お試しください。解決しない場合は、下の受付番号を添えて運営者にお問い合わせください。',
        ],
      };
    default:
      return {
        title: status === 404 ? 'ページが見つかりません' : 'エラーが発生しました',
        paragraphs: [
          'お探しのページは、移動または削除されたか、アドレスが間違っている可能性があります。',
          signedIn
            ? 'アドレスを確認するか、上のメニューから目的のページを開いてください。'
            : 'アドレスを確認するか、トップページからお探しください。',
        ],
      };
  }
}

export interface ErrorViewProps {
  status: number;
  reason: ErrorReason;
  user: SessionUser | null;
  csrfToken: string;
  requestId: string | null;
}

export const ErrorMessage: FC<ErrorViewProps> = ({ status, reason, user, requestId }) => {
  const t = text(status, reason, user !== null);
  return (
    <section class="error-page" aria-labelledby="error-title">
      <h1 id="error-title">{t.title}</h1>
      {t.paragraphs.map((p) => (
        <p>{p}</p>
      ))}
      {reason === 'internal' && requestId ? (
        <p class="error-page__ref">
          受付番号：<code>{requestId}</code>
        </p>
      ) : null}
      <p class="error-page__status">エラーコード：{status}</p>
      <p>
        <a href="/">トップページへ戻る</a>
      </p>
    </section>
  );
};

export const ErrorPage: FC<ErrorViewProps> = (props) => (
  <Layout
    title={text(props.status, props.reason, props.user !== null).title}
    user={props.user}
    csrfToken={props.csrfToken}
  >
    <ErrorMessage {...props} />
  </Layout>
);
