// Sign-in: password check with generic failures, per-account and per-IP throttling, a new session on success,
// and an access event for every attempt. Trusts the submitted login/password only as far as scrypt says;
// `ip` is whatever the runtime adapter reports for the connection (never a client-supplied header).
import type { Kysely } from 'kysely';
import type { Clock } from '../platform/ports.ts';
import type { Database } from '../repos/database.ts';
import { findUserByLogin, type UserWithOrg, updatePasswordHash } from '../repos/users.ts';
import type { AccessEventInput } from './access-log.ts';
import { hashPassword, needsRehash, PasswordPolicyError, verifyPassword } from './passwords.ts';
import type { Sessions, SessionUser } from './sessions.ts';
import type { Throttle, ThrottlePolicy } from './throttle.ts';

/** Per account: 5 failures in 15 minutes lock the login for 15 minutes. */
export const ACCOUNT_POLICY: ThrottlePolicy = { limit: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
/** Per IP: 30 failures in 15 minutes (an office NAT shares one address, so looser than per account). */
export const IP_POLICY: ThrottlePolicy = { limit: 30, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

export interface LoginDeps {
  db: Kysely<Database>;
  clock: Clock;
  throttle: Throttle;
  sessions: Sessions;
  access: { record(event: AccessEventInput): Promise<unknown> };
}

export interface LoginInput {
  login: string;
  password: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export type LoginResult =
  | { kind: 'ok'; token: string; csrfToken: string; sessionId: string; user: SessionUser }
  | { kind: 'invalid' }
  | { kind: 'throttled'; retryAfterSeconds: number };

/** What people type: full-width letters from a Japanese IME become ASCII; logins are lower case. */
export function normalizeLogin(login: string): string {
  return login.normalize('NFKC').trim().toLowerCase().slice(0, 64);
}

export const loginKeys = {
  account: (normalizedLogin: string) => `login:user:${normalizedLogin}`,
  ip: (ip: string | null) => `login:ip:${ip ?? 'unknown'}`,
};

/**
 * A real scrypt hash, with today's parameters, of a random password that was discarded: it matches nothing.
 * Unknown and disabled logins are verified against it, so a failure costs the same scrypt run whether or not
 * the login exists. A constant instead of a hash computed at start: computing one costs 0.35 s and 128 MiB
 * of scrypt memory on every boot (and every short CLI command). Regenerate it if SCRYPT_PARAMS grow.
 */
const DUMMY_HASH = '$scrypt$ln=17,r=8,p=1$z+0zXR/J0EwwUzGXtMZWYA$nwgXlboCM6Wh2HDFOyaAm/0+zXK4h/abOYEXq7z4rr0';

export function loginDummyHash(): Promise<string> {
  return Promise.resolve(DUMMY_HASH);
}

function toSessionUser(u: UserWithOrg): SessionUser {
  return {
    id: u.id,
    login: u.login,
    displayName: u.displayName,
    role: u.role,
    orgId: u.orgId,
    orgCode: u.orgCode,
    orgName: u.orgName,
    orgKind: u.orgKind,
  };
}

export async function login(deps: LoginDeps, input: LoginInput): Promise<LoginResult> {
  const normalized = normalizeLogin(input.login);
  const accountKey = loginKeys.account(normalized);
  const ipKey = loginKeys.ip(input.ip);
  const user = normalized === '' ? undefined : await findUserByLogin(deps.db, normalized);
  const event = (outcome: string, detail: Record<string, unknown> = {}) =>
    deps.access.record({
      action: 'auth.login',
      outcome,
      actor: user ? `user:${user.id}` : null,
      orgCode: user?.orgCode ?? null,
      ip: input.ip,
      userAgent: input.userAgent,
      requestId: input.requestId,
      // The login as typed (bounded) helps auditors see guessing; never the password.
      detail: { login: input.login.slice(0, 64), ...detail },
    });

  const now = deps.clock.now();
  const [account, byIp] = await Promise.all([
    deps.throttle.check(accountKey, now),
    deps.throttle.check(ipKey, now),
  ]);
  if (!account.allowed || !byIp.allowed) {
    const retryAfterSeconds = Math.max(
      account.allowed ? 0 : account.retryAfterSeconds,
      byIp.allowed ? 0 : byIp.retryAfterSeconds,
    );
    // 'locked': this account is locked; 'throttled': this address made too many failed attempts.
    await event(account.allowed ? 'throttled' : 'locked', { retryAfterSeconds });
    return { kind: 'throttled', retryAfterSeconds };
  }

  // Sureties sign with keys and never log in; a disabled user is treated exactly like an unknown login.
  const candidate = user && user.disabledAt === null && user.orgKind !== 'surety' ? user : null;
  const stored = candidate ? candidate.passwordHash : await loginDummyHash();
  const passwordOk = await verifyPassword(input.password, stored);

  if (!candidate || !passwordOk) {
    const failedAt = deps.clock.now();
    const [a, i] = await Promise.all([
      deps.throttle.fail(accountKey, failedAt, ACCOUNT_POLICY),
      deps.throttle.fail(ipKey, failedAt, IP_POLICY),
    ]);
    const reason = !user ? 'unknown-login' : !candidate ? 'disabled' : 'wrong-password';
    await event('failure', { reason, ...(a.lockedNow || i.lockedNow ? { lockedNow: true } : {}) });
    if (a.lockedNow || i.lockedNow) {
      const lockMs = a.lockedNow ? ACCOUNT_POLICY.lockMs : IP_POLICY.lockMs;
      return { kind: 'throttled', retryAfterSeconds: Math.ceil(lockMs / 1000) };
    }
    return { kind: 'invalid' };
  }

  await deps.throttle.reset(accountKey);
  if (needsRehash(candidate.passwordHash)) {
    // Parameters grew since this hash was made: store a stronger one while we know the password.
    try {
      await updatePasswordHash(deps.db, candidate.id, await hashPassword(input.password));
    } catch (err) {
      // An old password that predates today's policy still signs in; it is rehashed when it is changed.
      if (!(err instanceof PasswordPolicyError)) throw err;
    }
  }
  const session = await deps.sessions.create(
    candidate.id,
    { ip: input.ip, userAgent: input.userAgent },
    deps.clock.now(),
  );
  await event('success', { session: session.sessionId.slice(0, 8) });
  return {
    kind: 'ok',
    token: session.token,
    csrfToken: session.csrfToken,
    sessionId: session.sessionId,
    user: toSessionUser(candidate),
  };
}
