// C2SP signed-note and tlog-checkpoint with Ed25519 (Web Crypto): sign, verify and parse tree heads.
// Trusts only the vkey the caller pinned: a note is accepted iff a signature line by that exact key
// (name AND key id) verifies over the body; every other line is ignored, as the spec requires.
import {
  bytesEqual,
  concatBytes,
  fromBase64,
  fromBase64Url,
  fromHex,
  sha256,
  toBase64,
  toHex,
  utf8,
} from './bytes.ts';
import { HASH_SIZE } from './merkle.ts';

export interface NoteSigner {
  name: string;
  keyId: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Signature type byte for Ed25519 in C2SP signed-note (and Go's sumdb/note). */
const ALG_ED25519 = 0x01;
const ED25519_PUBLIC_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
const KEY_ID_SIZE = 4;
/** signed-note: verifiers MUST accept at least 16 signatures; Go's note.Open stops at 100. */
const MAX_SIGNATURES = 100;
const SIGNATURE_PREFIX = '\u2014 '; // em dash, space

// Go's unicode.IsSpace is exactly the Unicode White_Space property, which is what names must not contain.
const WHITE_SPACE = /\p{White_Space}/u;
/**
 * True if s has an ASCII control character (other than newline when allowed) or a lone surrogate — a JS
 * string holding one has no UTF-8 encoding, so it stands for "invalid UTF-8" in a note that was decoded.
 */
function hasBadChar(s: string, allowNewline: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) {
      if (c === 0x0a && allowNewline) continue;
      return true;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1); // NaN past the end
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

function checkKeyName(name: string): void {
  if (typeof name !== 'string' || name === '' || WHITE_SPACE.test(name) || name.includes('+')) {
    throw new Error(`invalid key name ${JSON.stringify(name)}: it must be non-empty, without spaces or "+"`);
  }
  if (hasBadChar(name, false)) throw new Error(`invalid key name ${JSON.stringify(name)}: control character`);
}

function isValidKeyName(name: string): boolean {
  try {
    checkKeyName(name);
    return true;
  } catch {
    return false;
  }
}

/** key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4] */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8(name), new Uint8Array([0x0a, ALG_ED25519]), publicKey)).slice(
    0,
    KEY_ID_SIZE,
  );
}

/** "<name>+<8 hex key id>+<base64(0x01 || pubkey)>" — the verifier key text Go's sumdb/note reads. */
export function vkeyText(name: string, publicKey: Uint8Array): string {
  checkKeyName(name);
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
    throw new Error(`Ed25519 public key must be ${ED25519_PUBLIC_KEY_SIZE} bytes (got ${publicKey.length})`);
  }
  const keyData = concatBytes(new Uint8Array([ALG_ED25519]), publicKey);
  return `${name}+${toHex(noteKeyId(name, publicKey))}+${toBase64(keyData)}`;
}

export function parseVkey(text: string): { name: string; keyId: Uint8Array; publicKey: Uint8Array } {
  const hint = 'expected "<name>+<8 hex digits>+<base64 key>"';
  // Names cannot contain "+", but base64 can: split at the first two "+" only.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new Error(`malformed verifier key: ${hint}`);
  const name = text.slice(0, first);
  const hex = text.slice(first + 1, second);
  const b64 = text.slice(second + 1);
  checkKeyName(name);
  if (!/^[0-9a-fA-F]{8}$/.test(hex))
    throw new Error(`malformed verifier key: key id must be 8 hex digits; ${hint}`);
  let keyData: Uint8Array;
  try {
    keyData = fromBase64(b64);
  } catch {
    throw new Error(`malformed verifier key: the key part is not canonical base64; ${hint}`);
  }
  if (keyData[0] !== ALG_ED25519) {
    throw new Error(
      `unsupported verifier key: algorithm byte ${keyData[0] ?? 'missing'}, only Ed25519 (1) is supported`,
    );
  }
  const publicKey = keyData.slice(1);
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
    throw new Error(
      `malformed verifier key: Ed25519 key is ${publicKey.length} bytes, expected ${ED25519_PUBLIC_KEY_SIZE}`,
    );
  }
  const keyId = fromHex(hex);
  if (!bytesEqual(keyId, noteKeyId(name, publicKey))) {
    throw new Error(`verifier key id ${hex} does not match name and key (a typo or a truncated copy?)`);
  }
  return { name, keyId, publicKey };
}

/** A NoteSigner from an Ed25519 private JWK ({ kty: "OKP", crv: "Ed25519", d, x }). */
export async function noteSignerFromPrivateJwk(name: string, jwk: JsonWebKey): Promise<NoteSigner> {
  checkKeyName(name);
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string') {
    throw new Error(
      'checkpoint signing key must be an Ed25519 private JWK with kty "OKP", crv "Ed25519", d and x',
    );
  }
  let publicKey: Uint8Array;
  try {
    publicKey = fromBase64Url(jwk.x);
  } catch {
    throw new Error('checkpoint signing key: "x" is not base64url');
  }
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE)
    throw new Error('checkpoint signing key: "x" must be 32 bytes');
  const { subtle } = crypto;
  // Only the members Web Crypto needs: a stray "alg"/"key_ops"/"use" from another tool must not make import fail.
  const privateKey = await subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', d: jwk.d, x: jwk.x },
    { name: 'Ed25519' },
    false,
    ['sign'],
  );
  const sign = async (message: Uint8Array): Promise<Uint8Array> =>
    new Uint8Array(await subtle.sign({ name: 'Ed25519' }, privateKey, message as Uint8Array<ArrayBuffer>));
  // Self-test once: a d that does not belong to x would sign checkpoints that no verifier accepts — better to
  // refuse to start than to publish them. (Node rejects such a JWK on import; not every runtime does.)
  const probe = utf8('densho checkpoint key self-test\n');
  if (!(await ed25519Verify(publicKey, await sign(probe), probe))) {
    throw new Error('checkpoint signing key: "d" does not match "x" (the JWK is corrupt or mixed up)');
  }
  return { name, keyId: noteKeyId(name, publicKey), sign };
}

async function ed25519Verify(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
  const { subtle } = crypto;
  const key = await subtle.importKey(
    'raw',
    publicKey as Uint8Array<ArrayBuffer>,
    { name: 'Ed25519' },
    false,
    ['verify'],
  );
  return subtle.verify(
    { name: 'Ed25519' },
    key,
    signature as Uint8Array<ArrayBuffer>,
    message as Uint8Array<ArrayBuffer>,
  );
}

/** "<origin>\n<size>\n<base64 root>\n" followed by optional extension lines. */
export function checkpointBody(
  origin: string,
  size: number,
  root: Uint8Array,
  extensions: string[] = [],
): string {
  if (origin === '' || hasBadChar(origin, false)) {
    throw new Error('checkpoint origin must be a non-empty single line without control characters');
  }
  if (!Number.isSafeInteger(size) || size < 0)
    throw new RangeError(`checkpoint size must be a count (got ${size})`);
  if (root.length !== HASH_SIZE) throw new RangeError(`checkpoint root must be ${HASH_SIZE} bytes`);
  for (const ext of extensions) {
    // tlog-checkpoint: "Extension lines, if any, MUST be non-empty."
    if (ext === '' || hasBadChar(ext, false)) {
      throw new Error('checkpoint extension lines must be non-empty single lines without control characters');
    }
  }
  return `${origin}\n${size}\n${toBase64(root)}\n${extensions.map((e) => `${e}\n`).join('')}`;
}

/** body + "\n" + "— <name> <base64(keyid || signature)>\n"; the signature covers the body's UTF-8 bytes. */
export async function signNote(body: string, signer: NoteSigner): Promise<string> {
  if (!body.endsWith('\n')) throw new Error('note body must end with a newline');
  if (hasBadChar(body, true)) throw new Error('note body must be valid UTF-8 without control characters');
  checkKeyName(signer.name);
  if (signer.keyId.length !== KEY_ID_SIZE) throw new Error(`signer key id must be ${KEY_ID_SIZE} bytes`);
  const signature = await signer.sign(utf8(body));
  return `${body}\n${SIGNATURE_PREFIX}${signer.name} ${toBase64(concatBytes(signer.keyId, signature))}\n`;
}

/**
 * Returns the body once a signature line by this vkey's key (matching name AND key id) verifies over it.
 * Lines by other keys are ignored (witnesses, a rotated key). Throws on a malformed note, on a failing
 * signature by this key, or when this key did not sign.
 */
export async function verifyNote(note: string, vkey: string): Promise<string> {
  const key = parseVkey(vkey);
  // signed-note: "MUST be valid UTF-8 and MUST NOT contain any ASCII control characters … other than newline".
  if (hasBadChar(note, true)) throw new Error('malformed note: control character or invalid UTF-8');
  // The text is separated from the signatures by the last empty line in the note.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('malformed note: no blank line before the signatures');
  const body = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) {
    throw new Error('malformed note: the signature block must be non-empty and end with a newline');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES)
    throw new Error(`malformed note: more than ${MAX_SIGNATURES} signatures`);

  const ours: Uint8Array[] = [];
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) {
      throw new Error('malformed note: every line after the blank line must be "— <name> <signature>"');
    }
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? '' : rest.slice(space + 1);
    let sig: Uint8Array;
    try {
      sig = fromBase64(b64);
    } catch {
      throw new Error(`malformed note: signature by ${JSON.stringify(name)} is not base64`);
    }
    if (!isValidKeyName(name) || b64 === '' || sig.length < KEY_ID_SIZE + 1) {
      throw new Error('malformed note: bad signature line');
    }
    // Same name but different id (or the reverse) is another key: the spec says ignore it.
    if (name === key.name && bytesEqual(sig.subarray(0, KEY_ID_SIZE), key.keyId))
      ours.push(sig.slice(KEY_ID_SIZE));
  }
  if (ours.length === 0) {
    throw new Error(
      `note is not signed by ${key.name}+${toHex(key.keyId)} (wrong key, or a checkpoint of another log?)`,
    );
  }
  const message = utf8(body);
  // Every signature by the pinned key must verify: one good and one bad line means someone is tampering.
  for (const sig of ours) {
    if (!(await ed25519Verify(key.publicKey, sig, message))) {
      throw new Error(`invalid signature by ${key.name}+${toHex(key.keyId)}: the note was altered or forged`);
    }
  }
  return body;
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  extensions: string[];
}

/** Parses a tlog-checkpoint note text (the body, with its final newline). Throws on anything malformed. */
export function parseCheckpointBody(body: string): Checkpoint {
  if (!body.endsWith('\n')) throw new Error('malformed checkpoint: the text must end with a newline');
  if (hasBadChar(body, true)) throw new Error('malformed checkpoint: control character or invalid UTF-8');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new Error('malformed checkpoint: need origin, tree size and root hash lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') throw new Error('malformed checkpoint: empty origin');
  // "ASCII decimal … with no leading zeroes (unless the tree is empty…)".
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText))
    throw new Error(`malformed checkpoint: bad tree size ${JSON.stringify(sizeText)}`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size))
    throw new Error(`malformed checkpoint: tree size ${sizeText} is too large`);
  let root: Uint8Array;
  try {
    root = fromBase64(rootText);
  } catch {
    throw new Error('malformed checkpoint: root hash is not base64');
  }
  if (root.length !== HASH_SIZE)
    throw new Error(`malformed checkpoint: root hash is ${root.length} bytes, expected ${HASH_SIZE}`);
  if (extensions.some((e) => e === '')) throw new Error('malformed checkpoint: empty extension line');
  return { origin, size, root, extensions };
}

/** verifyNote + parseCheckpointBody + (optionally) the origin check a client should always make. */
export async function openCheckpoint(
  note: string,
  vkey: string,
  expectedOrigin?: string,
): Promise<Checkpoint> {
  const checkpoint = parseCheckpointBody(await verifyNote(note, vkey));
  if (expectedOrigin !== undefined && checkpoint.origin !== expectedOrigin) {
    throw new Error(
      `checkpoint is for ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(expectedOrigin)}`,
    );
  }
  return checkpoint;
}
