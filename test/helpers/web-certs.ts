// Test helpers for the certificate screens, on top of test/helpers/web.ts: users, a client whose responses carry
// their text, and surety pushes that return the 認証キー (all over real HTTP).
import { followUp, issueEvent, type TestPlatform, type TestSurety } from './platform.ts';
import { createUser, csrfFrom, WebClient as SessionClient, TEST_PASSWORD } from './web.ts';

export async function addUser(
  platform: TestPlatform,
  user: { orgCode: string; login: string; role: 'clerk' | 'auditor' | 'admin'; displayName?: string },
): Promise<number> {
  const created = await createUser(platform, {
    login: user.login,
    orgCode: user.orgCode,
    role: user.role,
    displayName: user.displayName ?? null,
  });
  return created.id;
}

export interface WebResponse {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * helper-5's cookie-jar client (test/helpers/web.ts) with the shape these tests read: every response comes back
 * with its body as text, and a POST names the page its CSRF token comes from (as the browser would have it).
 */
export class WebClient {
  private readonly session: SessionClient;

  constructor(
    readonly base: string,
    private readonly userAgent = 'densho-test',
  ) {
    this.session = new SessionClient(base);
  }

  private static async read(res: Response): Promise<WebResponse> {
    return { status: res.status, headers: res.headers, body: await res.text() };
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<WebResponse> {
    return WebClient.read(await this.session.get(path, { 'user-agent': this.userAgent, ...headers }));
  }

  /** POST a form with the CSRF token of `from` (default the list page); `csrf: null` sends none. */
  async post(
    path: string,
    form: Record<string, string>,
    opts: { from?: string; headers?: Record<string, string>; csrf?: string | null } = {},
  ): Promise<WebResponse> {
    const csrf = opts.csrf === undefined ? await this.csrf(opts.from ?? '/certificates') : opts.csrf;
    const res = await this.session.post(path, form, {
      csrf,
      headers: { 'user-agent': this.userAgent, ...opts.headers },
    });
    return WebClient.read(res);
  }

  async csrf(from: string): Promise<string> {
    return csrfFrom((await this.get(from)).body);
  }

  async login(login: string, password = TEST_PASSWORD): Promise<void> {
    const res = await this.session.login(login, password);
    if (res.status !== 303)
      throw new Error(`login ${login} failed: ${res.status}\n${(await res.text()).slice(0, 500)}`);
  }
}

export const HTMX = { 'hx-request': 'true', 'hx-request-type': 'partial' };

export interface Pushed {
  event: Record<string, unknown>;
  contractNumber: string;
  authKey: string;
  receipt: { version: number; issuedAt: string; log: { index: number } };
}

export async function pushIssue(
  platform: TestPlatform,
  overrides: Record<string, unknown> = {},
  surety: TestSurety = platform.surety,
): Promise<Pushed> {
  const event = issueEvent(overrides);
  const res = await platform.push(await surety.sign(event));
  const body = (await res.json()) as Pushed['receipt'] & { authKey: string };
  if (res.status !== 201) throw new Error(`push failed: ${res.status} ${JSON.stringify(body)}`);
  return { event, contractNumber: String(event.contractNumber), authKey: body.authKey, receipt: body };
}

export async function pushFollowUp(
  platform: TestPlatform,
  base: Record<string, unknown>,
  kind: 'change' | 'correction' | 'change_cancel' | 'termination',
  overrides: Record<string, unknown> = {},
  surety: TestSurety = platform.surety,
): Promise<Pushed['receipt']> {
  const res = await platform.push(await surety.sign(followUp(base, kind, overrides)));
  const body = (await res.json()) as Pushed['receipt'];
  if (res.status !== 201) throw new Error(`push ${kind} failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}
