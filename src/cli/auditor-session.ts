// How an auditor's tool reads the access log API over HTTP: it signs in exactly like the auditor's browser (GET
// /login for the CSRF token, POST /login with Origin and the token), uses the session cookie for the reads, and signs
// out at the end. No second kind of credential exists to leak or to revoke: the login is throttled, locked out and
// logged (auth.login) like any other, every read is an audit.query event, and disabling the user or changing the
// password ends the tool's access at once. CSRF protection is untouched (the tool sends what a browser sends).
// Trusts: the origin given (--url) and nothing it redirects to; a password is only ever sent over HTTPS, or over
// plain HTTP to a loopback address (a server on this machine).

export class AuditorSignInError extends Error {
  override name = 'AuditorSignInError';
}

export interface AuditorSession {
  /** Headers for every read of /audit/log/access/… (the session cookie). */
  headers: Record<string, string>;
  /** Sign out (best effort: the session also expires by itself). */
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost)$/i;

function cookiesOf(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    if (eq > 0) out.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
  }
  return out;
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

function csrfTokenIn(html: string): string | null {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? null;
}

export async function signInAsAuditor(
  origin: string,
  login: string,
  password: string,
): Promise<AuditorSession> {
  const base = new URL(origin);
  if (base.protocol !== 'https:' && !LOOPBACK.test(base.hostname)) {
    throw new AuditorSignInError(
      `refusing to send a password to ${base.origin} over plain HTTP — use the https:// origin (plain http is only for a server on this machine)`,
    );
  }
  const at = (path: string) => new URL(path, base.origin).href;
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    try {
      return await fetch(at(path), { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      throw new AuditorSignInError(
        `cannot reach ${at(path)} (${(e as Error).message}) — check --url and that the server runs`,
      );
    }
  };

  const page = await call('/login');
  if (page.status !== 200)
    throw new AuditorSignInError(`GET ${at('/login')} answered ${page.status} — check --url`);
  const jar = cookiesOf(page);
  const token = csrfTokenIn(await page.text());
  if (!token)
    throw new AuditorSignInError(`${at('/login')} shows no sign-in form — is --url a densho origin?`);
  const res = await call('/login', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: base.origin,
      cookie: cookieHeader(jar),
    },
    body: new URLSearchParams({ login, password, _csrf: token }),
  });
  const session = cookiesOf(res).get('densho_session');
  if (res.status !== 303 || !session) {
    await res.body?.cancel();
    throw new AuditorSignInError(
      res.status === 403
        ? `${base.origin} refused the sign-in as cross-origin — give --url exactly the platform's public origin (DENSHO_ORIGIN)`
        : `signing in as ${login} at ${base.origin} failed (${res.status}) — check the login and DENSHO_AUDITOR_PASSWORD (after 5 failures the login is locked for a while)`,
    );
  }
  await res.body?.cancel();
  const cookie = `densho_session=${session}`;
  return {
    headers: { cookie },
    async close() {
      try {
        const account = await call('/account', { headers: { cookie } });
        const csrf = csrfTokenIn(await account.text());
        if (!csrf) return;
        const out = await call('/logout', {
          method: 'POST',
          headers: { origin: base.origin, cookie, 'x-csrf-token': csrf },
        });
        await out.body?.cancel();
      } catch {
        // signing out is a courtesy: the session expires on its own
      }
    },
  };
}
