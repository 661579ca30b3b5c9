// <Layout>: the page frame every screen shares — skip link, header with service name and navigation, the
// signed-in organisation and a logout button, <main>, footer. No inline script or style (CSP: 'self' only).
import { raw } from 'hono/html';
import type { Child, FC } from 'hono/jsx';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { SessionUser } from '../src/services/sessions.ts';
import { CsrfField } from './components/csrf-field.tsx';
import { escapeHtml } from './escape.ts';

export const HTMX_SCRIPT = '/static/vendor/htmx-4.0.1.min.js';

export interface LayoutProps {
  title: string;
  user: SessionUser | null;
  csrfToken: string;
  children?: Child;
  /** The nav href of the current section (e.g. '/orderers'); gets aria-current="page". */
  current?: string;
  /**
   * Focus <main> when htmx swaps this page in (it focuses [autofocus] after a swap): a screen reader then starts
   * at the new content instead of a button that no longer exists. Ordinary page loads leave focus alone.
   */
  focusMain?: boolean;
}

interface NavItem {
  href: string;
  label: string;
}

function navItems(user: SessionUser | null): NavItem[] {
  const common: NavItem[] = [
    { href: '/orderers', label: '対応発注者一覧' },
    { href: '/help', label: 'ヘルプ' },
  ];
  // 監査 for auditors and admins (the console scopes what they see); 保証確認 only for the roles allowed to
  // verify (auditors get 403 there, so they are not offered it).
  const audit: NavItem[] =
    user && (user.role === 'auditor' || user.role === 'admin') ? [{ href: '/audit', label: '監査' }] : [];
  // 保証確認 and 確認済み保証一覧 belong to orderer organisations (domain.md: only they hold certificates).
  if (user?.orgKind === 'orderer') {
    const verify: NavItem[] = user.role === 'auditor' ? [] : [{ href: '/verify', label: '保証確認' }];
    return [...verify, { href: '/certificates', label: '確認済み保証一覧' }, ...audit, ...common];
  }
  return [{ href: '/', label: 'トップ' }, ...audit, ...common];
}

const Nav: FC<{ user: SessionUser | null; current: string | undefined }> = ({ user, current }) => (
  <nav class="site-nav" aria-label="メインメニュー">
    <ul class="site-nav__list container">
      {navItems(user).map((item) => (
        <li>
          <a
            class="site-nav__link"
            href={item.href}
            aria-current={item.href === current ? 'page' : undefined}
          >
            {item.label}
          </a>
        </li>
      ))}
    </ul>
  </nav>
);

const Account: FC<{ user: SessionUser; csrfToken: string }> = ({ user, csrfToken }) => (
  <div class="account">
    <p class="account__who">
      <span class="account__org">{user.orgName}</span>
      <a class="account__name" href="/account">
        {user.displayName ?? user.login}
        <span class="visually-hidden">（アカウント情報）</span>
      </a>
    </p>
    <form class="account__logout" method="post" action="/logout">
      <CsrfField token={csrfToken} />
      <button class="button button--secondary button--small" type="submit">
        ログアウト
      </button>
    </form>
  </div>
);

/**
 * <head> as one pre-escaped string: it is static but for its title, and holds a <script>, which the JSX runtime
 * does not write (views/jsx/jsx-runtime.ts refuses <head>, <script>, <style> and <svg>).
 */
export function documentHead(title: string): HtmlEscapedString {
  return raw(
    `<head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>` +
      // htmx's own indicator styles are injected from script; ours live in app.css (CSP: styles from 'self').
      `<meta name="htmx-config" content="{&quot;includeIndicatorCSS&quot;:false}"/>` +
      `<title>${escapeHtml(`${title} — 電証`)}</title>` +
      `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"/>` +
      `<link rel="stylesheet" href="/static/app.css"/>` +
      `<link rel="stylesheet" href="/static/print.css" media="print"/>` +
      `<script src="${HTMX_SCRIPT}" defer=""></script></head>`,
  );
}

export const Layout: FC<LayoutProps> = ({ title, user, csrfToken, children, current, focusMain }) => (
  <html lang="ja">
    {documentHead(title)}
    <body>
      <a class="skip-link" href="#main">
        本文へ移動
      </a>
      <header class="site-header">
        <div class="site-header__bar container">
          <a class="brand" href="/">
            <span class="brand__name">電証</span>
            <span class="brand__tagline">電子保証 確認サービス</span>
          </a>
          {user && csrfToken ? (
            <Account user={user} csrfToken={csrfToken} />
          ) : current === '/login' ? null : (
            <a class="button button--secondary button--small site-header__login" href="/login">
              ログイン
            </a>
          )}
        </div>
        <Nav user={user} current={current} />
      </header>
      <main class="site-main container" id="main" tabindex={-1} autofocus={focusMain || undefined}>
        {children}
      </main>
      <footer class="site-footer">
        <div class="container">
          <ul class="site-footer__links">
            <li>
              <a href="/help">ヘルプ・よくある質問</a>
            </li>
            <li>
              <a href="/orderers">電子保証対応の発注者一覧</a>
            </li>
            <li>
              <a href="/log/certs/checkpoint">公開ログ（署名付きチェックポイント）</a>
            </li>
            <li>
              <a href="/api/docs">保証会社向け API・検証方法</a>
            </li>
          </ul>
          <p class="site-footer__note">
            電証（densho）—
            電子保証の発行日時を公開の署名付きログに記録し、発注者が確認するためのサービスです。
          </p>
        </div>
      </footer>
    </body>
  </html>
);
