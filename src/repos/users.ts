// Users (clerks, auditors, admins of an orderer or the platform): all Kysely code for the users table.
import type { Kysely } from 'kysely';
import type { Database, OrganisationRow, UserRow } from './database.ts';

/** A user with the organisation it belongs to — what sign-in and the session middleware need. */
export interface UserWithOrg {
  id: number;
  login: string;
  passwordHash: string;
  role: UserRow['role'];
  displayName: string | null;
  disabledAt: number | null;
  orgId: number;
  orgCode: string;
  orgName: string;
  orgKind: OrganisationRow['kind'];
}

function withOrg(db: Kysely<Database>) {
  return db
    .selectFrom('users')
    .innerJoin('organisations', 'organisations.id', 'users.org_id')
    .select([
      'users.id as id',
      'users.login as login',
      'users.password_hash as passwordHash',
      'users.role as role',
      'users.display_name as displayName',
      'users.disabled_at as disabledAt',
      'organisations.id as orgId',
      'organisations.code as orgCode',
      'organisations.name as orgName',
      'organisations.kind as orgKind',
    ]);
}

/** Exact (already normalised) login; disabled users are returned too — the caller decides. */
export function findUserByLogin(db: Kysely<Database>, login: string): Promise<UserWithOrg | undefined> {
  return withOrg(db).where('users.login', '=', login).executeTakeFirst();
}

export function findUserById(db: Kysely<Database>, id: number): Promise<UserWithOrg | undefined> {
  return withOrg(db).where('users.id', '=', id).executeTakeFirst();
}

export async function insertUser(
  db: Kysely<Database>,
  user: {
    orgId: number;
    login: string;
    passwordHash: string;
    role: UserRow['role'];
    displayName: string | null;
    now: number;
  },
): Promise<number> {
  const r = await db
    .insertInto('users')
    .values({
      org_id: user.orgId,
      login: user.login,
      password_hash: user.passwordHash,
      role: user.role,
      display_name: user.displayName,
      created_at: user.now,
      disabled_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

/** Replace the stored hash (a rehash with stronger parameters after a successful sign-in). */
export async function updatePasswordHash(
  db: Kysely<Database>,
  id: number,
  passwordHash: string,
): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
}

/**
 * Mark a user disabled. Callers must also drop the user's sessions (services/sessions.ts
 * invalidateAllForUser) — the session check refuses disabled users anyway, but a stale row is still a secret.
 */
export async function disableUser(db: Kysely<Database>, id: number, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ disabled_at: now })
    .where('id', '=', id)
    .where('disabled_at', 'is', null)
    .execute();
}
