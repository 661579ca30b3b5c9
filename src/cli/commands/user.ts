// `densho user add|disable`: accounts for orderer clerks, auditors and admins (sureties use keys, not logins).
// The password comes on stdin (one line) so it never shows in the process list or shell history.
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../../repos/database.ts';
import { checkPasswordPolicy, hashPassword, PasswordPolicyError } from '../../services/passwords.ts';
import {
  type AdminChange,
  applyAdminChange,
  CliError,
  type CliIo,
  type Command,
  displayName,
  required,
  str,
  UsageError,
  withDatabase,
} from './shared.ts';

export const LOGIN_RE = /^[a-z0-9][a-z0-9._@-]{1,63}$/;
export const ROLES = ['clerk', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function validateLogin(login: string): string {
  const v = login.trim();
  if (!LOGIN_RE.test(v)) {
    throw new UsageError(
      `--login ${JSON.stringify(login)} is not a login — use 2–64 lower-case letters, digits and . _ @ -, starting with a letter or digit (e.g. clerk1)`,
    );
  }
  return v;
}

export function validateRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role))
    throw new UsageError('--role must be clerk, auditor or admin');
  return role as Role;
}

/** The password: one line from stdin, or typed twice without echo at a terminal. */
async function readPassword(io: CliIo): Promise<string> {
  const typed = await io.promptSecret('password (12+ characters): ');
  if (typed !== null) {
    const again = await io.promptSecret('repeat password: ');
    if (again !== typed) throw new CliError('the two passwords differ — run the command again');
    return typed;
  }
  const input = await io.readStdin();
  const line = input.split(/\r?\n/)[0] ?? '';
  if (line === '') {
    throw new CliError(
      'no password on stdin — pipe it as one line, e.g. printf \'%s\\n\' "$PASSWORD" | densho user add …',
    );
  }
  return line;
}

/** The rows for a new user; refuses a taken login and an organisation that can't have users. */
export async function prepareUser(
  db: Kysely<Database>,
  input: { org: string; login: string; role: Role; displayName: string | null; passwordHash: string },
  now: number,
): Promise<AdminChange> {
  const orgs = await db
    .selectFrom('organisations')
    .select(['id', 'kind', 'code', 'name'])
    .where('code', '=', input.org)
    .execute();
  const org = orgs.find((o) => o.kind === 'orderer' || o.kind === 'platform');
  if (!org) {
    throw new CliError(
      orgs.some((o) => o.kind === 'surety')
        ? `${input.org} is a surety — sureties sign with keys (densho surety-key add), they have no logins`
        : `there is no orderer or platform organisation ${input.org} — add it first with \`densho org add\``,
    );
  }
  const taken = await db
    .selectFrom('users')
    .select(['login'])
    .where('login', '=', input.login)
    .executeTakeFirst();
  if (taken)
    throw new CliError(`login ${input.login} is taken — nothing was changed; choose another --login`);
  return {
    writes: [
      db
        .insertInto('users')
        .values({
          org_id: org.id,
          login: input.login,
          password_hash: input.passwordHash,
          role: input.role,
          display_name: input.displayName,
          created_at: now,
          disabled_at: null,
        })
        .compile(),
    ],
    action: 'admin.user.add',
    orgCode: org.code,
    // Never the password or its hash: the access log is read by auditors.
    detail: { login: input.login, role: input.role, org: org.code },
    done: `added ${input.role} ${input.login} to ${org.name} (${org.code})`,
  };
}

export const userAdd: Command = {
  name: 'user add',
  summary: 'add a login for an orderer or the platform (password on stdin)',
  usage:
    'densho user add --org CODE --login LOGIN --role clerk|auditor|admin [--display-name NAME]  < password',
  help: `Reads the password from stdin (one line) — or asks twice, without echo, at a terminal. Passwords need at
least 12 characters (パスワードは12文字以上); they are stored as scrypt hashes only.

  --org CODE          the orderer (e.g. 092134) or platform organisation (e.g. densho)
  --login LOGIN       2–64 lower-case letters, digits and . _ @ -; must be unused
  --role ROLE         clerk (views certificates), auditor (access log), admin (manages the organisation's users)

Example:  printf '%s\\n' "$PW" | densho user add --org 092134 --login clerk1 --role clerk`,
  options: {
    org: { type: 'string' },
    login: { type: 'string' },
    role: { type: 'string' },
    'display-name': { type: 'string' },
  },
  async run(ctx) {
    const org = required(ctx.values, 'org', '092134');
    const login = validateLogin(required(ctx.values, 'login', 'clerk1'));
    const role = validateRole(required(ctx.values, 'role', 'clerk'));
    const name = str(ctx.values, 'display-name');
    const display = name === undefined ? null : displayName(name, '--display-name');
    // Check organisation and login before asking for a password (and before ~0.4 s of scrypt).
    await withDatabase(ctx.config(), (opened) =>
      prepareUser(opened.db, { org, login, role, displayName: display, passwordHash: '' }, 0),
    );
    const password = await readPassword(ctx.io);
    try {
      checkPasswordPolicy(password);
    } catch (e) {
      if (e instanceof PasswordPolicyError) throw new CliError(`${e.message} — nothing was changed`);
      throw e;
    }
    const passwordHash = await hashPassword(password);
    await applyAdminChange(ctx, 'user add', (opened) =>
      prepareUser(opened.db, { org, login, role, displayName: display, passwordHash }, Date.now()),
    );
  },
};

export const userDisable: Command = {
  name: 'user disable',
  summary: 'disable a login (it can no longer sign in)',
  usage: 'densho user disable --login LOGIN',
  help: `Disables the account and deletes its sessions (it is signed out at once); its history stays. Unknown or
already disabled logins are refused.`,
  options: { login: { type: 'string' } },
  async run(ctx) {
    const login = validateLogin(required(ctx.values, 'login', 'clerk1'));
    await applyAdminChange(ctx, 'user disable', async (opened) => {
      const user = (await opened.db
        .selectFrom('users')
        .selectAll()
        .where('login', '=', login)
        .executeTakeFirst()) as UserRow | undefined;
      if (!user) throw new CliError(`there is no login ${login} — check the spelling`);
      if (user.disabled_at !== null) {
        throw new CliError(
          `login ${login} was already disabled at ${new Date(user.disabled_at).toISOString()}`,
        );
      }
      return {
        writes: [
          opened.db
            .updateTable('users')
            .set({ disabled_at: Date.now() })
            .where('id', '=', user.id)
            .where('disabled_at', 'is', null)
            .compile(),
          // 0002_sessions: every session of a user whose status changes is deleted — signed out at once.
          opened.db.deleteFrom('sessions').where('user_id', '=', user.id).compile(),
        ],
        action: 'admin.user.disable',
        detail: { login },
        done: `disabled ${login}`,
      };
    });
  },
};
