// Demo data for the Worker under `wrangler dev` (npm run cf:demo, while npm run cf:dev runs): the seed orderers, a
// surety with a fresh key, demo logins (DEMO ONLY password) written to the local D1 with `wrangler d1 execute`,
// then demo certificates pushed through the running worker's API. Prints the logins, numbers and 認証キー.
// Usage: tsx scripts/cf-demo.ts [--url http://127.0.0.1:8787] [--persist-to DIR]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { demoEvents } from '../src/cli/demo-events.ts';
import { hashPassword } from '../src/services/passwords.ts';

export const DEMO_PASSWORD = 'demo-password-1234';

const ORDERERS = [
  { code: '2000012100001', name: '国土交通省', since: '2022-05-09' },
  { code: '090000', name: '栃木県知事', since: '2022-10-01' },
  { code: '092134', name: '那須塩原市長', since: '2023-04-01' },
];
const SURETY = { code: 'ejcs', name: '東日本建設業保証株式会社' };
const USERS = [
  { org: '092134', login: 'clerk', role: 'clerk', name: '那須塩原市 契約検査課 担当者' },
  { org: '092134', login: 'auditor', role: 'auditor', name: '那須塩原市 監査担当' },
];

/** A SQL literal: the seed runs through `wrangler d1 execute --file`, which has no bound parameters. */
function lit(v: string | number | null): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(Math.trunc(v));
  return `'${v.replaceAll("'", "''")}'`;
}

/** The seed as SQL (re-runnable: organisations and users are INSERT OR IGNORE; every run adds a new surety key). */
export async function demoSeedSql(publicJwk: JsonWebKey, kid: string, now = Date.now()): Promise<string> {
  const hash = await hashPassword(DEMO_PASSWORD);
  const sql: string[] = [];
  for (const o of ORDERERS) {
    sql.push(
      'INSERT OR IGNORE INTO organisations (kind, code, name, accepts_esurety, accepts_since, created_at) ' +
        `VALUES ('orderer', ${lit(o.code)}, ${lit(o.name)}, 1, ${lit(o.since)}, ${lit(now)});`,
    );
  }
  sql.push(
    'INSERT OR IGNORE INTO organisations (kind, code, name, accepts_esurety, accepts_since, created_at) ' +
      `VALUES ('surety', ${lit(SURETY.code)}, ${lit(SURETY.name)}, 0, NULL, ${lit(now)});`,
  );
  for (const u of USERS) {
    sql.push(
      'INSERT OR IGNORE INTO users (org_id, login, password_hash, role, display_name, created_at) ' +
        `SELECT id, ${lit(u.login)}, ${lit(hash)}, ${lit(u.role)}, ${lit(u.name)}, ${lit(now)} ` +
        `FROM organisations WHERE kind = 'orderer' AND code = ${lit(u.org)};`,
    );
  }
  sql.push(
    'INSERT INTO surety_keys (kid, surety_id, public_jwk, alg, created_at) ' +
      `SELECT ${lit(kid)}, id, ${lit(JSON.stringify(publicJwk))}, 'EdDSA', ${lit(now)} ` +
      `FROM organisations WHERE kind = 'surety' AND code = ${lit(SURETY.code)};`,
  );
  return `${sql.join('\n')}\n`;
}

/** The two 那須塩原市 issues of `npm run demo` (src/cli/demo-events.ts), pushed by the one demo surety here. */
function demoIssues(): Record<string, unknown>[] {
  return demoEvents()
    .filter((d) => d.surety === 'ejcs' && d.event.event === 'issue')
    .map((d) => d.event)
    .filter((e) => (e.orderer as { code: string }).code === '092134')
    .slice(0, 2);
}

export interface DemoResult {
  certificates: { contractNumber: string; authKey: string | null; status: number }[];
}

/** Seed the local D1 and push the demo certificates to the running worker at `url`. */
export async function runDemo(opts: {
  url: string;
  persistTo?: string;
  log?: (s: string) => void;
}): Promise<DemoResult> {
  const log = opts.log ?? console.log;
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const dir = mkdtempSync(join(tmpdir(), 'densho-cf-demo-'));
  try {
    const file = join(dir, 'seed.sql');
    writeFileSync(file, await demoSeedSql(jwk, kid));
    const args = ['wrangler', 'd1', 'execute', 'densho', '--local', '--file', file];
    if (opts.persistTo) args.push('--persist-to', opts.persistTo);
    const r = spawnSync('npx', args, {
      encoding: 'utf8',
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
    });
    if (r.status !== 0) {
      throw new Error(
        `seeding the local D1 failed — run \`npm run cf:migrate\` first.\n${r.stderr || r.stdout}`.trim(),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const certificates: DemoResult['certificates'] = [];
  for (const event of demoIssues()) {
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(event)))
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'densho-event+jws' })
      .sign(privateKey);
    const res = await fetch(`${opts.url}/api/v1/certificates`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: jws,
    });
    const body = (await res.json()) as { authKey?: string; type?: string; detail?: string };
    if (res.status !== 201 && res.status !== 409) {
      throw new Error(
        `pushing ${String(event.contractNumber)} failed: ${res.status} ${JSON.stringify(body)}`,
      );
    }
    certificates.push({
      contractNumber: String(event.contractNumber),
      authKey: body.authKey ?? null,
      status: res.status,
    });
  }
  log(
    `demo (DEMO ONLY) on ${opts.url}: log in as clerk / ${DEMO_PASSWORD} (那須塩原市), auditor / ${DEMO_PASSWORD}`,
  );
  for (const c of certificates) {
    log(
      c.authKey
        ? `  保証契約番号 ${c.contractNumber}  認証キー ${c.authKey}`
        : `  保証契約番号 ${c.contractNumber}  (pushed by an earlier run: its 認証キー was printed then)`,
    );
  }
  return { certificates };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { url: { type: 'string', default: 'http://127.0.0.1:8787' }, 'persist-to': { type: 'string' } },
  });
  try {
    await runDemo({ url: values.url!, ...(values['persist-to'] ? { persistTo: values['persist-to'] } : {}) });
  } catch (err) {
    console.error(`cf-demo: ${(err as Error).message}\n(is \`npm run cf:dev\` running at ${values.url}?)`);
    process.exit(1);
  }
}
