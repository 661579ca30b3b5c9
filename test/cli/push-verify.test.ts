// The reference surety client and the verifiers against a real server: push (201, idempotent 200, refusals,
// 503 retries), verify-receipt --url, verify-log --url (fetched and pinned vkey), verify-log while serving.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postEvent } from '../../src/cli/commands/push.ts';
import { loadConfig } from '../../src/config.ts';
import { type RunningServer, startServer } from '../../src/entry-node.ts';
import { type ReceiptDocument, verifyReceiptDocument } from '../../src/services/receipts.ts';
import { cli, envFor, freePort, issueEvent, tempDir } from './helpers.ts';

let dir: string;
let env: Record<string, string>;
let server: RunningServer;
let url: string;
let key: string;

function eventFile(name: string, event: Record<string, unknown>, pretty = true): string {
  const path = join(dir, name);
  writeFileSync(path, pretty ? JSON.stringify(event, null, 4) : JSON.stringify(event));
  return path;
}

beforeAll(async () => {
  dir = tempDir();
  const port = await freePort();
  env = envFor(join(dir, 'data'), { PORT: String(port) });
  key = join(dir, 'ejcs.private.jwk');
  const pub = join(dir, 'ejcs.public.jwk');
  for (const args of [
    ['migrate'],
    ['org', 'add', '--kind', 'orderer', '--code', '092134', '--name', '那須塩原市長', '--accepts-esurety'],
    ['org', 'add', '--kind', 'surety', '--code', 'ejcs', '--name', '東日本建設業保証株式会社'],
    ['keygen', '--out', key, '--public', pub],
    ['surety-key', 'add', '--surety', 'ejcs', '--jwk', pub],
  ]) {
    const r = await cli(env, args);
    expect(r.code, `${args.join(' ')}: ${r.err.join()}`).toBe(0);
  }
  server = await startServer(loadConfig(env));
  url = server.url;
});

afterAll(async () => {
  await server?.close();
});

describe('push', () => {
  let first: ReceiptDocument;

  it('201: prints a receipt that verifyReceiptDocument accepts, and saves it with --out', async () => {
    const out = join(dir, 'receipt-1.json');
    const r = await cli(env, [
      'push',
      '--key',
      key,
      '--url',
      url,
      '--out',
      out,
      eventFile('e1.json', issueEvent('31074-00001M')),
    ]);
    expect(r.code, r.err.join('\n')).toBe(0);
    first = JSON.parse(r.stdout) as ReceiptDocument;
    expect(first.authKey).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(first);
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const vkey = (await (await fetch(`${url}/log/certs/vkey`)).text()).trim();
    const payload = await verifyReceiptDocument(first, { jwks, vkey });
    expect(payload.sub).toBe('31074-00001M');
  });

  it('200: the same file again (even re-indented) gives the same receipt without the auth key', async () => {
    const r = await cli(env, [
      'push',
      '--key',
      key,
      '--url',
      url,
      eventFile('e1-compact.json', issueEvent('31074-00001M'), false),
    ]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.err[0]).toMatch(/already accepted/);
    const { authKey: _a, ...withoutKey } = first;
    expect(JSON.parse(r.stdout)).toEqual(withoutKey);
  });

  it('refusals exit 1 with the problem detail and each errors[].path line', async () => {
    const bad = issueEvent('31074-00002M', {
      guaranteeAmount: 90_000_000,
      orderer: { code: '092135', name: 'x' },
    });
    const r = await cli(env, ['push', '--key', key, '--url', url, eventFile('bad.json', bad)]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/^densho: push refused: 422 .*errors/);
    expect(r.err.slice(1)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}guaranteeAmount: /),
        expect.stringMatching(/^ {2}orderer\.code: /),
      ]),
    );
  });

  it('refuses unusable keys and files before sending anything', async () => {
    const pubOnly = join(dir, 'ejcs.public.jwk');
    const e = eventFile('e2.json', issueEvent('31074-00002M'));
    expect((await cli(env, ['push', '--key', pubOnly, '--url', url, e])).err[0]).toMatch(/has no "d"/);
    writeFileSync(join(dir, 'broken.json'), '{"eventId": ');
    expect((await cli(env, ['push', '--key', key, '--url', url, join(dir, 'broken.json')])).err[0]).toMatch(
      /is not JSON/,
    );
    const unreachable = await cli(env, ['push', '--key', key, '--url', 'http://127.0.0.1:9', e]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err[0]).toMatch(/cannot reach .*is the server running/);
    const wrongKid = await cli(env, ['push', '--key', key, '--kid', 'nope', '--url', url, e]);
    expect(wrongKid.err[0]).toMatch(/push refused: 401/);
  });

  it('honours 503 Retry-After and resends the same bytes, up to 5 retries', async () => {
    const bodies: string[] = [];
    let fail = 2;
    const fake = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        bodies.push(body);
        if (fail-- > 0) {
          res.writeHead(503, { 'retry-after': '2', 'content-type': 'application/problem+json' });
          res.end('{"detail":"busy"}');
        } else {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        }
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as { port: number }).port;
    const waits: number[] = [];
    try {
      const res = await postEvent(`http://127.0.0.1:${port}`, 'a.b.c', {
        wait: async (ms) => void waits.push(ms),
      });
      expect(res).toEqual({ status: 201, body: { ok: true }, attempts: 3 });
      expect(bodies).toEqual(['a.b.c', 'a.b.c', 'a.b.c']);
      expect(waits).toEqual([2000, 2000]);
      fail = 100;
      const gaveUp = await postEvent(`http://127.0.0.1:${port}`, 'a.b.c', { wait: async () => {} });
      expect(gaveUp.status).toBe(503);
      expect(gaveUp.attempts).toBe(6);
    } finally {
      fake.close();
    }
  });
});

describe('verifiers against the running server', () => {
  it('verify-receipt: an old receipt is consistent with the grown log', async () => {
    for (const n of ['31074-00003M', '31074-00004M', '31074-00005M']) {
      const r = await cli(env, ['push', '--key', key, '--url', url, eventFile(`${n}.json`, issueEvent(n))]);
      expect(r.code, r.err.join()).toBe(0);
    }
    const r = await cli(env, ['verify-receipt', join(dir, 'receipt-1.json'), '--url', url]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out.map((l) => l.split(':')[0])).toEqual([
      'receipt signature',
      'leaf',
      'inclusion',
      'checkpoint',
      'consistency',
    ]);
    expect(r.out[4]).toMatch(/tree 1 → 4, \d-hash proof/);
    expect(r.err[0]).toMatch(/trust on first use/);
  });

  it('verify-receipt refuses a doctored receipt', async () => {
    const doc = JSON.parse(readFileSync(join(dir, 'receipt-1.json'), 'utf8')) as ReceiptDocument;
    writeFileSync(join(dir, 'doctored.json'), JSON.stringify({ ...doc, version: 2 }));
    const r = await cli(env, ['verify-receipt', join(dir, 'doctored.json'), '--url', url]);
    expect(r.code).toBe(1);
    expect(r.err[r.err.length - 1]).toMatch(/^densho: receipt does not verify: .*disagree/);
  });

  it('verify-log --url recomputes the public log; a pinned vkey works, a wrong one fails', async () => {
    const r = await cli(env, ['verify-log', '--url', url]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toMatch(/^certs: 4 leaves, 4 checkpoints, 1 tiles, OK/);
    expect(r.err[0]).toMatch(/warning: .*trust on first use/);
    const vkeyFile = join(dir, 'vkey.txt');
    writeFileSync(vkeyFile, await (await fetch(`${url}/log/certs/vkey`)).text());
    const pinned = await cli(env, ['verify-log', '--url', url, '--vkey', vkeyFile]);
    expect(pinned.code, pinned.err.join()).toBe(0);
    // No TOFU warning with a pinned key; only the note that the access log needs an auditor's --login.
    expect(pinned.err).toEqual([expect.stringMatching(/note: the access log was not checked/)]);
    const other = join(dir, 'other-vkey.txt');
    writeFileSync(other, 'example.com/log/certs+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const wrong = await cli(env, ['verify-log', '--url', url, '--vkey', other]);
    expect(wrong.code).toBe(1);
  });

  it('verify-log (local) checks the live database while the server runs', async () => {
    const r = await cli(env, ['verify-log']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toMatch(/^certs: 4 leaves/);
  });

  it('an admin change while the server runs is applied and logged; the server adopts it at its next append', async () => {
    // The server holds no lock here (started in-process), so take the CLI path that sees a lock.
    const { acquireLock } = await import('../../src/platform/node/lockfile.ts');
    const lock = acquireLock(join(dir, 'data'), 'serve');
    try {
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
      ]);
      expect(r.code, r.err.join()).toBe(0);
      expect(r.err).toEqual([]);
      const list = (await (await fetch(`${url}/api/v1/orderers`)).json()) as { orderers: { code: string }[] };
      expect(list.orderers.map((o) => o.code)).toContain('090000');
      const access = server.runtime.logs.access;
      const before = access.size; // the server has not seen the CLI's append yet
      const logged = await server.runtime.database.db
        .selectFrom('access_events')
        .select(['log_index', 'action'])
        .where('action', '=', 'admin.org.add')
        .where('target', 'is', null)
        .orderBy('log_index', 'desc')
        .executeTakeFirstOrThrow();
      expect(logged.log_index).toBe(before);
      const next = await server.runtime.access.record({
        action: 'test.after-cli',
        outcome: 'ok',
        actor: null,
      });
      expect(next.index).toBe(before + 1);
      expect((await cli(env, ['verify-log'])).code).toBe(0);
    } finally {
      lock.release();
    }
  });
});
