// アカウント: who is signed in, and the two ways to sign out (this browser / every browser).
import type { FC } from 'hono/jsx';
import type { SessionUser } from '../../src/services/sessions.ts';
import { CsrfField } from '../components/csrf-field.tsx';
import { Layout } from '../layout.tsx';

const ROLE_LABEL: Record<SessionUser['role'], string> = {
  clerk: '担当者',
  auditor: '監査担当',
  admin: '管理者',
};

export const AccountPage: FC<{ user: SessionUser; csrfToken: string }> = ({ user, csrfToken }) => (
  <Layout title="アカウント" user={user} csrfToken={csrfToken} current="/account">
    <h1>アカウント</h1>
    <dl class="summary-list">
      <div class="summary-list__row">
        <dt>組織</dt>
        <dd>
          {user.orgName}（<span class="code">{user.orgCode}</span>）
        </dd>
      </div>
      <div class="summary-list__row">
        <dt>ログインID</dt>
        <dd>
          <span class="code">{user.login}</span>
        </dd>
      </div>
      {user.displayName ? (
        <div class="summary-list__row">
          <dt>表示名</dt>
          <dd>{user.displayName}</dd>
        </div>
      ) : null}
      <div class="summary-list__row">
        <dt>権限</dt>
        <dd>{ROLE_LABEL[user.role]}</dd>
      </div>
    </dl>

    <section class="section" aria-labelledby="logout-h">
      <h2 id="logout-h">ログアウト</h2>
      <p>このパソコンの画面からログアウトします。</p>
      <form method="post" action="/logout">
        <CsrfField token={csrfToken} />
        <button class="button button--secondary" type="submit">
          ログアウト
        </button>
      </form>
      <p>
        ほかのパソコンでログインしたままの画面がある場合や、パスワードが他人に知られたおそれがある場合は、すべての端末からログアウトしてください。
      </p>
      <form method="post" action="/logout?all=1">
        <CsrfField token={csrfToken} />
        <button class="button button--warning" type="submit">
          すべての端末からログアウト
        </button>
      </form>
    </section>
  </Layout>
);
