// ログイン画面: the sign-in form, re-rendered with errors (422), the generic failure, or the lockout (429).
import type { FC } from 'hono/jsx';
import type { SessionUser } from '../../src/services/sessions.ts';
import { CsrfField } from '../components/csrf-field.tsx';
import { ErrorSummary, type FieldError } from '../components/error-summary.tsx';
import { Field } from '../components/field.tsx';
import { Notice } from '../components/notice.tsx';
import { Layout } from '../layout.tsx';

export type LoginNotice = 'logged-out' | 'logged-out-all' | 'expired' | 'signin-required';

export interface LoginViewProps {
  /** Someone already signed in on this browser (signing in again replaces that session). */
  user: SessionUser | null;
  csrfToken: string;
  /** Where to go after signing in (already passed through the same-origin check). */
  next: string;
  login: string;
  errors: { login?: string; password?: string };
  /** The generic failure (same text for unknown login, wrong password, disabled account). */
  failed?: boolean;
  retryAfterSeconds?: number;
  notice?: LoginNotice | undefined;
}

/** The generic failure: never says whether the login exists (Copenhagen Book: generic error messages). */
export const LOGIN_FAILED =
  'ログインIDまたはパスワードが正しくありません。入力内容を確認して、もう一度お試しください。';

const NOTICES: Record<LoginNotice, { kind: 'info' | 'success' | 'warning'; text: string }> = {
  'logged-out': { kind: 'success', text: 'ログアウトしました。' },
  'logged-out-all': {
    kind: 'success',
    text: 'すべての端末からログアウトしました。ほかのパソコンで開いていた画面も、再度のログインが必要です。',
  },
  expired: {
    kind: 'warning',
    text: '一定時間操作がなかったため、安全のためログアウトしました。もう一度ログインしてください。',
  },
  'signin-required': { kind: 'info', text: 'このページを表示するには、ログインしてください。' },
};

function minutes(seconds: number): number {
  return Math.max(1, Math.ceil(seconds / 60));
}

export const LoginPage: FC<LoginViewProps> = (p) => {
  const errors: FieldError[] = [];
  if (p.errors.login) errors.push({ field: 'login', message: p.errors.login });
  if (p.errors.password) errors.push({ field: 'password', message: p.errors.password });
  const title = errors.length > 0 || p.failed || p.retryAfterSeconds ? 'ログイン（エラー）' : 'ログイン';
  return (
    <Layout title={title} user={p.user} csrfToken={p.csrfToken} current="/login">
      <div class="narrow">
        <h1>ログイン</h1>
        {p.notice ? <Notice kind={NOTICES[p.notice].kind} title={NOTICES[p.notice].text} live /> : null}
        {p.user ? (
          <Notice
            kind="info"
            title={`${p.user.orgName}の${p.user.displayName ?? p.user.login}としてログインしています。`}
          >
            <p>別のアカウントでログインすると、現在のログインは終了します。</p>
          </Notice>
        ) : null}
        <ErrorSummary errors={errors} />
        {p.failed ? (
          <Notice kind="error" title="ログインできませんでした">
            <p>{LOGIN_FAILED}</p>
            <p>5回続けて間違えると、15分間ログインできなくなります。</p>
          </Notice>
        ) : null}
        {p.retryAfterSeconds ? (
          <Notice kind="error" title="しばらくログインできません">
            <p>
              ログインの失敗が続いたため、安全のため一時的にログインを停止しています。約
              {minutes(p.retryAfterSeconds)}
              分後に、もう一度お試しください。
            </p>
            <p>パスワードが分からない場合は、組織の管理者にお問い合わせください。</p>
          </Notice>
        ) : null}
        <p>発注者の職員の方のログイン画面です。受注者・保証会社の方は、ログインの必要はありません。</p>
        <form class="form" method="post" action="/login" novalidate>
          <CsrfField token={p.csrfToken} />
          <input type="hidden" name="next" value={p.next} />
          <Field
            id="login"
            name="login"
            label="ログインID"
            value={p.login}
            error={p.errors.login}
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            maxlength={64}
          />
          <Field
            id="password"
            name="password"
            type="password"
            label="パスワード"
            error={p.errors.password}
            autocomplete="current-password"
            required
            maxlength={1024}
          />
          <p class="form__actions">
            <button class="button" type="submit">
              ログインする
            </button>
          </p>
        </form>
        <p class="muted">
          パスワードを忘れた場合やログインIDが分からない場合は、所属する組織の管理者にお問い合わせください。
          <a href="/help#login">ログインについてのヘルプ</a>
        </p>
      </div>
    </Layout>
  );
};
