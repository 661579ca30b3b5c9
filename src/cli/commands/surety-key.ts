// `densho surety-key add|revoke`: register a surety company's public signing key, or revoke one by kid.
import type { Kysely } from 'kysely';
import type { Database } from '../../repos/database.ts';
import { findOrganisation } from '../../repos/organisations.ts';
import { findSuretyKey } from '../../repos/surety-keys.ts';
import { publicKeyFromFile } from './jwk.ts';
import { type AdminChange, applyAdminChange, CliError, type Command, required } from './shared.ts';

/** The rows for registering a key; refuses an unknown surety and a kid that is taken. */
export async function prepareSuretyKey(
  db: Kysely<Database>,
  input: { surety: string; jwkPath: string },
  now: number,
): Promise<AdminChange> {
  const key = await publicKeyFromFile(input.jwkPath);
  const surety = await findOrganisation(db, 'surety', input.surety);
  if (!surety) {
    throw new CliError(
      `there is no surety "${input.surety}" — add it first: densho org add --kind surety --code ${input.surety} --name NAME`,
    );
  }
  const existing = await findSuretyKey(db, key.kid);
  if (existing) {
    throw new CliError(
      `kid ${key.kid} is already registered (to ${existing.surety_code}${existing.revoked_at === null ? '' : ', revoked'}) — nothing was changed; a new key needs a new kid`,
    );
  }
  return {
    writes: [
      db
        .insertInto('surety_keys')
        .values({
          kid: key.kid,
          surety_id: surety.id,
          public_jwk: JSON.stringify(key.jwk),
          alg: key.alg,
          created_at: now,
          revoked_at: null,
        })
        .compile(),
    ],
    action: 'admin.surety-key.add',
    orgCode: surety.code,
    detail: { surety: surety.code, kid: key.kid, alg: key.alg },
    // Just the kid on stdout, so scripts can capture it: KID=$(densho surety-key add …)
    done: key.kid,
  };
}

export const suretyKeyAdd: Command = {
  name: 'surety-key add',
  summary: "register a surety's public key (prints its kid)",
  usage: 'densho surety-key add --surety CODE --jwk PUBLIC_JWK_FILE',
  help: `Registers the PUBLIC half of a surety's signing key. Accepted: Ed25519 (kty "OKP", alg EdDSA) and P-256
(kty "EC", alg ES256); the algorithm comes from the key. A private JWK (with "d") is refused: the platform never
holds a surety's private key. The kid is the JWK's "kid" if it has one, else its RFC 7638 thumbprint; it is
printed alone on stdout, and the surety puts it in the protected header of every JWS it sends.
A running server sees a new key within a second.

  --surety CODE      the surety organisation (densho org add --kind surety …)
  --jwk FILE         the public JWK (densho keygen --public FILE writes one)`,
  options: { surety: { type: 'string' }, jwk: { type: 'string' } },
  async run(ctx) {
    const surety = required(ctx.values, 'surety', 'ejcs');
    const jwkPath = required(ctx.values, 'jwk', 'ejcs.public.jwk');
    await applyAdminChange(ctx, 'surety-key add', (opened) =>
      prepareSuretyKey(opened.db, { surety, jwkPath }, Date.now()),
    );
  },
};

export const suretyKeyRevoke: Command = {
  name: 'surety-key revoke',
  summary: 'revoke a surety key by kid (its signatures are refused from then on)',
  usage: 'densho surety-key revoke --kid KID',
  help: `Marks the key revoked: pushes and bearer tokens signed with it get 401 within a second on a running server.
Events already accepted stay valid (they are in the log). Unknown or already revoked kids are refused.`,
  options: { kid: { type: 'string' } },
  async run(ctx) {
    const kid = required(ctx.values, 'kid', 'NAeZ…');
    await applyAdminChange(ctx, 'surety-key revoke', async (opened) => {
      const key = await findSuretyKey(opened.db, kid);
      if (!key)
        throw new CliError(`no surety key has kid ${kid} — check it (the kid \`surety-key add\` printed)`);
      if (key.revoked_at !== null) {
        throw new CliError(
          `kid ${kid} was already revoked at ${new Date(key.revoked_at).toISOString()} — nothing to do`,
        );
      }
      return {
        writes: [
          opened.db
            .updateTable('surety_keys')
            .set({ revoked_at: Date.now() })
            .where('kid', '=', kid)
            .where('revoked_at', 'is', null)
            .compile(),
        ],
        action: 'admin.surety-key.revoke',
        orgCode: key.surety_code,
        detail: { surety: key.surety_code, kid },
        done: `revoked ${kid} (surety ${key.surety_code})`,
      };
    });
  },
};
