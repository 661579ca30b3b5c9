// Operator commands in-process on a real SQLite file: happy paths, every refusal (non-zero, one line, database
// unchanged), and the access events that record each change.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/services/passwords.ts';
import { cli, envFor, snapshot, tempDir } from './helpers.ts';

let dir: string;
let data: string;
let env: Record<string, string>;
let publicJwk: string;
let privateJwk: string;
let kid: string;

/** Runs a command that must be refused: non-zero, exactly one `densho:` line, nothing written. */
async function refused(args: string[], pattern: RegExp, stdin = ''): Promise<void> {
  const before = snapshot(data);
  const r = await cli(env, args, stdin);
  expect(r.code, r.err.join('\n')).not.toBe(0);
  expect(r.err).toHaveLength(1);
  expect(r.err[0]).toMatch(/^densho: /);
  expect(r.err[0]).toMatch(pattern);
  expect(snapshot(data)).toBe(before);
}

function rows<T>(sql: string): T[] {
  const db = new BetterSqlite3(join(data, 'densho.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = tempDir();
  data = join(dir, 'data');
  env = envFor(data);
  const m = await cli(env, ['migrate']);
  expect(m.code, m.err.join()).toBe(0);
  expect(m.stdout).toMatch(/applied \d+ migration/);
  publicJwk = join(dir, 'ejcs.public.jwk');
  privateJwk = join(dir, 'ejcs.private.jwk');
  const kg = await cli(env, ['keygen', '--out', privateJwk, '--public', publicJwk]);
  expect(kg.code, kg.err.join()).toBe(0);
  kid = /^kid (\S+)$/.exec(kg.out[0]!)![1]!;
});

describe('help and usage', () => {
  it('prints the overview and per-command help with exit 0', async () => {
    const h = await cli(env, ['--help']);
    expect(h.code).toBe(0);
    for (const c of [
      'migrate',
      'serve',
      'demo',
      'org add',
      'surety-key add',
      'surety-key revoke',
      'user add',
      'user disable',
      'keys rotate',
      'backup',
      'restore',
      'verify-log',
      'verify-receipt',
      'push',
      'keygen',
    ]) {
      expect(h.stdout).toContain(`  ${c} `);
    }
    const one = await cli(env, ['org', 'add', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^Usage: densho org add --kind orderer\|surety\|platform/);
    expect((await cli(env, ['help', 'verify-log'])).stdout).toMatch(/^Usage: densho verify-log/);
  });

  it('refuses unknown commands, flags and stray arguments with exit 2 and one line', async () => {
    for (const [args, re] of [
      [[], /no command given/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['org'], /needs a subcommand: org add/],
      [['org', 'remove'], /unknown command `densho org remove`/],
      [['org', 'add', '--colour', 'red'], /Unknown option '--colour'.*densho org add --help/],
      [['migrate', 'extra'], /unexpected argument "extra"/],
      [['push', '--key', 'k.jwk'], /missing argument/],
      [['org', 'add', '--kind', 'orderer', '--code', '', '--name', 'x'], /--code needs a value/],
    ] as [string[], RegExp][]) {
      const r = await cli(env, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(re);
    }
  });

  it('names the configuration fix', async () => {
    const r = await cli({ ...env, PORT: 'eighty' }, ['verify-log']);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^densho: invalid configuration: PORT: PORT must be a whole number/);
  });

  it('says to migrate when there is no database', async () => {
    const r = await cli(envFor(join(dir, 'nothing-here')), [
      'org',
      'add',
      '--kind',
      'surety',
      '--code',
      'x1',
      '--name',
      'X',
    ]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/no database at .* run `densho migrate` first/);
  });
});

describe('org add', () => {
  it('adds orderers, sureties and the platform', async () => {
    for (const args of [
      [
        '--kind',
        'orderer',
        '--code',
        '092134',
        '--name',
        ' 那須塩原市長 ',
        '--accepts-esurety',
        '--accepts-since',
        '2022-05-09',
      ],
      ['--kind', 'orderer', '--code', '2000012100001', '--name', '国土交通省', '--accepts-esurety'],
      ['--kind', 'orderer', '--code', '090000', '--name', '栃木県知事'],
      ['--kind', 'surety', '--code', 'ejcs', '--name', '東日本建設業保証株式会社'],
      ['--kind', 'platform', '--code', 'densho', '--name', '電証 運営'],
    ]) {
      const r = await cli(env, ['org', 'add', ...args]);
      expect(r.code, r.err.join()).toBe(0);
      expect(r.stdout).toMatch(/^added /);
    }
    const orgs = rows<{
      kind: string;
      code: string;
      name: string;
      accepts_esurety: number;
      accepts_since: string | null;
    }>('SELECT kind, code, name, accepts_esurety, accepts_since FROM organisations ORDER BY id');
    expect(orgs[0]).toEqual({
      kind: 'orderer',
      code: '092134',
      name: '那須塩原市長',
      accepts_esurety: 1,
      accepts_since: '2022-05-09',
    });
    expect(orgs.map((o) => o.code)).toEqual(['092134', '2000012100001', '090000', 'ejcs', 'densho']);
    // Each change is in the access log, with the operator as actor.
    const events = rows<{ action: string; actor: string; org_code: string }>(
      "SELECT action, actor, org_code FROM access_events WHERE action LIKE 'admin.org.%' ORDER BY log_index",
    );
    expect(events.map((e) => e.org_code)).toEqual(['092134', '2000012100001', '090000', 'ejcs', 'densho']);
    expect(events[0]!.actor).toMatch(/^operator:/);
  });

  it('refuses bad flags and duplicates without writing', async () => {
    const add = (...a: string[]) => ['org', 'add', ...a];
    await refused(
      add('--kind', 'town', '--code', '092134', '--name', 'x'),
      /--kind must be orderer, surety or platform/,
    );
    await refused(
      add('--kind', 'orderer', '--code', '092135', '--name', 'x'),
      /not an orderer code .*check digit/,
    );
    await refused(add('--kind', 'orderer', '--code', '92134', '--name', 'x'), /not an orderer code/);
    await refused(add('--kind', 'surety', '--code', 'EJCS', '--name', 'x'), /not a surety code/);
    await refused(add('--kind', 'surety', '--code', 'e', '--name', 'x'), /not a surety code/);
    await refused(add('--kind', 'surety', '--code', 'wjcs', '--name', '   '), /--name needs a value/);
    await refused(add('--kind', 'surety', '--code', 'wjcs', '--name', 'x'.repeat(201)), /at most 200/);
    await refused(
      add('--kind', 'surety', '--code', 'wjcs', '--name', 'a\u202Eb'),
      /control or text-direction/,
    );
    await refused(
      add('--kind', 'surety', '--code', 'wjcs', '--name', 'x', '--accepts-esurety'),
      /orderers only/,
    );
    await refused(
      add('--kind', 'orderer', '--code', '092134', '--name', 'x', '--accepts-since', '2022-05-09'),
      /needs --accepts-esurety/,
    );
    await refused(
      add(
        '--kind',
        'orderer',
        '--code',
        '092134',
        '--name',
        'x',
        '--accepts-esurety',
        '--accepts-since',
        '2022-02-30',
      ),
      /real date/,
    );
    await refused(
      add('--kind', 'orderer', '--code', '092134', '--name', '那須塩原市'),
      /already exists \(那須塩原市長\).*--update/,
    );
    await refused(add('--kind', 'surety', '--code', 'ejcs', '--name', 'dup'), /already exists/);
    await refused(
      add('--kind', 'orderer', '--code', '272001', '--name', '大阪市長', '--update'),
      /no orderer 272001 to update/,
    );
  });

  it('updates name and acceptance with --update', async () => {
    const r = await cli(env, [
      'org',
      'add',
      '--kind',
      'orderer',
      '--code',
      '090000',
      '--name',
      '栃木県知事',
      '--accepts-esurety',
      '--accepts-since',
      '2022-10-01',
      '--update',
    ]);
    expect(r.code, r.err.join()).toBe(0);
    expect(r.stdout).toMatch(/^updated orderer 090000/);
    expect(
      rows<{ accepts_esurety: number }>("SELECT accepts_esurety FROM organisations WHERE code = '090000'")[0]!
        .accepts_esurety,
    ).toBe(1);
  });
});

describe('surety-key', () => {
  it('refuses private, unsupported, malformed keys and unknown sureties', async () => {
    await refused(
      ['surety-key', 'add', '--surety', 'ejcs', '--jwk', privateJwk],
      /is a private key \(it has "d"\)/,
    );
    const rsa = join(dir, 'rsa.jwk');
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    writeFileSync(rsa, JSON.stringify(await exportJWK(publicKey)));
    await refused(['surety-key', 'add', '--surety', 'ejcs', '--jwk', rsa], /unsupported key \(kty RSA/);
    const junk = join(dir, 'junk.jwk');
    writeFileSync(junk, '{"kty":"OKP","crv":"Ed25519","x":"AAAA"}');
    await refused(['surety-key', 'add', '--surety', 'ejcs', '--jwk', junk], /not a valid Ed25519 public key/);
    writeFileSync(junk, 'not json');
    await refused(['surety-key', 'add', '--surety', 'ejcs', '--jwk', junk], /is not JSON/);
    await refused(
      ['surety-key', 'add', '--surety', 'ejcs', '--jwk', join(dir, 'missing.jwk')],
      /cannot read .*ENOENT/,
    );
    await refused(['surety-key', 'add', '--surety', 'nope', '--jwk', publicJwk], /there is no surety "nope"/);
    await refused(
      ['surety-key', 'add', '--surety', '092134', '--jwk', publicJwk],
      /there is no surety "092134"/,
    );
  });

  it('adds an Ed25519 key (prints the thumbprint kid) and a P-256 key, and refuses a second registration', async () => {
    const r = await cli(env, ['surety-key', 'add', '--surety', 'ejcs', '--jwk', publicJwk]);
    expect(r.code, r.err.join()).toBe(0);
    expect(r.out).toEqual([kid]);
    const ec = join(dir, 'ec.jwk');
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    writeFileSync(ec, JSON.stringify({ ...(await exportJWK(publicKey)), kid: 'ejcs-p256-2025' }));
    const r2 = await cli(env, ['surety-key', 'add', '--surety', 'ejcs', '--jwk', ec]);
    expect(r2.code, r2.err.join()).toBe(0);
    expect(r2.out).toEqual(['ejcs-p256-2025']);
    const keys = rows<{ kid: string; alg: string; public_jwk: string }>(
      'SELECT kid, alg, public_jwk FROM surety_keys ORDER BY created_at',
    );
    expect(keys.map((k) => [k.kid, k.alg])).toEqual([
      [kid, 'EdDSA'],
      ['ejcs-p256-2025', 'ES256'],
    ]);
    expect(Object.keys(JSON.parse(keys[1]!.public_jwk)).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    await refused(['surety-key', 'add', '--surety', 'ejcs', '--jwk', publicJwk], /already registered/);
  });

  it('revokes by kid; unknown and already revoked kids are refused', async () => {
    await refused(['surety-key', 'revoke', '--kid', 'no-such-kid'], /no surety key has kid no-such-kid/);
    const r = await cli(env, ['surety-key', 'revoke', '--kid', 'ejcs-p256-2025']);
    expect(r.code, r.err.join()).toBe(0);
    expect(r.stdout).toMatch(/^revoked ejcs-p256-2025/);
    await refused(['surety-key', 'revoke', '--kid', 'ejcs-p256-2025'], /already revoked/);
  });
});

describe('user', () => {
  it('adds a user with the password from stdin, stored as scrypt', async () => {
    const r = await cli(
      env,
      ['user', 'add', '--org', '092134', '--login', 'clerk1', '--role', 'clerk'],
      'a long enough password\n',
    );
    expect(r.code, r.err.join()).toBe(0);
    expect(r.stdout).toMatch(/^added clerk clerk1 to 那須塩原市長/);
    const u = rows<{ password_hash: string; role: string }>(
      "SELECT password_hash, role FROM users WHERE login = 'clerk1'",
    )[0]!;
    expect(u.role).toBe('clerk');
    expect(await verifyPassword('a long enough password', u.password_hash)).toBe(true);
    const logged = rows<{ detail: string }>(
      "SELECT detail FROM access_events WHERE action = 'admin.user.add'",
    );
    expect(logged).toHaveLength(1);
    expect(logged[0]!.detail).not.toMatch(/scrypt|password/);
  });

  it('refuses weak passwords, taken logins, bad roles and orgs without users', async () => {
    const add = (...a: string[]) => ['user', 'add', ...a];
    await refused(
      add('--org', '092134', '--login', 'clerk2', '--role', 'clerk'),
      /12文字以上.*at least 12 characters/,
      'short\n',
    );
    await refused(add('--org', '092134', '--login', 'clerk2', '--role', 'clerk'), /no password on stdin/, '');
    await refused(
      add('--org', '092134', '--login', 'clerk1', '--role', 'clerk'),
      /login clerk1 is taken/,
      'a long enough password\n',
    );
    await refused(add('--org', '092134', '--login', 'Clerk 2', '--role', 'clerk'), /is not a login/);
    await refused(
      add('--org', '092134', '--login', 'clerk2', '--role', 'root'),
      /--role must be clerk, auditor or admin/,
    );
    await refused(
      add('--org', '999999', '--login', 'clerk2', '--role', 'clerk'),
      /no orderer or platform organisation 999999/,
    );
    await refused(add('--org', 'ejcs', '--login', 'clerk2', '--role', 'clerk'), /ejcs is a surety/);
  });

  it('adds a platform auditor and disables logins once', async () => {
    const r = await cli(
      env,
      ['user', 'add', '--org', 'densho', '--login', 'platform-auditor', '--role', 'auditor'],
      'another long password\n',
    );
    expect(r.code, r.err.join()).toBe(0);
    // A signed-in browser of clerk1: disabling must sign it out.
    const w = new BetterSqlite3(join(data, 'densho.db'));
    w.prepare(
      "INSERT INTO sessions (id, secret_hash, user_id, created_at, last_seen_at) SELECT 'session-of-clerk1-0001', zeroblob(32), id, 1, 1 FROM users WHERE login = 'clerk1'",
    ).run();
    w.close();
    const d = await cli(env, ['user', 'disable', '--login', 'clerk1']);
    expect(d.code, d.err.join()).toBe(0);
    expect(rows('SELECT id FROM sessions')).toEqual([]);
    expect(
      rows<{ disabled_at: number | null }>("SELECT disabled_at FROM users WHERE login = 'clerk1'")[0]!
        .disabled_at,
    ).toBeGreaterThan(0);
    await refused(['user', 'disable', '--login', 'clerk1'], /already disabled/);
    await refused(['user', 'disable', '--login', 'nobody'], /there is no login nobody/);
  });
});

describe('keys rotate', () => {
  it('makes a new receipt key current and logs the rotation', async () => {
    const r = await cli(env, ['keys', 'rotate']);
    expect(r.code, r.err.join()).toBe(0);
    const m = /^new receipt key (\S+) \(was (\S+)\)/.exec(r.stdout)!;
    expect(m[1]).not.toBe(m[2]);
    const ev = rows<{ detail: string }>(
      "SELECT detail FROM access_events WHERE action = 'admin.keys.rotate'",
    );
    expect(JSON.parse(ev[0]!.detail)).toEqual({ kid: m[1], previous: m[2] });
  });

  it('leaves a log that verify-log accepts', async () => {
    const r = await cli(env, ['verify-log']);
    expect(r.code, r.err.join()).toBe(0);
    expect(r.out[0]).toMatch(/^certs: 0 leaves, 1 checkpoints, 0 tiles, OK/);
    expect(r.out[1]).toMatch(/^access: \d+ leaves, \d+ checkpoints, 1 tiles, OK/);
  });
});
