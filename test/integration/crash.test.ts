// Crash test: push under load, SIGKILL the server process, restart it, and check that every certificate whose
// receipt was received is present, the log self-check passes at start, and `densho verify-log` passes. Run for the
// single-process server and for the primary of a server with two HTTP worker processes (DENSHO_HTTP_WORKERS=2):
// killing the primary must leave no worker behind and lose nothing either.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { fromBase64 } from '../../src/domain/bytes.ts';
import { migrate } from '../../src/platform/node/migrator.ts';
import { databaseFile } from '../../src/platform/node/runtime.ts';
import { openDatabase } from '../../src/platform/node/sqlite.ts';
import { insertOrganisation } from '../../src/repos/organisations.ts';
import { insertSuretyKey } from '../../src/repos/surety-keys.ts';
import {
  childPids,
  freePort,
  issueEvent,
  ORDERERS,
  processAlive,
  pushUntilStopped,
  tempDataDir,
} from '../helpers/platform.ts';

const root = join(import.meta.dirname, '../..');
const dataDirs: string[] = [];
let child: ChildProcess | null = null;

afterAll(() => {
  child?.kill('SIGKILL');
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string>) {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function waitHealthy(url: string, proc: ChildProcess): Promise<void> {
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}): ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server did not become healthy: ${stderr}`);
}

describe.each([
  { workers: 0, name: 'one process' },
  { workers: 2, name: 'primary of two HTTP worker processes' },
])('crash safety ($name)', ({ workers: httpWorkers }) => {
  it('SIGKILL under load loses no receipted certificate; restart self-checks; verify-log passes', async () => {
    const dataDir = tempDataDir('densho-crash-');
    dataDirs.push(dataDir);
    // Registry and a surety key, written before the server starts (as the operator CLI would).
    const opened = openDatabase(databaseFile(dataDir));
    migrate(opened.sqlite);
    const now = Date.now();
    for (const o of ORDERERS) {
      await insertOrganisation(opened.db, {
        kind: 'orderer',
        ...o,
        acceptsEsurety: true,
        acceptsSince: null,
        now,
      });
    }
    const suretyId = await insertOrganisation(opened.db, {
      kind: 'surety',
      code: 'ejcs',
      name: '東日本建設業保証株式会社',
      acceptsEsurety: false,
      acceptsSince: null,
      now,
    });
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    await insertSuretyKey(opened.db, { kid, suretyId, publicJwk: JSON.stringify(jwk), alg: 'EdDSA', now });
    await opened.close();

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      DENSHO_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      DENSHO_HTTP_WORKERS: String(httpWorkers),
    };
    child = cli(['serve'], env);
    await waitHealthy(url, child);
    const workerPids = childPids(child.pid!); // the HTTP workers (threads are not child processes)
    if (httpWorkers > 0) expect(workerPids.length).toBeGreaterThanOrEqual(httpWorkers);

    // Load: 48 workers pushing distinct certificates until the process dies under them.
    const jwss = await Promise.all(
      Array.from({ length: 6000 }, () =>
        new CompactSign(new TextEncoder().encode(JSON.stringify(issueEvent())))
          .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'densho-event+jws' })
          .sign(privateKey),
      ),
    );
    // 48 clients; a connection reset by the kill means no receipt, so nothing was promised for that push.
    const { receipts, done } = pushUntilStopped(url, jwss, 48);
    const killer = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (receipts.length >= 300) {
          clearInterval(timer);
          child?.kill('SIGKILL');
          resolve();
        }
      }, 5);
    });
    await killer;
    const errors = await done;
    expect(receipts.length).toBeGreaterThanOrEqual(300);
    expect(errors).toBeGreaterThan(0); // the kill really happened mid-load
    // No orphan: every HTTP worker noticed its primary was gone and exited.
    for (let i = 0; i < 100 && workerPids.some(processAlive); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(workerPids.filter(processAlive)).toEqual([]);

    // Restart on the same data: the startup self-check must pass.
    child = cli(['serve'], env);
    await waitHealthy(url, child);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { certs: number };
    const maxIndex = Math.max(...receipts.map((r) => r.log.index));
    expect(health.certs).toBeGreaterThan(maxIndex);
    child.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
    child = null;

    // Every receipted certificate is there, with the exact leaf its receipt carries.
    const db = openDatabase(databaseFile(dataDir));
    const getEvent = db.sqlite.prepare(
      'SELECT contract_number, version FROM certificate_events WHERE log_index = ?',
    );
    const getLeaf = db.sqlite.prepare("SELECT leaf FROM log_entries WHERE log = 'certs' AND idx = ?");
    for (const r of receipts) {
      expect(getEvent.get(r.log.index)).toEqual({ contract_number: r.contractNumber, version: 1 });
      const leaf = getLeaf.get(r.log.index) as { leaf: Buffer };
      expect(Buffer.compare(leaf.leaf, Buffer.from(fromBase64(r.log.leafInput)))).toBe(0);
    }
    await db.close();

    const verify = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'verify-log'], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(verify.status, `${verify.stdout}\n${verify.stderr}`).toBe(0);
    expect(verify.stdout).toMatch(/certs: \d+ leaves.*OK/);
  }, 120_000);
});
