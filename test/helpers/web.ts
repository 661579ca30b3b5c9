// Web test helpers: users with real scrypt hashes, a cookie-jar client for the real server (redirects not
// followed, so 303s and Set-Cookie can be asserted), CSRF tokens read from rendered pages, and a fake clock.
import type { Clock } from '../../src/platform/ports.ts';
import { disableUser, insertUser } from '../../src/repos/users.ts';
import { hashPassword } from '../../src/services/passwords.ts';
import type { TestPlatform } from './platform.ts';

export const TEST_PASSWORD = 'correct-horse-battery-1';

/** A clock tests move by hand (forward only: the trust logs refuse time going backwards). */
export class FakeClock implements Clock {
  constructor(private t = Date.now()) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface TestUser {
  id: number;
  login: string;
  password: string;
  orgCode: string;
}

let userSeq = 0;

export async function createUser(
  platform: TestPlatform,
  opts: {
    login?: string;
    password?: string;
    role?: 'clerk' | 'auditor' | 'admin';
    orgCode?: string;
    displayName?: string | null;
    disabled?: boolean;
  } = {},
): Promise<TestUser> {
  const db = platform.server.runtime.database.db;
  const orgCode = opts.orgCode ?? '092134';
  const org = await db
    .selectFrom('organisations')
    .select('id')
    .where('code', '=', orgCode)
    .where('kind', 'in', ['orderer', 'platform'])
    .executeTakeFirstOrThrow();
  userSeq += 1;
  const login = opts.login ?? `user${process.pid}x${userSeq}`;
  const password = opts.password ?? TEST_PASSWORD;
  const id = await insertUser(db, {
    orgId: org.id,
    login,
    passwordHash: await hashPassword(password),
    role: opts.role ?? 'clerk',
    displayName: opts.displayName === undefined ? `${login} 担当` : opts.displayName,
    now: Date.now(),
  });
  if (opts.disabled) await disableUser(db, id, Date.now());
  return { id, login, password, orgCode };
}

export interface ParsedCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

export function parseSetCookie(header: string): ParsedCookie {
  const [pair = '', ...attrs] = header.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const a of attrs) {
    const i = a.indexOf('=');
    attributes.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? '' : a.slice(i + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

/** The `_csrf` hidden field of the first form on a page. */
export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no _csrf field on this page — is the form rendered with <CsrfField />?');
  return m[1]!;
}

export interface PostOptions {
  /** Origin header to send; default the server's own origin; null sends none. */
  origin?: string | null;
  /** `_csrf` field; default the token from the last page this client fetched; null sends none. */
  csrf?: string | null;
  headers?: Record<string, string>;
}

/** A browser-like client: keeps cookies, sends Origin on POST, never follows redirects. */
export class WebClient {
  readonly cookies = new Map<string, string>();
  lastCsrf: string | null = null;

  constructor(readonly base: string) {}

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  private keep(res: Response): void {
    for (const h of res.headers.getSetCookie()) {
      const c = parseSetCookie(h);
      const gone = c.attributes.get('max-age') === '0' || c.value === '';
      if (gone) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.base + path, {
      redirect: 'manual',
      headers: { accept: 'text/html', ...this.cookieHeader(), ...headers },
    });
    this.keep(res);
    return res;
  }

  /** GET a page and remember its CSRF token (returns the body). */
  async page(path: string): Promise<string> {
    const res = await this.get(path);
    const html = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (m) this.lastCsrf = m[1]!;
    return html;
  }

  async post(path: string, form: Record<string, string>, opts: PostOptions = {}): Promise<Response> {
    const body = new URLSearchParams(form);
    const csrf = opts.csrf === undefined ? this.lastCsrf : opts.csrf;
    if (csrf !== null) body.set('_csrf', csrf);
    const origin = opts.origin === undefined ? this.base : opts.origin;
    const res = await fetch(this.base + path, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        ...(origin === null ? {} : { origin }),
        ...this.cookieHeader(),
        ...opts.headers,
      },
      body,
    });
    this.keep(res);
    return res;
  }

  /** The whole sign-in as a browser does it: load the form, post it. */
  async login(login: string, password: string, next?: string): Promise<Response> {
    await this.page(next === undefined ? '/login' : `/login?next=${encodeURIComponent(next)}`);
    return this.post('/login', { login, password, ...(next === undefined ? {} : { next }) });
  }

  /** Load a signed-in page (for its CSRF token) and log out. */
  async logout(all = false): Promise<Response> {
    await this.page('/account');
    return this.post(all ? '/logout?all=1' : '/logout', {});
  }

  get session(): string | undefined {
    return this.cookies.get('densho_session');
  }
}
