// `densho verify-log` (local database, or a remote origin) and `densho verify-receipt` (a surety's receipt against
// the platform's published keys and today's checkpoint).
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { bytesEqual, fromBase64 } from '../../domain/bytes.ts';
import { openCheckpoint, parseVkey } from '../../domain/checkpoint.ts';
import { verifyConsistency } from '../../domain/merkle.ts';
import { type ReceiptDocument, verifyReceiptDocument } from '../../services/receipts.ts';
import { type AuditorSession, AuditorSignInError, signInAsAuditor } from '../auditor-session.ts';
import {
  LogVerificationError,
  summaryLine,
  VerifySetupError,
  verifyLocalLogs,
  verifyRemoteLog,
} from '../verify-log.ts';
import { originFrom } from './push.ts';
import { CliError, type CliIo, type Command, str } from './shared.ts';

function readVkeyFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new CliError(
      `cannot read --vkey ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    parseVkey(text);
  } catch (e) {
    throw new CliError(
      `--vkey ${path} is not a verifier key (${(e as Error).message}) — save the text of GET /log/certs/vkey`,
    );
  }
  return text;
}

function asCliError(e: unknown): unknown {
  if (e instanceof LogVerificationError) return new CliError(e.message);
  if (e instanceof VerifySetupError) return new CliError(e.message);
  return e;
}

export const verifyLog: Command = {
  name: 'verify-log',
  summary: 'recompute both logs and check every leaf, tile, root and checkpoint',
  usage: 'densho verify-log [--url ORIGIN [--vkey VKEY_FILE] [--login AUDITOR [--access-vkey VKEY_FILE]]]',
  help: `Local (default): opens DENSHO_DATA_DIR/densho.db read-only and, for the certs and access logs, recomputes every
leaf hash and the tree, and checks every stored tile, every checkpoint (root and Ed25519 signature by the key in
DENSHO_DATA_DIR/keys), that timestamps never decrease, and that each certificate_events / access_events row says
exactly what its leaf says (and submission = SHA-256 of the stored JWS). Safe while the server runs: it checks
the snapshot up to the latest checkpoint. Uses worker threads for large logs.
Prints one line per log, or exits 1 with the first finding, e.g. "certs: leaf 41 does not match its event row — …".

Remote (--url ORIGIN): for auditors, using only the public C2SP endpoints of that origin: the current
checkpoint and every older one (/log/certs/checkpoints), all entry bundles and hash tiles; recomputes every
leaf hash, tile and root and checks a sample of the server's consistency proofs. Without --vkey the verifier key
is fetched from the same origin (trust on first use — a warning says so); pin it with --vkey FILE.
The access log too, with a platform auditor's login (--login, or DENSHO_AUDITOR_LOGIN): the command signs in like
the auditor's browser (password from DENSHO_AUDITOR_PASSWORD, else asked without echo at a terminal; sent only over
https, or plain http to a loopback address), checks /audit/log/access/… the same way (pin its key with
--access-vkey FILE, the text of /audit/log/access/vkey), and signs out. The sign-in and every read are access events.
Without a login only the certificate log is checked, and a note says so.`,
  options: {
    url: { type: 'string' },
    vkey: { type: 'string' },
    login: { type: 'string' },
    'access-vkey': { type: 'string' },
  },
  async run(ctx) {
    const url = str(ctx.values, 'url');
    const vkeyPath = str(ctx.values, 'vkey');
    const accessVkeyPath = str(ctx.values, 'access-vkey');
    const login = str(ctx.values, 'login') ?? emptyToUndefined(ctx.io.env.DENSHO_AUDITOR_LOGIN);
    try {
      if (url === undefined) {
        if (vkeyPath || accessVkeyPath || str(ctx.values, 'login') !== undefined)
          throw new CliError(
            '--vkey, --access-vkey and --login are for --url; a local check uses the key directory',
          );
        await verifyLocalLogs({ dataDir: ctx.config().dataDir, onLog: (s) => ctx.io.out(summaryLine(s)) });
        return;
      }
      const origin = originFrom(url, url);
      const onLine = (line: string) => ctx.io.err(`densho: ${line}`);
      // Read the key files before any network traffic, so a typo fails fast.
      const accessVkey = accessVkeyPath ? readVkeyFile(accessVkeyPath) : undefined;
      const summary = await verifyRemoteLog({
        url: origin,
        ...(vkeyPath ? { vkey: readVkeyFile(vkeyPath) } : {}),
        onLine,
      });
      ctx.io.out(summaryLine(summary));
      if (login === undefined) {
        if (accessVkey)
          throw new CliError('--access-vkey needs --login (a platform auditor) to read the access log');
        ctx.io.err(
          "densho: note: the access log was not checked — it is readable by the platform's auditors only; add --login AUDITOR (password in DENSHO_AUDITOR_PASSWORD)",
        );
        return;
      }
      const password = await auditorPassword(ctx.io, login);
      let session: AuditorSession;
      try {
        session = await signInAsAuditor(origin, login, password);
      } catch (e) {
        if (e instanceof AuditorSignInError) throw new CliError(e.message);
        throw e;
      }
      try {
        const access = await verifyRemoteLog({
          url: origin,
          log: 'access',
          headers: session.headers,
          ...(accessVkey ? { vkey: accessVkey } : {}),
          onLine,
        });
        ctx.io.out(summaryLine(access));
      } finally {
        await session.close();
      }
    } catch (e) {
      throw asCliError(e);
    }
  },
};

function emptyToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** DENSHO_AUDITOR_PASSWORD, else typed without echo at a terminal; never a flag (it would show in `ps`). */
async function auditorPassword(io: CliIo, login: string): Promise<string> {
  const fromEnv = io.env.DENSHO_AUDITOR_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const typed = await io.promptSecret(`password for ${login}: `);
  if (typed === null || typed === '') {
    throw new CliError(
      `no password for ${login} — set DENSHO_AUDITOR_PASSWORD, or run the command at a terminal to type it`,
    );
  }
  return typed;
}

function readReceipt(path: string): ReceiptDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(
      `cannot read the receipt ${path}: ${(e as Error).message} — give the JSON body of the 201/200 response`,
    );
  }
  const d = doc as Partial<ReceiptDocument>;
  const ok =
    typeof d === 'object' &&
    d !== null &&
    typeof d.contractNumber === 'string' &&
    typeof d.version === 'number' &&
    typeof d.receipt === 'string' &&
    typeof d.log === 'object' &&
    d.log !== null &&
    typeof d.log.leafInput === 'string' &&
    typeof d.log.index === 'number' &&
    Array.isArray(d.log.inclusionProof) &&
    typeof d.log.checkpoint === 'string';
  if (!ok)
    throw new CliError(
      `${path} is not a receipt — expected the JSON body of POST /api/v1/certificates (201/200)`,
    );
  return doc as ReceiptDocument;
}

export const verifyReceipt: Command = {
  name: 'verify-receipt',
  summary: "check a receipt against the platform's keys and today's log",
  usage: 'densho verify-receipt RECEIPT_FILE [--url ORIGIN] [--vkey VKEY_FILE]',
  help: `Checks a receipt (the JSON body of a 201/200 push) the way a surety or auditor would:
  1. the receipt JWS verifies with a key from ORIGIN/.well-known/jwks.json (alg EdDSA);
  2. its leaf is the signed leaf hash and says what the receipt says;
  3. the inclusion proof leads to the signed root;
  4. the checkpoint in it verifies with the log's verifier key (ORIGIN/log/certs/vkey, or --vkey FILE pinned);
  5. today's checkpoint verifies, and ORIGIN's consistency proof shows the receipt's tree is a prefix of it.
Prints one line per check; exits 1 at the first that fails.`,
  options: { url: { type: 'string' }, vkey: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const doc = readReceipt(ctx.positionals[0]!);
    const origin = originFrom(str(ctx.values, 'url'), ctx.config().origin);
    const get = async (path: string): Promise<Response> => {
      let res: Response;
      try {
        res = await fetch(`${origin}${path}`, { redirect: 'error', signal: AbortSignal.timeout(30_000) });
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
        throw new CliError(
          `cannot fetch ${origin}${path} (${cause}) — check --url (the platform's public origin)`,
        );
      }
      if (!res.ok) throw new CliError(`GET ${origin}${path} answered ${res.status} — check --url`);
      return res;
    };
    const vkeyPath = str(ctx.values, 'vkey');
    let vkey: string;
    if (vkeyPath) vkey = readVkeyFile(vkeyPath);
    else {
      vkey = (await (await get('/log/certs/vkey')).text()).trim();
      ctx.io.err(
        `densho: note: verifier key fetched from ${origin} (trust on first use; pin it with --vkey FILE)`,
      );
    }
    const logOrigin = parseVkey(vkey).name;
    const jwks = (await (await get('/.well-known/jwks.json')).json()) as JSONWebKeySet;
    let payload: Awaited<ReturnType<typeof verifyReceiptDocument>>;
    try {
      payload = await verifyReceiptDocument(doc, { jwks, vkey, origin: logOrigin });
    } catch (e) {
      throw new CliError(`receipt does not verify: ${(e as Error).message}`);
    }
    const out = ctx.io.out;
    out(`receipt signature: OK (JWS by a key in ${origin}/.well-known/jwks.json)`);
    out(
      `leaf: OK (${payload.sub} version ${payload.ver} ${payload.evt}, issued ${new Date(payload.issuedAt).toISOString()})`,
    );
    out(`inclusion: OK (leaf ${payload.idx} in the tree of ${payload.treeSize})`);
    out(`checkpoint: OK (size ${payload.treeSize}, signed by ${logOrigin})`);

    let current: Awaited<ReturnType<typeof openCheckpoint>>;
    try {
      current = await openCheckpoint(await (await get('/log/certs/checkpoint')).text(), vkey, logOrigin);
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`today's checkpoint from ${origin} does not verify: ${(e as Error).message}`);
    }
    if (current.size < payload.treeSize) {
      throw new CliError(
        `the log at ${origin} has ${current.size} entries, fewer than the ${payload.treeSize} this receipt proves — the log was rolled back (or --url is another log)`,
      );
    }
    const receiptRoot = fromBase64(payload.rootHash);
    let proofLen = 0;
    if (current.size === payload.treeSize) {
      if (!bytesEqual(current.root, receiptRoot)) {
        throw new CliError(
          `the current checkpoint has the receipt's size ${current.size} but another root — the log forked`,
        );
      }
    } else {
      const body = (await (
        await get(`/log/certs/proof/consistency?first=${payload.treeSize}&second=${current.size}`)
      ).json()) as { path: string[] };
      const proof = body.path.map((p) => fromBase64(p));
      proofLen = proof.length;
      if (!verifyConsistency(payload.treeSize, current.size, proof, receiptRoot, current.root)) {
        throw new CliError(
          `consistency proof from the receipt's tree (${payload.treeSize}) to today's (${current.size}) does not verify — the log was rewritten after this receipt`,
        );
      }
    }
    out(
      `consistency: OK (tree ${payload.treeSize} → ${current.size}${current.size === payload.treeSize ? ', same tree' : `, ${proofLen}-hash proof`}; today's checkpoint verified)`,
    );
  },
};
