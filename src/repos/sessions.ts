// Sessions: all Kysely code for the sessions table (the rules — timeouts, hashing — live in services/sessions.ts).
import type { CompiledQuery, Kysely } from 'kysely';
import type { Database, OrganisationRow, UserRow } from './database.ts';
import { preparedQuery } from './prepared.ts';

/** A session row joined with its user and organisation: one query per authenticated request. */
export interface SessionWithUser {
  id: string;
  secretHash: Uint8Array;
  createdAt: number;
  lastSeenAt: number;
  userId: number;
  login: string;
  displayName: string | null;
  role: UserRow['role'];
  disabledAt: number | null;
  orgId: number;
  orgCode: string;
  orgName: string;
  orgKind: OrganisationRow['kind'];
}

export async function insertSession(
  db: Kysely<Database>,
  s: {
    id: string;
    secretHash: Uint8Array;
    userId: number;
    now: number;
    ip: string | null;
    userAgent: string | null;
  },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id: s.id,
      secret_hash: s.secretHash,
      user_id: s.userId,
      created_at: s.now,
      last_seen_at: s.now,
      ip: s.ip,
      // Bounded: the header is attacker-controlled and this row lives for hours.
      user_agent: s.userAgent ? s.userAgent.slice(0, 512) : null,
    })
    .execute();
}

const sessionWithUser = preparedQuery((db, id: string) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .innerJoin('organisations', 'organisations.id', 'users.org_id')
    .select([
      'sessions.id as id',
      'sessions.secret_hash as secretHash',
      'sessions.created_at as createdAt',
      'sessions.last_seen_at as lastSeenAt',
      'users.id as userId',
      'users.login as login',
      'users.display_name as displayName',
      'users.role as role',
      'users.disabled_at as disabledAt',
      'organisations.id as orgId',
      'organisations.code as orgCode',
      'organisations.name as orgName',
      'organisations.kind as orgKind',
    ])
    .where('sessions.id', '=', id),
);

/** Every authenticated request runs this: prepared once (repos/prepared.ts). */
export async function findSessionWithUser(
  db: Kysely<Database>,
  id: string,
): Promise<SessionWithUser | undefined> {
  return (await sessionWithUser(db, id))[0];
}

export async function touchSession(db: Kysely<Database>, id: string, now: number): Promise<void> {
  // `< now` keeps last_seen_at monotonic if two requests of the same browser race.
  await db
    .updateTable('sessions')
    .set({ last_seen_at: now })
    .where('id', '=', id)
    .where('last_seen_at', '<', now)
    .execute();
}

export async function deleteSession(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Returns how many sessions were dropped. */
export async function deleteSessionsForUser(db: Kysely<Database>, userId: number): Promise<number> {
  const r = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * The same delete as a compiled query, for callers that commit several writes as one atomic unit
 * (the CLI's `user disable`, a password or role change): the user change and the session drop land together.
 */
export function deleteUserSessionsQuery(db: Kysely<Database>, userId: number): CompiledQuery {
  return db.deleteFrom('sessions').where('user_id', '=', userId).compile();
}

/** Housekeeping: drop sessions idle since `idleBefore` or created before `createdBefore`. */
export async function pruneSessions(
  db: Kysely<Database>,
  bounds: { idleBefore: number; createdBefore: number },
): Promise<number> {
  const r = await db
    .deleteFrom('sessions')
    .where((eb) =>
      eb.or([eb('last_seen_at', '<', bounds.idleBefore), eb('created_at', '<', bounds.createdBefore)]),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
