// Smoke test: `wrangler dev` (workerd, local D1 in a temp dir, offline) serves the demo — migrations applied with
// wrangler, the demo seeded and pushed by scripts/cf-demo.ts, then a clerk signs in and verifies a certificate.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type DemoResult, runDemo } from '../../scripts/cf-demo.ts';
import { devVarsText } from '../../scripts/cf-dev-vars.ts';
import { openCheckpoint } from '../../src/domain/checkpoint.ts';
import { freePort } from '../helpers/platform.ts';

const OFFLINE = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' };

let dir: string;
let child: ChildProcess | undefined;
let url: string;
let demo: DemoResult;
let output = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'densho-wrangler-dev-'));
  const vars = join(dir, 'dev.vars');
  writeFileSync(vars, await devVarsText(), { mode: 0o600 });
  const env = { ...process.env, ...OFFLINE };
  const migrate = spawnSync(
    'npx',
    ['wrangler', 'd1', 'migrations', 'apply', 'densho', '--local', '--persist-to', join(dir, 'state')],
    { encoding: 'utf8', env },
  );
  expect(migrate.status, migrate.stderr).toBe(0);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // Its own process group, so the whole tree (npx → wrangler → workerd) is stopped in afterAll.
  child = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      join(dir, 'state'),
      '--env-file',
      vars,
      '--var',
      `DENSHO_ORIGIN:${url}`,
      '--show-interactive-dev-session=false',
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await fetch(`${url}/healthz`).catch(() => null);
    if (res?.status === 200) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`wrangler dev did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  demo = await runDemo({ url, persistTo: join(dir, 'state'), log: () => {} });
}, 150_000);

afterAll(() => {
  if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('wrangler dev serves the demo', () => {
  it('pushes the demo certificates through the worker (201 with 認証キー)', () => {
    expect(demo.certificates.map((c) => c.status)).toEqual([201, 201]);
    for (const c of demo.certificates) expect(c.authKey).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  });

  it('serves the public pages, static files and a signed checkpoint', async () => {
    const home = await fetch(`${url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toContain(`${url}/static/`);
    const htmx = await fetch(`${url}/static/vendor/htmx-4.0.1.min.js`);
    expect(htmx.status).toBe(200);
    expect(htmx.headers.get('cache-control')).toContain('immutable');
    const vkey = (await (await fetch(`${url}/log/certs/vkey`)).text()).trim();
    const cp = await openCheckpoint(
      await (await fetch(`${url}/log/certs/checkpoint`)).text(),
      vkey,
      `127.0.0.1:${url.split(':')[2]}/log/certs`,
    );
    expect(cp.size).toBe(2);
  });

  it('lets the demo clerk sign in and verify a demo certificate', async () => {
    const cookies = new Map<string, string>();
    const send = async (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set('accept', 'text/html');
      if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
      const res = await fetch(url + path, { ...init, headers, redirect: 'manual' });
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      return res;
    };
    const postForm = async (path: string, from: string, form: Record<string, string>) => {
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await send(from)).text())?.[1] ?? '';
      return send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
        body: new URLSearchParams({ ...form, _csrf: csrf }),
      });
    };
    expect((await postForm('/login', '/login', { login: 'clerk', password: DEMO_PASSWORD })).status).toBe(
      303,
    );
    const cert = demo.certificates[0]!;
    const verified = await postForm('/verify', '/verify', {
      contractNumber: cert.contractNumber,
      authKey: cert.authKey!,
    });
    expect(verified.status).toBe(303);
    const page = await send(verified.headers.get('location')!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('電子保証概要');
  });
});
