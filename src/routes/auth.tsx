// Sign-in and sign-out pages: GET/POST /login, POST /logout (?all=1: every browser), GET /account.
// Trusts nothing from the form beyond what login() verifies; `next` goes through the one same-origin check.
import { Hono } from 'hono';
import { deleteCookie } from 'hono/cookie';
import { AccountPage } from '../../views/auth/account.tsx';
import { type LoginNotice, LoginPage, type LoginViewProps } from '../../views/auth/login.tsx';
import type { AppDeps } from '../app.ts';
import { formBody } from '../middleware/form-body.ts';
import { renderPage } from '../middleware/htmx.ts';
import { safeNextPath } from '../middleware/next-param.ts';
import {
  ANON_CSRF_COOKIE,
  clearSessionCookie,
  cookieOptions,
  ensureAnonymousCsrf,
  requestMeta,
  requireUser,
  type SessionUser,
  setSessionCookie,
  type WebEnv,
} from '../middleware/session.ts';
import { login as signIn } from '../services/login.ts';

/** Where a user lands after signing in when no (valid) `next` was given. */
export function landingPath(user: SessionUser): string {
  return user.orgKind === 'orderer' ? '/verify' : '/';
}

function field(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function authRoutes(deps: AppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const origin = deps.config.origin;

  app.get('/login', async (c) => {
    const next = c.req.query('next');
    // Signed in already: still show the form (a shared PC where someone else is signed in); signing in
    // replaces that session. The form then carries the current session's CSRF token.
    const done = c.req.query('done');
    const notice: LoginNotice | undefined =
      c.req.query('expired') === '1' || c.get('sessionExpired')
        ? 'expired'
        : done === 'logout'
          ? 'logged-out'
          : done === 'logout-all'
            ? 'logged-out-all'
            : next
              ? 'signin-required'
              : undefined;
    const csrfToken = ensureAnonymousCsrf(c, origin);
    return renderPage(
      c,
      <LoginPage
        user={c.get('user')}
        csrfToken={csrfToken}
        next={safeNextPath(next, '')}
        login=""
        errors={{}}
        notice={notice}
      />,
    );
  });

  app.post('/login', async (c) => {
    const body = await formBody(c);
    const login = field(body.login).slice(0, 256);
    const password = field(body.password);
    // The one same-origin check; '' means "no valid next" (the landing page is chosen after sign-in).
    const next = safeNextPath(field(body.next), '');
    const csrfToken = c.get('csrfToken');

    const errors: LoginViewProps['errors'] = {};
    if (login.trim() === '') errors.login = 'ログインIDを入力してください。';
    if (password === '') errors.password = 'パスワードを入力してください。';
    if (errors.login || errors.password) {
      return renderPage(
        c,
        <LoginPage user={c.get('user')} csrfToken={csrfToken} next={next} login={login} errors={errors} />,
        422,
      );
    }

    const result = await signIn(
      {
        db: deps.db,
        clock: deps.clock,
        throttle: deps.throttle,
        sessions: deps.sessions,
        access: deps.access,
      },
      { login, password, ...requestMeta(c) },
    );
    if (result.kind === 'throttled') {
      c.header('Retry-After', String(result.retryAfterSeconds));
      return renderPage(
        c,
        <LoginPage
          user={c.get('user')}
          csrfToken={csrfToken}
          next={next}
          login={login}
          errors={{}}
          retryAfterSeconds={result.retryAfterSeconds}
        />,
        429,
      );
    }
    if (result.kind === 'invalid') {
      return renderPage(
        c,
        <LoginPage user={c.get('user')} csrfToken={csrfToken} next={next} login={login} errors={{}} failed />,
        422,
      );
    }
    // Session fixation: the browser gets a brand-new session; any session it carried before is dropped.
    const previous = c.get('sessionId');
    if (previous && previous !== result.sessionId) await deps.sessions.invalidate(previous);
    deleteCookie(c, ANON_CSRF_COOKIE, cookieOptions(origin));
    setSessionCookie(c, origin, result.token);
    return c.redirect(next || landingPath(result.user), 303);
  });

  app.post('/logout', async (c) => {
    const user = c.get('user');
    const sessionId = c.get('sessionId');
    const all = c.req.query('all') === '1';
    if (user && sessionId) {
      const dropped = all ? await deps.sessions.invalidateAllForUser(user.id) : 1;
      if (!all) await deps.sessions.invalidate(sessionId);
      await deps.access.record({
        action: 'auth.logout',
        outcome: 'success',
        actor: `user:${user.id}`,
        orgCode: user.orgCode,
        ...requestMeta(c),
        detail: { login: user.login, all, sessions: dropped },
      });
    }
    clearSessionCookie(c, origin);
    if (!user) return c.redirect(c.get('sessionExpired') ? '/login?expired=1' : '/login', 303);
    return c.redirect(all ? '/login?done=logout-all' : '/login?done=logout', 303);
  });

  app.get('/account', requireUser(), (c) => {
    const user = c.get('user')!;
    return renderPage(c, <AccountPage user={user} csrfToken={c.get('csrfToken')} />);
  });

  return app;
}
