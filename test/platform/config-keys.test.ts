// Configuration validation and the key directory: wrong values name their fix; keys are 0600 files, generated
// once, refused when others can read them, and rotation keeps old receipt keys verifiable.
import { chmodSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, logOrigin } from '../../src/config.ts';
import { keyDir, loadOrCreateKeys, rotateReceiptKey } from '../../src/platform/node/keys.ts';
import { tempDataDir } from '../helpers/platform.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8787,
      dataDir: './data',
      origin: 'http://127.0.0.1:8787',
      accessRetentionDays: 180,
      httpWorkers: 0,
    });
    expect(loadConfig({ DENSHO_HTTP_WORKERS: '2' }).httpWorkers).toBe(2);
  });

  it('derives the origin from HOST and PORT, or takes DENSHO_ORIGIN (normalised)', () => {
    expect(loadConfig({ HOST: '::1', PORT: '9000' }).origin).toBe('http://[::1]:9000');
    expect(loadConfig({ DENSHO_ORIGIN: 'https://densho.example.jp/' }).origin).toBe(
      'https://densho.example.jp',
    );
    expect(logOrigin('https://densho.example.jp', 'certs')).toBe('densho.example.jp/log/certs');
    expect(logOrigin('http://127.0.0.1:8787', 'access')).toBe('127.0.0.1:8787/audit/log/access');
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT: .*whole number between 1 and 65535, e\.g\. PORT=8787/],
    [{ PORT: '70000' }, /PORT: /],
    [{ PORT: '0' }, /PORT: /],
    [{ HOST: 'bad host!' }, /HOST: .*e\.g\. HOST=127\.0\.0\.1/],
    [{ DENSHO_ORIGIN: 'densho.example.jp' }, /DENSHO_ORIGIN: .*e\.g\. DENSHO_ORIGIN=https:\/\//],
    [{ DENSHO_ORIGIN: 'https://densho.example.jp/app' }, /DENSHO_ORIGIN: .*origin only/],
    [{ DENSHO_ORIGIN: 'ftp://densho.example.jp' }, /DENSHO_ORIGIN/],
    [{ DENSHO_HTTP_WORKERS: 'two' }, /DENSHO_HTTP_WORKERS: .*e\.g\. DENSHO_HTTP_WORKERS=2/],
    [{ DENSHO_HTTP_WORKERS: '-1' }, /DENSHO_HTTP_WORKERS: /],
    [{ DENSHO_HTTP_WORKERS: '1.5' }, /DENSHO_HTTP_WORKERS: /],
    [{ DENSHO_HTTP_WORKERS: '33' }, /DENSHO_HTTP_WORKERS: /],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with a message that names the fix`, () => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    });
  }
});

describe('key directory', () => {
  it('generates keys once, as 0600 files in a 0700 directory', async () => {
    const data = tempDataDir();
    dirs.push(data);
    const a = await loadOrCreateKeys(data);
    const b = await loadOrCreateKeys(data);
    expect(b.receipt.kid).toBe(a.receipt.kid);
    expect(b.note.x).toBe(a.note.x);
    expect(statSync(keyDir(data)).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(keyDir(data))) {
      expect(statSync(join(keyDir(data), f)).mode & 0o777, f).toBe(0o600);
    }
    expect(a.secrets.authKey.length).toBe(32);
    expect(a.receiptPublic.every((k) => !('d' in k))).toBe(true);
  });

  it('refuses a key file that other users can read, saying which chmod fixes it', async () => {
    const data = tempDataDir();
    dirs.push(data);
    await loadOrCreateKeys(data);
    const file = join(keyDir(data), 'secrets.json');
    chmodSync(file, 0o644);
    await expect(loadOrCreateKeys(data)).rejects.toThrow(`chmod 600 ${file}`);
  });

  it('rotation makes a new receipt key current and keeps the old public key published', async () => {
    const data = tempDataDir();
    dirs.push(data);
    const before = await loadOrCreateKeys(data);
    const kid = await rotateReceiptKey(data);
    const after = await loadOrCreateKeys(data);
    expect(after.receipt.kid).toBe(kid);
    expect(kid).not.toBe(before.receipt.kid);
    expect(after.receiptPublic.map((k) => k.kid)).toEqual(expect.arrayContaining([before.receipt.kid, kid]));
    expect(after.receiptPublic[0]!.kid).toBe(kid); // newest first
  });
});
