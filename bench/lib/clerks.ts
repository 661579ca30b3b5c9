// Benchmark clerks: N clerk users of one orderer (one scrypt hash shared, so setup stays quick), each signed in
// once over real HTTP exactly as a browser does it (login form's CSRF cookie → POST /login → session cookie →
// a signed-in page for the session's CSRF token), and the tuples file bench/lib/wrk-verify.lua reads.
import { writeFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/repos/database.ts';
import { insertUser } from '../../src/repos/users.ts';
import { hashPassword } from '../../src/services/passwords.ts';

export const CLERK_PASSWORD = 'bench-clerk-password-1';

export interface SignedInClerk {
  login: string;
  /** The Cookie header value: `densho_session=<id.secret>`. */
  cookie: string;
  /** The session's CSRF token (the `_csrf` field every POST form echoes). */
  csrf: string;
}

export async function createClerks(db: Kysely<Database>, orgCode: string, count: number): Promise<string[]> {
  const org = await db
    .selectFrom('organisations')
    .select('id')
    .where('code', '=', orgCode)
    .where('kind', '=', 'orderer')
    .executeTakeFirstOrThrow();
  const passwordHash = await hashPassword(CLERK_PASSWORD);
  const logins: string[] = [];
  for (let i = 0; i < count; i++) {
    const login = `bench-clerk-${String(i).padStart(3, '0')}`;
    await insertUser(db, {
      orgId: org.id,
      login,
      passwordHash,
      role: 'clerk',
      displayName: `ベンチ担当者 ${i}`,
      now: Date.now(),
    });
    logins.push(login);
  }
  return logins;
}

function cookieFrom(res: Response, name: string): string {
  for (const h of res.headers.getSetCookie()) {
    const [pair = ''] = h.split(';');
    if (pair.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  throw new Error(`${res.url}: no ${name} cookie in the answer (status ${res.status})`);
}

function csrfField(html: string, where: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`${where}: no _csrf field on the page`);
  return m[1]!;
}

/** One browser-like sign-in: GET /login, POST /login (303 + session cookie), GET /verify for the token. */
export async function signIn(base: string, login: string): Promise<SignedInClerk> {
  const form = await fetch(`${base}/login`, { headers: { accept: 'text/html' } });
  const anon = cookieFrom(form, 'densho_csrf');
  const anonToken = csrfField(await form.text(), 'GET /login');
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      accept: 'text/html',
      origin: base,
      cookie: anon,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ login, password: CLERK_PASSWORD, _csrf: anonToken }),
  });
  if (res.status !== 303) throw new Error(`sign-in of ${login} answered ${res.status}`);
  const cookie = cookieFrom(res, 'densho_session');
  const page = await fetch(`${base}/verify`, { headers: { accept: 'text/html', cookie } });
  if (page.status !== 200) throw new Error(`GET /verify as ${login} answered ${page.status}`);
  return { login, cookie, csrf: csrfField(await page.text(), 'GET /verify') };
}

/** Sign every clerk in (scrypt runs on the server's thread pool: a few at a time). */
export async function signInAll(base: string, logins: string[]): Promise<SignedInClerk[]> {
  const out: SignedInClerk[] = [];
  for (let i = 0; i < logins.length; i += 4) {
    out.push(...(await Promise.all(logins.slice(i, i + 4).map((l) => signIn(base, l)))));
  }
  return out;
}

/** The tuples file for wrk-verify.lua: request i uses clerk i mod clerks and certificate i mod certificates. */
export function writeTuples(
  file: string,
  clerks: SignedInClerk[],
  items: { number: string; key?: string }[],
  count = Math.max(clerks.length, items.length),
): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const c = clerks[i % clerks.length]!;
    const it = items[i % items.length]!;
    lines.push([c.cookie, c.csrf, it.number, it.key ?? ''].join('\t'));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}
