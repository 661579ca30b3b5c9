// The real CLI as separate processes: help and exit codes, the bin launcher, serve holding the lock against
// restore, a password on a real stdin pipe, and the demo coming up with its orderers and a verifiable log.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, envFor, freePort, ROOT, runSpawned, spawnCli, tempDir } from './helpers.ts';

describe('the densho process', () => {
  it('--help exits 0; an unknown command exits 2 with one stderr line; the bin launcher works', async () => {
    const help = await runSpawned(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^densho — operator CLI/);
    const bad = await runSpawned(['frobnicate'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      'densho: unknown command "frobnicate" — run `densho --help` for the list',
    ]);
    const { spawnSync } = await import('node:child_process');
    const bin = spawnSync(process.execPath, [join(ROOT, 'src/cli/densho.mjs'), 'keygen', '--help'], {
      cwd: ROOT,
    });
    expect(bin.status).toBe(0);
    expect(bin.stdout.toString()).toMatch(/^Usage: densho keygen --out PRIVATE_JWK_FILE/);
  });

  it('serve holds the lock: restore is refused until it stops; user add reads a piped password', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const env = envFor(data, { PORT: String(await freePort()) });
    expect((await cli(env, ['migrate'])).code).toBe(0);
    expect(
      (await cli(env, ['org', 'add', '--kind', 'orderer', '--code', '092134', '--name', '那須塩原市長']))
        .code,
    ).toBe(0);
    const added = await runSpawned(
      ['user', 'add', '--org', '092134', '--login', 'clerk1', '--role', 'clerk'],
      env,
      'piped password 123\n',
    );
    expect(added.code, added.stderr).toBe(0);
    expect((await cli(env, ['backup', '--to', join(dir, 'b.db')])).code).toBe(0);

    const serve = spawnCli(['serve'], env);
    try {
      const [, url] = await serve.waitFor(/densho serving (http:\/\/\S+)/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const refused = await runSpawned(['restore', '--from', join(dir, 'b.db')], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toMatch(/^densho: the data directory is in use by `densho serve` \(pid \d+/);
      const second = await runSpawned(['serve'], env);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/in use by `densho serve`/);
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toMatch(/SIGTERM — finishing accepted requests, then closing/);
    expect(existsSync(join(data, 'densho.lock'))).toBe(false);
    const restored = await cli(env, ['restore', '--from', join(dir, 'b.db')]);
    expect(restored.code, restored.err.join()).toBe(0);
  });

  it('demo comes up with the three orderers, receipts and a log that verifies', async () => {
    const data = join(tempDir(), 'demo');
    const env = { DENSHO_DATA_DIR: data, HOST: '127.0.0.1', PORT: String(await freePort()) };
    const started = Date.now();
    const demo = spawnCli(['demo'], env);
    try {
      const [, url] = await demo.waitFor(/^URL: (http:\/\/\S+)$/m);
      await demo.waitFor(/Ctrl-C/);
      const upIn = Date.now() - started;
      const out = demo.stdout();
      expect(out).toMatch(/demo-password-1234/);
      for (const login of ['clerk', 'auditor', 'admin', 'tochigi-clerk', 'platform-auditor']) {
        expect(out).toMatch(new RegExp(`^ {2}${login} `, 'm'));
      }
      for (const n of ['31074-00001M', '31074-00002M', '31074-00003M', 'SD2025-000777', '31074-00004M']) {
        expect(out).toMatch(new RegExp(`^ {2}${n} +[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4} `, 'm'));
      }
      expect(out).toMatch(/push --key \S*demo-surety\.private\.jwk --kid \S+ --url/);
      const orderers = (await (await fetch(`${url}/api/v1/orderers`)).json()) as {
        orderers: { code: string; name: string }[];
      };
      expect(orderers.orderers.map((o) => o.name).sort()).toEqual(
        ['国土交通省', '栃木県知事', '那須塩原市長'].sort(),
      );
      const v = await cli(env, ['verify-log']);
      expect(v.code, v.err.join()).toBe(0);
      expect(v.out[0]).toMatch(/^certs: 10 leaves/);
      const remote = await cli(env, ['verify-log', '--url', url!]);
      expect(remote.code, remote.err.join()).toBe(0);
      expect(upIn).toBeLessThan(15_000);
    } finally {
      demo.child.kill('SIGINT');
    }
    expect(await demo.exited).toBe(0);
  });

  it('demo refuses to wipe a directory it did not create', async () => {
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'precious.txt'), 'keep me');
    const r = await cli({ DENSHO_DATA_DIR: dir, PORT: '18998' }, ['demo']);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/holds data the demo did not create/);
    expect(existsSync(join(dir, 'precious.txt'))).toBe(true);
  });
});
