// Sessions (Copenhagen Book / Lucia): create, validate and drop web sign-in sessions. Trusts nothing in the
// cookie: a token is `id.secret`, only SHA-256(secret) is stored, and the secret is compared in constant time,
// so neither a database leak nor a guessed id yields a session. Runtime-neutral (Web Crypto random + sha256).
import type { Kysely } from 'kysely';
import { sha256, toBase64Url, utf8 } from '../domain/bytes.ts';
import type { Database, OrganisationRow, UserRow } from '../repos/database.ts';
import {
  deleteSession,
  deleteSessionsForUser,
  findSessionWithUser,
  insertSession,
  touchSession,
} from '../repos/sessions.ts';

/** The signed-in user as every web page sees it. */
export interface SessionUser {
  id: number;
  login: string;
  displayName: string | null;
  role: UserRow['role'];
  orgId: number;
  orgCode: string;
  orgName: string;
  orgKind: OrganisationRow['kind'];
}

/** Copenhagen Book: "sessions should expire after a period of inactivity" — 30 minutes for a shared office PC. */
export const IDLE_TIMEOUT_MS = 30 * 60_000;
/** …and after an absolute lifetime, so a session kept alive by a forgotten tab still ends: one working day. */
export const ABSOLUTE_LIFETIME_MS = 12 * 60 * 60_000;
/** last_seen_at is written at most once a minute: one UPDATE per click would dominate the page's cost. */
export const TOUCH_INTERVAL_MS = 60_000;

const ID_BYTES = 15; // 24 base32 characters, 120 bits: unique and unguessable (the brief asks for 20+ characters)
const SECRET_BYTES = 25; // 40 base32 characters, 200 bits (≥ 160 bits required)
const TOKEN_RE = /^([a-z2-7]{24})\.([a-z2-7]{40})$/;

export type SessionValidation =
  | {
      kind: 'valid';
      sessionId: string;
      user: SessionUser;
      /** Per-session CSRF token for hidden form fields (derived from the secret; never stored). */
      csrfToken: string;
    }
  | { kind: 'expired'; sessionId: string; user: SessionUser; reason: 'idle' | 'absolute' }
  | { kind: 'invalid' };

export interface CreatedSession {
  /** The cookie value `id.secret` — give it to the browser and forget it. */
  token: string;
  sessionId: string;
  csrfToken: string;
}

export interface Sessions {
  /** A NEW session for a successful sign-in (never reuse one: session fixation). */
  create(
    userId: number,
    meta: { ip: string | null; userAgent: string | null },
    now: number,
  ): Promise<CreatedSession>;
  validate(token: string, now: number): Promise<SessionValidation>;
  /** Logout: the session row is deleted, so the cookie is worthless even if it was copied. */
  invalidate(sessionId: string): Promise<void>;
  /** Password or role change, disabling, "logout everywhere": drop every session of the user. */
  invalidateAllForUser(userId: number): Promise<number>;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower case, no padding (cookie-safe and unambiguous in logs). */
function base32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

function randomBase32(byteLength: number): string {
  return base32(crypto.getRandomValues(new Uint8Array(byteLength)));
}

/** Constant-time equality for equal-length secrets (lengths are public: both are SHA-256 outputs). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function secretHash(secret: string): Uint8Array {
  return sha256(utf8(secret));
}

/** Domain-separated from the stored hash, so the database never holds anything that is a valid CSRF token. */
function csrfTokenFor(secret: string): string {
  return toBase64Url(sha256(utf8(`densho/csrf/v1\n${secret}`)));
}

export function parseSessionToken(token: string): { id: string; secret: string } | null {
  const m = TOKEN_RE.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export function createSessions(db: Kysely<Database>): Sessions {
  return {
    async create(userId, meta, now) {
      const id = randomBase32(ID_BYTES);
      const secret = randomBase32(SECRET_BYTES);
      await insertSession(db, {
        id,
        secretHash: secretHash(secret),
        userId,
        now,
        ip: meta.ip,
        userAgent: meta.userAgent,
      });
      return { token: `${id}.${secret}`, sessionId: id, csrfToken: csrfTokenFor(secret) };
    },

    async validate(token, now) {
      const parsed = parseSessionToken(token);
      if (!parsed) return { kind: 'invalid' };
      const row = await findSessionWithUser(db, parsed.id);
      if (!row) return { kind: 'invalid' };
      // Copenhagen Book: compare the hash of the presented secret with the stored one in constant time.
      if (!constantTimeEqual(secretHash(parsed.secret), row.secretHash)) return { kind: 'invalid' };
      if (row.disabledAt !== null) {
        await deleteSession(db, row.id);
        return { kind: 'invalid' };
      }
      const user: SessionUser = {
        id: row.userId,
        login: row.login,
        displayName: row.displayName,
        role: row.role,
        orgId: row.orgId,
        orgCode: row.orgCode,
        orgName: row.orgName,
        orgKind: row.orgKind,
      };
      const reason =
        now - row.createdAt >= ABSOLUTE_LIFETIME_MS
          ? 'absolute'
          : now - row.lastSeenAt >= IDLE_TIMEOUT_MS
            ? 'idle'
            : null;
      if (reason) {
        await deleteSession(db, row.id);
        return { kind: 'expired', sessionId: row.id, user, reason };
      }
      if (now - row.lastSeenAt >= TOUCH_INTERVAL_MS) await touchSession(db, row.id, now);
      return { kind: 'valid', sessionId: row.id, user, csrfToken: csrfTokenFor(parsed.secret) };
    },

    invalidate(sessionId) {
      return deleteSession(db, sessionId);
    },

    invalidateAllForUser(userId) {
      return deleteSessionsForUser(db, userId);
    },
  };
}
