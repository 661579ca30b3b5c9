// `densho verify-log --url ORIGIN --login AUDITOR`: the access log verified over HTTP against a real server on
// loopback, through /audit/log/access/… with a platform auditor's session — and a tampered database found remotely.
// Also: without a login only the certificate log is checked (with a note); an organisation's auditor is refused by
// the API (403 named); a wrong password fails; plain HTTP to a non-loopback host never gets the password.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type RunningServer, startServer } from '../../src/entry-node.ts';
import { cli, envFor, freePort, tempDir } from './helpers.ts';

const PASSWORD = 'auditor-password-1234';
let dir: string;
let env: Record<string, string>;
let server: RunningServer | null = null;

async function start(): Promise<RunningServer> {
  server = await startServer(loadConfig(env));
  return server;
}

beforeAll(async () => {
  dir = tempDir('densho-remote-access-');
  env = envFor(join(dir, 'data'), { PORT: String(await freePort()) });
  const run = async (args: string[], stdin = '') => {
    const r = await cli(env, args, stdin);
    expect(r.code, r.err.join()).toBe(0);
  };
  await run(['migrate']);
  await run(['org', 'add', '--kind', 'platform', '--code', 'densho', '--name', '電証 運営']);
  await run(['org', 'add', '--kind', 'orderer', '--code', '092134', '--name', '那須塩原市長']);
  await run(['user', 'add', '--org', 'densho', '--login', 'pa', '--role', 'auditor'], `${PASSWORD}\n`);
  await run(['user', 'add', '--org', '092134', '--login', 'oa', '--role', 'auditor'], `${PASSWORD}\n`);
  const s = await start();
  // More than two full tiles of access events, so bundles, full and partial tiles all take part.
  for (let i = 0; i < 600; i++) {
    await s.runtime.access.record({ action: 'certificate.view', outcome: 'success', actor: `user:${i % 7}` });
  }
});

afterAll(async () => {
  await server?.close();
});

const withLogin = (login: string, password = PASSWORD) => ({
  ...env,
  DENSHO_AUDITOR_LOGIN: login,
  DENSHO_AUDITOR_PASSWORD: password,
});

describe('verify-log --url: the access log over HTTP', () => {
  it('without a login checks the certificate log and says the access log was not checked', async () => {
    const r = await cli(env, ['verify-log', '--url', server!.url]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toHaveLength(1);
    expect(r.out[0]).toMatch(/^certs: /);
    expect(r.err.join('\n')).toMatch(/note: the access log was not checked .* add --login AUDITOR/);
  });

  it('verifies every leaf, tile and checkpoint of the access log as a platform auditor, then signs out', async () => {
    const s = server!;
    const vkeyFile = join(dir, 'access.vkey');
    writeFileSync(vkeyFile, `${s.runtime.logs.access.vkey}\n`);
    const r = await cli(withLogin('pa'), ['verify-log', '--url', s.url, '--access-vkey', vkeyFile]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toMatch(/^certs: /);
    expect(r.out[1]).toMatch(/^access: (\d+) leaves/);
    expect(Number(/^access: (\d+) leaves/.exec(r.out[1]!)![1])).toBeGreaterThan(600);
    // The sign-in, the reads and the sign-out are all in the access log.
    const rows = await s.runtime.database.db
      .selectFrom('access_events')
      .select(['action', 'outcome', 'detail'])
      .where('log_index', '>', 600)
      .execute();
    expect(rows.some((e) => e.action === 'auth.login' && e.outcome === 'success')).toBe(true);
    expect(
      rows.filter((e) => e.action === 'audit.query' && e.detail?.includes('log-api')).length,
    ).toBeGreaterThan(3);
    expect(rows.some((e) => e.action === 'auth.logout')).toBe(true);
  });

  it("refuses an organisation's auditor (403, said so) and a wrong password", async () => {
    const org = await cli(withLogin('oa'), ['verify-log', '--url', server!.url]);
    expect(org.code).toBe(1);
    expect(org.err.join()).toMatch(/403 — the access log API is for the platform's auditors/);
    const wrong = await cli(withLogin('pa', 'not-the-password-00'), ['verify-log', '--url', server!.url]);
    expect(wrong.code).toBe(1);
    expect(wrong.err.join()).toMatch(/signing in as pa at .* failed/);
  });

  it('never sends the password over plain HTTP to another host (refused before any request)', async () => {
    const { signInAsAuditor } = await import('../../src/cli/auditor-session.ts');
    await expect(signInAsAuditor('http://densho.example.jp', 'pa', PASSWORD)).rejects.toThrow(
      /refusing to send a password .* over plain HTTP/,
    );
  });

  it('finds a tampered access leaf remotely (the server starts: its self-check reads only the right edge)', async () => {
    await server!.close();
    server = null;
    const db = new BetterSqlite3(join(env.DENSHO_DATA_DIR!, 'densho.db'));
    try {
      db.exec('DROP TRIGGER log_entries_no_update');
      const row = db.prepare("SELECT leaf FROM log_entries WHERE log = 'access' AND idx = 42").get() as {
        leaf: Buffer;
      };
      const text = row.leaf.toString('utf8').replace('"outcome":"success"', '"outcome":"failure"');
      expect(text).toContain('"failure"');
      db.prepare("UPDATE log_entries SET leaf = ? WHERE log = 'access' AND idx = 42").run(Buffer.from(text));
    } finally {
      db.close();
    }
    const s = await start();
    const r = await cli(withLogin('pa'), ['verify-log', '--url', s.url]);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/access: .*(tile 0\/000|root)/);
  });
});
