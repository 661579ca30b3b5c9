// 保証確認 screen: 保証契約番号 + 認証キー form (page and the htmx fragment it swaps), the one generic failure
// message, and the polite "please wait" when attempts are throttled. The key is never echoed back.
import type { FC } from 'hono/jsx';
import type { SessionUser } from '../../src/services/sessions.ts';
import { CsrfField } from '../components/csrf-field.tsx';
import { ErrorSummary, type FieldError } from '../components/error-summary.tsx';
import { Field } from '../components/field.tsx';
import { Notice } from '../components/notice.tsx';
import { Layout } from '../layout.tsx';

export const VERIFY_TITLE = '保証確認';

/**
 * domain.md: "Wrong number or wrong key gives one generic message (no hint which was wrong)" — the same words
 * for a number that does not exist, a wrong key and another organisation's certificate.
 */
export const GENERIC_FAILURE =
  '保証契約番号または認証キーが正しくありません。受注者から届いた「認証キーのお知らせ」の記載を確認して、もう一度入力してください。';

export interface VerifyViewProps {
  /** The number as typed, kept so the clerk only retypes the key. */
  contractNumber: string;
  errors: { contractNumber?: string; authKey?: string };
  /** The generic failure (wrong number / key / organisation). */
  failed: boolean;
  /** Seconds until attempts are accepted again, when throttled or locked. */
  retryAfterSeconds: number | null;
}

function waitText(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  return minutes <= 1 ? '1分ほど' : `${minutes}分ほど`;
}

/** The part htmx swaps: messages and the form. hx-target is on the form itself (htmx 4 does not inherit). */
export const VerifyPanel: FC<VerifyViewProps & { csrfToken: string }> = ({
  contractNumber,
  errors,
  failed,
  retryAfterSeconds,
  csrfToken,
}) => {
  const fieldErrors: FieldError[] = [];
  if (errors.contractNumber) fieldErrors.push({ field: 'contract-number', message: errors.contractNumber });
  if (errors.authKey) fieldErrors.push({ field: 'auth-key', message: errors.authKey });
  if (failed) fieldErrors.push({ field: 'contract-number', message: GENERIC_FAILURE });
  return (
    <div id="verify-panel" class="verify-panel">
      {retryAfterSeconds !== null ? (
        <Notice kind="error" title="しばらく時間をおいてから、もう一度お試しください">
          <p>
            確認に失敗した回数が多いため、保証確認の受け付けを一時的に停止しています。
            {waitText(retryAfterSeconds)}たってから、もう一度入力してください。
          </p>
          <p>
            お急ぎの場合は、受注者に「認証キーのお知らせ」の内容（保証契約番号と認証キー）をご確認ください。
          </p>
        </Notice>
      ) : (
        <ErrorSummary errors={fieldErrors} />
      )}
      <form
        class="verify-form"
        method="post"
        action="/verify"
        hx-post="/verify"
        hx-target="#verify-panel"
        hx-swap="outerHTML"
        hx-disable="find button"
        novalidate
      >
        <CsrfField token={csrfToken} />
        <Field
          id="contract-number"
          name="contractNumber"
          label="保証契約番号"
          hint="例：31074-00001M（ハイフンや空白、大文字小文字は区別しません）"
          value={contractNumber}
          error={errors.contractNumber ?? (failed ? '保証契約番号と認証キーを確認してください。' : undefined)}
          required
          autocomplete="off"
          spellcheck={false}
          autocapitalize="characters"
          width="medium"
          maxlength={64}
        />
        <Field
          id="auth-key"
          name="authKey"
          label="認証キー"
          hint="例：ABCD-EFGH-JKMN-PQRS（ハイフンや空白、大文字小文字は区別しません）"
          error={errors.authKey}
          required
          autocomplete="off"
          spellcheck={false}
          autocapitalize="characters"
          width="medium"
          maxlength={64}
        />
        <div class="form__actions">
          <button class="button" type="submit">
            確認する
          </button>
        </div>
      </form>
    </div>
  );
};

export const VerifyPage: FC<VerifyViewProps & { user: SessionUser; csrfToken: string }> = ({
  user,
  csrfToken,
  ...props
}) => {
  const hasError = props.failed || props.retryAfterSeconds !== null || Object.keys(props.errors).length > 0;
  return (
    <Layout
      title={hasError ? `エラー：${VERIFY_TITLE}` : VERIFY_TITLE}
      user={user}
      csrfToken={csrfToken}
      current="/verify"
    >
      <h1>{VERIFY_TITLE}</h1>
      <p class="lead">
        受注者から届いた「電子保証にかかる「認証キー」のお知らせ」（PDF）に記載の
        <strong>保証契約番号</strong>と<strong>認証キー</strong>を入力してください。
      </p>
      <p>
        確認できた保証は「<a href="/certificates">確認済み保証一覧</a>
        」に追加され、以後は認証キーなしで表示できます。確認できるのは、発注者が「{user.orgName}
        」となっている保証です。
      </p>
      <VerifyPanel csrfToken={csrfToken} {...props} />
    </Layout>
  );
};
