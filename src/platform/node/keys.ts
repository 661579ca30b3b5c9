// Node key directory: the platform's signing keys and HMAC secrets as 0600 files under DENSHO_DATA_DIR/keys.
// Generated on first start. Trusts the filesystem permissions; refuses files others can read.
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { generateEd25519Jwk, type PlatformKeys, publicJwk } from '../../services/platform-keys.ts';

type Jwk = JsonWebKey & { kid: string };

export function keyDir(dataDir: string): string {
  return join(dataDir, 'keys');
}

function writeSecretFile(path: string, content: string): void {
  // Write-then-rename so a crash never leaves a half-written key behind.
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

function readSecretFile(path: string): string {
  const st = statSync(path);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`key file ${path} can be read by other users; run: chmod 600 ${path}`);
  }
  return readFileSync(path, 'utf8');
}

/** Load the keys, generating whatever is missing (first start). */
export async function loadOrCreateKeys(dataDir: string): Promise<PlatformKeys> {
  const dir = keyDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);

  const notePath = join(dir, 'note.jwk');
  if (!existsSync(notePath)) writeSecretFile(notePath, JSON.stringify(await generateEd25519Jwk()));
  const currentPath = join(dir, 'receipt-current');
  if (!existsSync(currentPath)) await rotateReceiptKey(dataDir);
  const secretsPath = join(dir, 'secrets.json');
  if (!existsSync(secretsPath)) {
    const s = { authKey: rand(), net: rand(), session: rand() };
    writeSecretFile(secretsPath, JSON.stringify(s));
  }

  const note = JSON.parse(readSecretFile(notePath)) as Jwk;
  const currentKid = readSecretFile(currentPath).trim();
  const receipts = readdirSync(dir)
    .filter((f) => /^receipt-.+\.jwk$/.test(f))
    .map((f) => ({ f, jwk: JSON.parse(readSecretFile(join(dir, f))) as Jwk & { created?: number } }))
    // The current key first (ties in `created` are possible within one millisecond), then newest first.
    .sort((a, b) =>
      a.jwk.kid === currentKid
        ? -1
        : b.jwk.kid === currentKid
          ? 1
          : (b.jwk.created ?? 0) - (a.jwk.created ?? 0),
    );
  const receipt = receipts.find((r) => r.jwk.kid === currentKid)?.jwk;
  if (!receipt) {
    throw new Error(
      `receipt key ${currentKid} named in ${currentPath} is missing; restore the key directory from backup`,
    );
  }
  const secretsRaw = JSON.parse(readSecretFile(secretsPath)) as Record<string, string>;
  const secret = (name: string): Uint8Array => {
    const v = secretsRaw[name];
    if (typeof v !== 'string')
      throw new Error(`${secretsPath} lacks "${name}"; restore the key directory from backup`);
    return new Uint8Array(Buffer.from(v, 'base64'));
  };
  return {
    note,
    receipt: stripMeta(receipt),
    receiptPublic: receipts.map((r) => publicJwk(stripMeta(r.jwk))),
    secrets: { authKey: secret('authKey'), net: secret('net'), session: secret('session') },
  };
}

/** Make a new receipt key current; old ones stay (their public halves remain in the JWKS). Returns the new kid. */
export async function rotateReceiptKey(dataDir: string): Promise<string> {
  const dir = keyDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const jwk = { ...(await generateEd25519Jwk()), created: Date.now() };
  writeSecretFile(join(dir, `receipt-${jwk.kid}.jwk`), JSON.stringify(jwk));
  const current = join(dir, 'receipt-current');
  const tmp = `${current}.tmp-${process.pid}`;
  writeFileSync(tmp, jwk.kid, { mode: 0o600 });
  renameSync(tmp, current);
  return jwk.kid;
}

/**
 * Write a whole key set into a NEW key directory (`densho import`: keys that arrived as Workers secret values).
 * Refuses a directory that already holds keys: overwriting the note key would orphan every checkpoint it signed.
 * Earlier receipt keys may be public halves only; `created` keeps their newest-first order.
 */
export function writeKeyDirectory(dataDir: string, keys: PlatformKeys): void {
  const dir = keyDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (existsSync(join(dir, 'note.jwk'))) {
    throw new Error(`${dir} already holds keys — import into an empty DENSHO_DATA_DIR`);
  }
  const now = Date.now();
  const earlier = keys.receiptPublic.filter((k) => k.kid !== keys.receipt.kid);
  earlier.forEach((k, i) => {
    writeSecretFile(join(dir, `receipt-${k.kid}.jwk`), JSON.stringify({ ...k, created: now - 1 - i }));
  });
  writeSecretFile(
    join(dir, `receipt-${keys.receipt.kid}.jwk`),
    JSON.stringify({ ...keys.receipt, created: now }),
  );
  writeSecretFile(join(dir, 'receipt-current'), keys.receipt.kid);
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  const s = keys.secrets;
  writeSecretFile(
    join(dir, 'secrets.json'),
    JSON.stringify({ authKey: b64(s.authKey), net: b64(s.net), session: b64(s.session) }),
  );
  // The note key last: its presence is what marks the directory as complete.
  writeSecretFile(join(dir, 'note.jwk'), JSON.stringify(keys.note));
}

function stripMeta(jwk: Jwk & { created?: number }): Jwk {
  const { created: _c, ...rest } = jwk;
  return rest;
}

function rand(): string {
  return randomBytes(32).toString('base64');
}
