// Tests for src/domain/checkpoint.ts: C2SP signed notes and checkpoints, including Go sumdb/note interop vectors.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64, toBase64Url, utf8 } from '../../src/domain/bytes.ts';
import {
  checkpointBody,
  type NoteSigner,
  noteKeyId,
  noteSignerFromPrivateJwk,
  openCheckpoint,
  parseCheckpointBody,
  parseVkey,
  signNote,
  verifyNote,
  vkeyText,
} from '../../src/domain/checkpoint.ts';

// ---- golang.org/x/mod/sumdb/note test vectors (note_test.go) ----
const PETER_SKEY_DATA = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'; // 0x01 || Ed25519 seed
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const GO_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

function peterJwk(): JsonWebKey {
  const seed = fromBase64(PETER_SKEY_DATA).slice(1);
  const pub = parseVkey(PETER_VKEY).publicKey;
  return { kty: 'OKP', crv: 'Ed25519', d: toBase64Url(seed), x: toBase64Url(pub) };
}

async function newKey(): Promise<{ jwk: JsonWebKey; publicKey: Uint8Array }> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { jwk, publicKey };
}

const ORIGIN = 'densho.example/log/certs';
const ROOT = new Uint8Array(32).map((_, i) => i * 7);

describe('Go sumdb/note interoperability', () => {
  it('parses the Go verifier key and its key id', () => {
    const k = parseVkey(PETER_VKEY);
    expect(k.name).toBe('PeterNeumann');
    expect(Buffer.from(k.keyId).toString('hex')).toBe('c74f20a3');
    expect(k.publicKey.length).toBe(32);
    expect(vkeyText(k.name, k.publicKey)).toBe(PETER_VKEY);
  });

  it('signs byte-for-byte like Go (Ed25519 is deterministic) and verifies the Go note', async () => {
    const signer = await noteSignerFromPrivateJwk('PeterNeumann', peterJwk());
    const note = await signNote(GO_TEXT, signer);
    expect(note).toBe(`${GO_TEXT}\n${PETER_SIG}`);
    expect(await verifyNote(note, PETER_VKEY)).toBe(GO_TEXT);
  });

  it('with two signers, each vkey verifies its own line and ignores the other', async () => {
    const note = `${GO_TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    expect(await verifyNote(note, PETER_VKEY)).toBe(GO_TEXT);
    expect(await verifyNote(note, ENOCH_VKEY)).toBe(GO_TEXT);
    await expect(verifyNote(`${GO_TEXT}\n${ENOCH_SIG}`, PETER_VKEY)).rejects.toThrow(
      /not signed by PeterNeumann/,
    );
  });

  it('rejects the malformed notes Go rejects', async () => {
    const bad = [
      GO_TEXT,
      `${GO_TEXT}\n`,
      `${GO_TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\u0001${GO_TEXT}\n${PETER_SIG}`,
      `\ud800${GO_TEXT}\n${PETER_SIG}`, // a lone surrogate: the string has no UTF-8 form
      `${GO_TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${GO_TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${GO_TEXT}\n${PETER_SIG.repeat(101)}`,
    ];
    for (const note of bad)
      await expect(verifyNote(note, PETER_VKEY), JSON.stringify(note)).rejects.toThrow(/malformed/);
    // A signature by the known key that does not verify rejects the whole note.
    const forged = `${GO_TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    await expect(verifyNote(forged, PETER_VKEY)).rejects.toThrow(/invalid signature/);
  });

  it('rejects every truncation and every one-byte change of a verifier key', () => {
    const b = PETER_VKEY;
    for (let i = 0; i <= b.length; i++) {
      for (let j = i + 1; j <= b.length; j++) {
        if (i !== 0 || j !== b.length) expect(() => parseVkey(b.slice(i, j)), b.slice(i, j)).toThrow();
      }
    }
    for (let i = 0; i < b.length; i++) {
      const mangled = b.slice(0, i) + String.fromCharCode(b.charCodeAt(i) + 1) + b.slice(i + 1);
      expect(() => parseVkey(mangled), mangled).toThrow();
    }
    // Wrong key length and unknown algorithm, each with a key id recomputed to match.
    expect(() =>
      parseVkey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='),
    ).toThrow();
    expect(() => parseVkey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(
      /only Ed25519/,
    );
  });
});

describe('keys', () => {
  it('key id and vkey text match the spec computed by hand', async () => {
    const { publicKey } = await newKey();
    const name = 'densho.example/log/certs';
    const byHand = createHash('sha256')
      .update(Buffer.from(name, 'utf8'))
      .update(Buffer.from([0x0a, 0x01]))
      .update(publicKey)
      .digest()
      .subarray(0, 4);
    expect(Buffer.from(noteKeyId(name, publicKey)).equals(byHand)).toBe(true);
    const vkey = vkeyText(name, publicKey);
    const [n, id, key] = vkey.split('+', 3) as [string, string, string];
    expect(n).toBe(name);
    expect(id).toBe(byHand.toString('hex'));
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    const keyData = Buffer.from(vkey.slice(n.length + id.length + 2), 'base64');
    expect(key.length).toBeGreaterThan(0);
    expect(keyData[0]).toBe(1);
    expect(Buffer.from(keyData.subarray(1)).equals(Buffer.from(publicKey))).toBe(true);
    const parsed = parseVkey(vkey);
    expect(parsed.name).toBe(name);
    expect(Buffer.from(parsed.publicKey).equals(Buffer.from(publicKey))).toBe(true);
  });

  it('refuses bad names, keys and JWKs with a clear message', async () => {
    const { jwk, publicKey } = await newKey();
    for (const name of ['', 'a b', 'a+b', 'a\u00a0b', 'a\u3000b', 'a\nb', 'a\u0085b']) {
      expect(() => vkeyText(name, publicKey), JSON.stringify(name)).toThrow(/key name/);
    }
    expect(() => vkeyText('ok', publicKey.subarray(1))).toThrow(/32 bytes/);
    expect(() => parseVkey('no-plus-signs')).toThrow(/malformed verifier key/);
    expect(() => parseVkey(`${vkeyText('a', publicKey).replace(/^a/, 'b')}`)).toThrow(/does not match/);
    await expect(noteSignerFromPrivateJwk('x', { ...jwk, crv: 'P-256' })).rejects.toThrow(/Ed25519/);
    await expect(noteSignerFromPrivateJwk('x', { kty: jwk.kty, crv: jwk.crv, x: jwk.x })).rejects.toThrow(
      /d and x/,
    );
    await expect(noteSignerFromPrivateJwk('bad name', jwk)).rejects.toThrow(/key name/);
    const other = await newKey();
    await expect(noteSignerFromPrivateJwk('x', { ...jwk, x: other.jwk.x })).rejects.toThrow();
  });
});

describe('checkpoints', () => {
  async function setup(name = ORIGIN): Promise<{ signer: NoteSigner; vkey: string; publicKey: Uint8Array }> {
    const { jwk, publicKey } = await newKey();
    return { signer: await noteSignerFromPrivateJwk(name, jwk), vkey: vkeyText(name, publicKey), publicKey };
  }

  it('sign then verify from the vkey text alone', async () => {
    const { signer, vkey } = await setup();
    const body = checkpointBody(ORIGIN, 20_852_163, ROOT);
    expect(body).toBe(`${ORIGIN}\n20852163\n${toBase64(ROOT)}\n`);
    const note = await signNote(body, signer);
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).toEqual([ORIGIN, '20852163', toBase64(ROOT), '']);
    expect(lines[4]).toMatch(new RegExp(`^\u2014 ${ORIGIN} [A-Za-z0-9+/]{91}=$`));
    expect(lines[5]).toBe('');
    expect(fromBase64(lines[4]!.split(' ')[2]!).length).toBe(4 + 64);
    expect(await verifyNote(note, vkey)).toBe(body);
    const cp = await openCheckpoint(note, vkey, ORIGIN);
    expect(cp).toEqual({ origin: ORIGIN, size: 20_852_163, root: ROOT, extensions: [] });
  });

  it('keeps extension lines, and signs over them', async () => {
    const { signer, vkey } = await setup();
    const body = checkpointBody(ORIGIN, 0, ROOT, ['ext one', '— looks like a signature but is body']);
    const note = await signNote(body, signer);
    const cp = await openCheckpoint(note, vkey);
    expect(cp.extensions).toEqual(['ext one', '— looks like a signature but is body']);
    const tampered = note.replace('ext one', 'ext two');
    await expect(verifyNote(tampered, vkey)).rejects.toThrow(/invalid signature/);
  });

  it('rejects a tampered body, another key, another name, and a wrong origin', async () => {
    const { signer, vkey, publicKey } = await setup();
    const note = await signNote(checkpointBody(ORIGIN, 5, ROOT), signer);
    await expect(verifyNote(note.replace('\n5\n', '\n6\n'), vkey)).rejects.toThrow(/invalid signature/);
    const stranger = await setup();
    await expect(verifyNote(note, stranger.vkey)).rejects.toThrow(/not signed by/);
    // Same key under another name: a different key id too, so the line is not ours.
    await expect(verifyNote(note, vkeyText('densho.example/log/access', publicKey))).rejects.toThrow(
      /not signed by/,
    );
    await expect(openCheckpoint(note, vkey, 'densho.example/log/access')).rejects.toThrow(/expected/);
  });

  it('ignores other signers (witnesses, same name with another id), but not a bad line by the pinned key', async () => {
    const { signer, vkey } = await setup();
    const body = checkpointBody(ORIGIN, 42, ROOT);
    const note = await signNote(body, signer);
    const ours = note.slice(body.length + 1);
    const witness = await setup('witness.example/w1');
    const witnessLine = (await signNote(body, witness.signer)).slice(body.length + 1);
    const junk = `\u2014 witness.example/w2 ${toBase64(new Uint8Array(68).fill(7))}\n`;
    // Same name, different key id: another key by definition, so it is ignored even though it is garbage.
    const sameName = `\u2014 ${ORIGIN} ${toBase64(new Uint8Array(68).fill(9))}\n`;
    for (const block of [
      `${witnessLine}${ours}`,
      `${ours}${witnessLine}${junk}`,
      `${junk}${sameName}${ours}`,
      `${ours}${ours}`,
    ]) {
      expect(await verifyNote(`${body}\n${block}`, vkey)).toBe(body);
    }
    await expect(verifyNote(`${body}\n${witnessLine}${junk}`, vkey)).rejects.toThrow(/not signed by/);
    // Our key id with a broken signature, next to a good one: someone is tampering, reject.
    const sigB64 = ours.split(' ')[2]!.trim();
    const broken = fromBase64(sigB64);
    broken[10]! ^= 1;
    const brokenLine = `\u2014 ${ORIGIN} ${toBase64(broken)}\n`;
    await expect(verifyNote(`${body}\n${ours}${brokenLine}`, vkey)).rejects.toThrow(/invalid signature/);
    await expect(verifyNote(`${body}\n${brokenLine}`, vkey)).rejects.toThrow(/invalid signature/);
  });

  it('rejects notes with a missing newline, no blank line, or control characters', async () => {
    const { signer, vkey } = await setup();
    const body = checkpointBody(ORIGIN, 1, ROOT);
    const note = await signNote(body, signer);
    await expect(verifyNote(note.slice(0, -1), vkey)).rejects.toThrow(/malformed/);
    await expect(verifyNote(note.replace(`${body}\n`, body), vkey)).rejects.toThrow(/malformed|invalid/);
    await expect(verifyNote(note.replace('\n', '\r\n'), vkey)).rejects.toThrow(/malformed/);
    await expect(verifyNote(note.replace(ORIGIN, `${ORIGIN}\t`), vkey)).rejects.toThrow(/malformed/);
    await expect(verifyNote(`${note}\n`, vkey)).rejects.toThrow(/malformed|not signed/);
    await expect(signNote(body.slice(0, -1), signer)).rejects.toThrow(/end with a newline/);
    await expect(signNote(`a\u0000b\n`, signer)).rejects.toThrow(/control/);
  });

  it('parseCheckpointBody rejects malformed sizes, roots and lines', () => {
    const root = toBase64(ROOT);
    expect(parseCheckpointBody(`o\n0\n${root}\n`)).toEqual({
      origin: 'o',
      size: 0,
      root: ROOT,
      extensions: [],
    });
    expect(parseCheckpointBody(`o\n9007199254740991\n${root}\nx\n`).size).toBe(Number.MAX_SAFE_INTEGER);
    for (const size of [
      '',
      '01',
      '00',
      '-1',
      '+1',
      '1.0',
      '1e3',
      ' 1',
      '1 ',
      '0x10',
      '9007199254740992',
      '１',
    ]) {
      expect(() => parseCheckpointBody(`o\n${size}\n${root}\n`), JSON.stringify(size)).toThrow(/size/);
    }
    const nonCanonical = `${root.slice(0, 42)}B=`; // same bytes' prefix, unused low bits set
    for (const r of [
      '',
      toBase64(ROOT.subarray(1)),
      toBase64(new Uint8Array(33)),
      root.slice(0, -1),
      root.replace('=', ''),
      nonCanonical,
      root.replace(/\+|\//g, '-'),
      ` ${root}`,
    ]) {
      expect(() => parseCheckpointBody(`o\n1\n${r}\n`), JSON.stringify(r)).toThrow(/root/);
    }
    expect(() => parseCheckpointBody(`o\n1\n${root}`)).toThrow(/newline/);
    expect(() => parseCheckpointBody(`o\n1\n`)).toThrow(/need origin/);
    expect(() => parseCheckpointBody(`\n1\n${root}\n`)).toThrow(/origin/);
    expect(() => parseCheckpointBody(`o\n1\n${root}\n\n`)).toThrow(/extension/);
    expect(() => parseCheckpointBody(`o\n1\n${root}\na\n\nb\n`)).toThrow(/extension/);
    expect(() => parseCheckpointBody(`o\r\n1\n${root}\n`)).toThrow(/control/);
  });

  it('checkpointBody refuses what parseCheckpointBody would refuse', () => {
    expect(() => checkpointBody('', 1, ROOT)).toThrow(/origin/);
    expect(() => checkpointBody('a\nb', 1, ROOT)).toThrow(/origin/);
    expect(() => checkpointBody('o', -1, ROOT)).toThrow(RangeError);
    expect(() => checkpointBody('o', 1.5, ROOT)).toThrow(RangeError);
    expect(() => checkpointBody('o', 1, ROOT.subarray(1))).toThrow(RangeError);
    expect(() => checkpointBody('o', 1, ROOT, [''])).toThrow(/extension/);
    expect(() => checkpointBody('o', 1, ROOT, ['a\nb'])).toThrow(/extension/);
    expect(utf8(checkpointBody('電証/ログ', 3, ROOT)).length).toBeGreaterThan(0);
  });
});
