// Test harness: a real platform (SQLite file in a temp dir, real keys, real HTTP on 127.0.0.1) with registered
// orderers and a surety key, plus helpers to sign events like a surety would.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { loadConfig } from '../../src/config.ts';
import { type RunningServer, startServer } from '../../src/entry-node.ts';
import type { RuntimeOptions } from '../../src/platform/node/runtime.ts';
import { insertOrganisation } from '../../src/repos/organisations.ts';
import { insertSuretyKey } from '../../src/repos/surety-keys.ts';
import type { ReceiptDocument } from '../../src/services/receipts.ts';
import { sampleIssueEvent } from '../shared/sample-event.ts';

export interface TestSurety {
  id: number;
  code: string;
  kid: string;
  privateKey: CryptoKey;
  alg: 'EdDSA' | 'ES256';
  /** Sign an event payload (or any bytes/JSON) as this surety: a compact JWS with the densho event typ. */
  sign(payload: unknown, header?: Record<string, unknown>): Promise<string>;
  bearer(
    claims?: Record<string, unknown>,
    opts?: { expSeconds?: number; audience?: string },
  ): Promise<string>;
}

export interface TestPlatform {
  server: RunningServer;
  url: string;
  dataDir: string;
  surety: TestSurety;
  otherSurety: TestSurety;
  push(jws: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export const ORDERERS = [
  { code: '092134', name: '那須塩原市長' },
  { code: '090000', name: '栃木県知事' },
  { code: '2000012100001', name: '国土交通省' },
];

export function tempDataDir(prefix = 'densho-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function makeSurety(
  platform: { server: RunningServer },
  code: string,
  alg: 'EdDSA' | 'ES256' = 'EdDSA',
): Promise<TestSurety> {
  const db = platform.server.runtime.database.db;
  const now = Date.now();
  const id = await insertOrganisation(db, {
    kind: 'surety',
    code,
    name: `${code} 保証株式会社`,
    acceptsEsurety: false,
    acceptsSince: null,
    now,
  });
  const { publicKey, privateKey } =
    alg === 'EdDSA'
      ? await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
      : await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  await insertSuretyKey(db, { kid, suretyId: id, publicJwk: JSON.stringify(jwk), alg, now });
  const origin = platform.server.runtime.config.origin;
  return {
    id,
    code,
    kid,
    privateKey,
    alg,
    sign: (payload, header = {}) =>
      new CompactSign(
        payload instanceof Uint8Array ? payload : new TextEncoder().encode(JSON.stringify(payload)),
      )
        .setProtectedHeader({ alg, kid, typ: 'densho-event+jws', ...header })
        .sign(privateKey),
    bearer: (claims = {}, opts = {}) =>
      new SignJWT({ jti: crypto.randomUUID(), ...claims })
        .setProtectedHeader({ alg, kid })
        .setIssuer(code)
        .setAudience(opts.audience ?? origin)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + (opts.expSeconds ?? 120))
        .sign(privateKey),
  };
}

export async function startTestPlatform(
  options: RuntimeOptions & { dataDir?: string; keepDataDir?: boolean; port?: number } = {},
): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? tempDataDir();
  const port = options.port ?? (await freePort());
  const config = loadConfig({ DENSHO_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' });
  const server = await startServer(config, options);
  const db = server.runtime.database.db;
  for (const o of ORDERERS) {
    const exists = await db
      .selectFrom('organisations')
      .select('id')
      .where('code', '=', o.code)
      .executeTakeFirst();
    if (!exists) {
      await insertOrganisation(db, {
        kind: 'orderer',
        ...o,
        acceptsEsurety: true,
        acceptsSince: '2022-05-09',
        now: Date.now(),
      });
    }
  }
  const platform = { server };
  const surety = await makeSurety(platform, `ejcs-${Math.random().toString(36).slice(2, 8)}`);
  const otherSurety = await makeSurety(platform, `wjcs-${Math.random().toString(36).slice(2, 8)}`, 'ES256');
  return {
    server,
    url: server.url,
    dataDir,
    surety,
    otherSurety,
    push: (jws, headers = {}) =>
      fetch(`${server.url}/api/v1/certificates`, {
        method: 'POST',
        headers: { 'content-type': 'application/jose', ...headers },
        body: jws,
      }),
    close: async () => {
      await server.close();
      if (!options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A free loopback port (so the configured origin, and the log origin derived from it, is the real one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

let seq = 0;
/** A valid 前払金保証 issue event for the seed certificate shape; override anything. */
export function issueEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq += 1;
  return sampleIssueEvent(
    {
      eventId: `ev-${process.pid}-${Date.now()}-${seq}`,
      contractNumber: `31074-${String(seq).padStart(5, '0')}${String.fromCharCode(65 + (seq % 26))}`,
    },
    overrides,
  );
}

/** A follow-up event on an existing certificate (change/correction carry full content). */
export function followUp(
  base: Record<string, unknown>,
  event: 'change' | 'correction' | 'change_cancel' | 'termination',
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  seq += 1;
  const eventId = `ev-${process.pid}-${Date.now()}-${seq}`;
  if (event === 'change_cancel') {
    return { eventId, event, contractNumber: base.contractNumber, targetVersion: 2, ...overrides };
  }
  if (event === 'termination') {
    return {
      eventId,
      event,
      contractNumber: base.contractNumber,
      terminationDate: '2026-02-01',
      ...overrides,
    };
  }
  return { ...base, eventId, event, targetVersion: event === 'correction' ? 1 : null, ...overrides };
}

/** The pids of a process's children (Linux /proc): the HTTP worker processes of a server's primary. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Load for the stop tests: `clients` concurrent clients push the JWSs in order, keeping every 201 receipt in
 * `receipts` as it arrives. A client stops at its first connection error — the server went away, so that push
 * was never answered and nothing was promised for it. `done` resolves with how many clients stopped so.
 */
export function pushUntilStopped(
  url: string,
  jwss: string[],
  clients: number,
): { receipts: ReceiptDocument[]; done: Promise<number> } {
  const receipts: ReceiptDocument[] = [];
  let next = 0;
  const client = async (): Promise<number> => {
    while (next < jwss.length) {
      const jws = jwss[next++]!;
      try {
        const res = await fetch(`${url}/api/v1/certificates`, {
          method: 'POST',
          headers: { 'content-type': 'application/jose' },
          body: jws,
        });
        if (res.status === 201) receipts.push((await res.json()) as ReceiptDocument);
      } catch {
        return 1;
      }
    }
    return 0;
  };
  const done = Promise.all(Array.from({ length: clients }, client)).then((stopped) =>
    stopped.reduce((a, b) => a + b, 0),
  );
  return { receipts, done };
}
