// `densho demo` (what `npm run demo` runs): a fresh demo data directory with the seed's orderers, two sureties with
// keys, demo logins, and certificates pushed through the real HTTP API with the same code as `densho push` —
// then it serves until Ctrl-C. Everything it prints is demo-only material.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadConfig } from '../../config.ts';
import { startServer } from '../../entry-node.ts';
import { acquireLock } from '../../platform/node/lockfile.ts';
import { openRuntime } from '../../platform/node/runtime.ts';
import { hashPassword } from '../../services/passwords.ts';
import { demoEvents, demoExampleEvent } from '../demo-events.ts';
import { generateSuretyKeyPair, privateKeyFromFile, type SuretyAlg } from './jwk.ts';
import { prepareOrg, validateOrg } from './org.ts';
import { postEvent, refusal, signEvent } from './push.ts';
import { listenError, serveUntilStopped } from './serve.ts';
import { type AdminChange, CliError, type Command, commitWithRuntime } from './shared.ts';
import { prepareSuretyKey } from './surety-key.ts';
import { prepareUser, type Role } from './user.ts';

/** Marks a directory the demo created, so it never wipes a directory it did not make. */
const MARKER = '.densho-demo';
export const DEMO_PASSWORD = 'demo-password-1234';

const ORDERERS = [
  { code: '2000012100001', name: '国土交通省', since: '2022-05-09' },
  { code: '090000', name: '栃木県知事', since: '2022-10-01' },
  { code: '092134', name: '那須塩原市長', since: '2023-04-01' },
] as const;

const USERS: { org: string; login: string; role: Role; name: string }[] = [
  { org: '092134', login: 'clerk', role: 'clerk', name: '那須塩原市 契約検査課 担当者' },
  { org: '092134', login: 'auditor', role: 'auditor', name: '那須塩原市 監査担当' },
  { org: '092134', login: 'admin', role: 'admin', name: '那須塩原市 管理者' },
  { org: '090000', login: 'tochigi-clerk', role: 'clerk', name: '栃木県 担当者' },
  { org: 'densho', login: 'platform-auditor', role: 'auditor', name: '電証 監査担当' },
];

/** Empty the demo directory (keeping our own lock file); refuse one the demo did not create. */
function prepareDirectory(dataDir: string): void {
  if (existsSync(dataDir)) {
    const entries = readdirSync(dataDir);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new CliError(
        `${dataDir} holds data the demo did not create, and the demo wipes its directory — unset DENSHO_DATA_DIR (the demo then uses ./data/demo) or point it at an empty directory`,
      );
    }
  }
  mkdirSync(dataDir, { recursive: true });
}

function wipe(dataDir: string): void {
  for (const entry of readdirSync(dataDir)) {
    if (entry === 'densho.lock') continue;
    rmSync(join(dataDir, entry), { recursive: true, force: true });
  }
  writeFileSync(join(dataDir, MARKER), 'created by `densho demo`; wiped and recreated on every run\n');
}

export const demo: Command = {
  name: 'demo',
  summary: 'fresh demo database with seed data, then serve (what `npm run demo` runs)',
  usage: 'densho demo',
  help: `Wipes and recreates the demo data directory (DENSHO_DATA_DIR if set, else ./data/demo — only a directory the
demo created, or an empty one), registers the three seed orderers, the platform organisation, two sureties with
generated Ed25519 keys, demo logins (password ${DEMO_PASSWORD} — demo only), pushes sample certificates
(新規, 変更, 訂正, 変更取消, 解約) through the HTTP API exactly as \`densho push\` does, prints URL, logins,
保証契約番号 with their 認証キー, the surety key file and kid, and serves until Ctrl-C.`,
  options: {},
  async run(ctx) {
    const env = { ...ctx.io.env, DENSHO_DATA_DIR: ctx.io.env.DENSHO_DATA_DIR || './data/demo' };
    const config = loadConfig(env);
    const dataDir = config.dataDir;
    prepareDirectory(dataDir);
    const lock = acquireLock(dataDir, 'demo');
    let running: { server: Awaited<ReturnType<typeof startServer>>; release(): void } | null = null;
    try {
      wipe(dataDir);
      const now = Date.now();
      // Password hashes in parallel (scrypt runs on the threadpool) while keys are made.
      const [hashes, ejcsKeys, sompoKeys] = await Promise.all([
        Promise.all(USERS.map(() => hashPassword(DEMO_PASSWORD))),
        generateSuretyKeyPair(),
        generateSuretyKeyPair(),
      ]);
      const keyFiles = {
        ejcs: join(dataDir, 'demo-surety.private.jwk'),
        'sompo-demo': join(dataDir, 'demo-sompo.private.jwk'),
      } as const;
      const publicFiles = {
        ejcs: join(dataDir, 'demo-surety.public.jwk'),
        'sompo-demo': join(dataDir, 'demo-sompo.public.jwk'),
      };
      for (const [code, pair] of [
        ['ejcs', ejcsKeys],
        ['sompo-demo', sompoKeys],
      ] as const) {
        writeFileSync(keyFiles[code], `${JSON.stringify(pair.privateJwk, null, 2)}\n`, { mode: 0o600 });
        writeFileSync(publicFiles[code], `${JSON.stringify(pair.publicJwk, null, 2)}\n`);
      }

      // Setup through the same admin changes the CLI commands make, each with its access event.
      const runtime = await openRuntime(config);
      try {
        const db = runtime.database.db;
        const apply = async (change: Promise<AdminChange>) => commitWithRuntime(runtime, await change);
        for (const o of ORDERERS) {
          await apply(
            prepareOrg(
              db,
              validateOrg({
                kind: 'orderer',
                code: o.code,
                name: o.name,
                acceptsEsurety: true,
                acceptsSince: o.since,
                update: false,
              }),
              now,
            ),
          );
        }
        await apply(
          prepareOrg(
            db,
            validateOrg({
              kind: 'platform',
              code: 'densho',
              name: '電証 運営',
              acceptsEsurety: false,
              update: false,
            }),
            now,
          ),
        );
        await apply(
          prepareOrg(
            db,
            validateOrg({
              kind: 'surety',
              code: 'ejcs',
              name: '東日本建設業保証株式会社',
              acceptsEsurety: false,
              update: false,
            }),
            now,
          ),
        );
        await apply(
          prepareOrg(
            db,
            validateOrg({
              kind: 'surety',
              code: 'sompo-demo',
              name: 'デモ損害保険株式会社',
              acceptsEsurety: false,
              update: false,
            }),
            now,
          ),
        );
        await apply(prepareSuretyKey(db, { surety: 'ejcs', jwkPath: publicFiles.ejcs }, now));
        await apply(prepareSuretyKey(db, { surety: 'sompo-demo', jwkPath: publicFiles['sompo-demo'] }, now));
        for (const [i, u] of USERS.entries()) {
          await apply(
            prepareUser(
              db,
              { org: u.org, login: u.login, role: u.role, displayName: u.name, passwordHash: hashes[i]! },
              now,
            ),
          );
        }
      } finally {
        await runtime.close();
      }

      const server = await startServer(config).catch((e: unknown) => {
        throw listenError(e, config);
      });
      running = { server, release: lock.release };
      const origin = server.url;

      // Push through the real API with the reference client's code.
      const signers: Record<'ejcs' | 'sompo-demo', { key: CryptoKey; alg: SuretyAlg; kid: string }> = {
        ejcs: { ...(await privateKeyFromFile(keyFiles.ejcs)), kid: ejcsKeys.kid },
        'sompo-demo': { ...(await privateKeyFromFile(keyFiles['sompo-demo'])), kid: sompoKeys.kid },
      };
      const authKeys = new Map<string, string>();
      const stories = new Map<string, string[]>();
      for (const step of demoEvents()) {
        const s = signers[step.surety];
        const jws = await signEvent(
          s.key,
          s.alg,
          s.kid,
          new TextEncoder().encode(JSON.stringify(step.event)),
        );
        const res = await postEvent(origin, jws);
        if (res.status !== 201) throw refusal(res);
        const body = res.body as { contractNumber: string; authKey?: string };
        if (body.authKey) authKeys.set(body.contractNumber, body.authKey);
        stories.set(body.contractNumber, [...(stories.get(body.contractNumber) ?? []), step.story]);
      }
      // A ready-to-push example for the printed `densho push` command.
      const example = join(dataDir, 'demo-event.json');
      writeFileSync(example, `${JSON.stringify(demoExampleEvent(`demo-example-${Date.now()}`), null, 2)}\n`);

      const rel = (p: string) => {
        const r = relative(process.cwd(), p);
        return r.startsWith('..') ? p : r;
      };
      const out = ctx.io.out;
      out('');
      out('電証 デモ環境 (densho demo — DEMO ONLY: this data directory is wiped on every run)');
      out(`URL: ${origin}`);
      // The first thing a newcomer wants to do, in one line: the orderer's check of the seed certificate.
      out(
        `試し方 (try it): ${origin}/login に clerk でログインし、「保証確認」で 31074-00001M と下の認証キーを入力してください (sign in as clerk, then 保証確認 with 31074-00001M and its key below)`,
      );
      out('');
      out(`ログイン (logins) — パスワード (password, demo only): ${DEMO_PASSWORD}`);
      for (const u of USERS) out(`  ${u.login.padEnd(18)} ${u.role.padEnd(8)} ${u.name} (${u.org})`);
      out('');
      out(
        '保証契約番号 / 認証キー (contract number / auth key — what the contractor forwards to the orderer)',
      );
      for (const [number, key] of authKeys)
        out(`  ${number.padEnd(14)} ${key}   ${stories.get(number)?.join(' → ') ?? ''}`);
      out('');
      out(`保証会社の鍵 (surety key, ejcs): ${rel(keyFiles.ejcs)}   kid ${ejcsKeys.kid}`);
      out(`保証会社の鍵 (surety key, sompo-demo): ${rel(keyFiles['sompo-demo'])}   kid ${sompoKeys.kid}`);
      out('送信例 (push an event, as a surety would):');
      out(
        `  npm run densho -- push --key ${rel(keyFiles.ejcs)} --kid ${ejcsKeys.kid} --url ${origin} ${rel(example)}`,
      );
      out('監査 (audit the log):');
      out(`  npm run densho -- verify-log --url ${origin}`);
      out('');
      out('Ctrl-C で終了します (Ctrl-C to stop)');
      await serveUntilStopped(ctx.io, running);
      running = null;
    } finally {
      if (running) await running.server.close();
      lock.release();
    }
  },
};
