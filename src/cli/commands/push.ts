// `densho push` — the reference surety client: sign an event as a compact JWS and POST it — and `densho keygen`,
// which makes the Ed25519 key pair a surety needs. The demo pushes its certificates through this same code.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CompactSign } from 'jose';
import { generateSuretyKeyPair, privateKeyFromFile, type SuretyAlg } from './jwk.ts';
import { CliError, type Command, required, str, UsageError } from './shared.ts';

export const EVENT_TYP = 'densho-event+jws';
const MAX_RETRIES = 5;
const MAX_RETRY_WAIT_S = 60;

/** The public origin to talk to: --url, else DENSHO_ORIGIN (or http://HOST:PORT). */
export function originFrom(url: string | undefined, fallback: string): string {
  const raw = url ?? fallback;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(
      `--url ${JSON.stringify(raw)} is not a URL — give the platform's origin, e.g. --url https://densho.example.jp`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`--url must be an http(s) origin, e.g. --url https://densho.example.jp`);
  }
  return u.origin;
}

/** Compact JWS over the exact payload bytes, protected header { alg, kid, typ: densho-event+jws }. */
export function signEvent(key: CryptoKey, alg: SuretyAlg, kid: string, payload: Uint8Array): Promise<string> {
  return new CompactSign(payload).setProtectedHeader({ alg, kid, typ: EVENT_TYP }).sign(key);
}

/** The event file re-serialised with JSON.stringify, so whitespace and key layout in the file don't matter. */
export function eventBytes(path: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} — check the path`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new CliError(`${path} is not JSON (${(e as Error).message}) — fix the event file`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(
      `${path} must hold one JSON object (the event), see api.md "POST /api/v1/certificates"`,
    );
  }
  return new TextEncoder().encode(JSON.stringify(parsed));
}

export interface PushResponse {
  status: number;
  body: unknown;
  attempts: number;
}

interface Problem {
  title?: string;
  detail?: string;
  errors?: { path?: string; message?: string }[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), within [1, 60]. */
function retryAfterSeconds(header: string | null): number {
  if (header === null) return 1;
  const n = Number(header);
  const s = Number.isFinite(n) ? n : (Date.parse(header) - Date.now()) / 1000;
  return Math.min(MAX_RETRY_WAIT_S, Math.max(1, Math.ceil(Number.isFinite(s) ? s : 1)));
}

/**
 * POST the JWS. A 503 (sequencer full, clock check) is retried after Retry-After, up to 5 times, with the SAME
 * bytes: the platform is idempotent on eventId + identical JWS, so a retry can never create a second event.
 */
export async function postEvent(
  origin: string,
  jws: string,
  opts: { onRetry?: (seconds: number, attempt: number) => void; wait?: (ms: number) => Promise<void> } = {},
): Promise<PushResponse> {
  const url = `${origin}/api/v1/certificates`;
  const wait = opts.wait ?? sleep;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/jose', accept: 'application/json' },
        body: jws,
        redirect: 'error',
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new CliError(
        `cannot reach ${url} (${cause}) — is the server running? set --url or DENSHO_ORIGIN`,
      );
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text for the message
    }
    if (res.status === 503 && attempt <= MAX_RETRIES) {
      const seconds = retryAfterSeconds(res.headers.get('retry-after'));
      opts.onRetry?.(seconds, attempt);
      await wait(seconds * 1000);
      continue;
    }
    return { status: res.status, body, attempts: attempt };
  }
}

/** A refused push as a CliError: status, title and detail on the line, then each `errors[].path: message`. */
export function refusal(res: PushResponse): CliError {
  const p = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Problem;
  const detail = p.detail ?? (typeof res.body === 'string' ? res.body.slice(0, 300) : '');
  const lines = (p.errors ?? []).map((e) => `  ${e.path || '(event)'}: ${e.message ?? ''}`);
  const retried = res.status === 503 ? ` after ${res.attempts} attempts — try again later` : '';
  return new CliError(
    `push refused: ${res.status}${p.title ? ` ${p.title}` : ''}: ${detail}${retried}`,
    1,
    lines,
  );
}

export const push: Command = {
  name: 'push',
  summary: 'sign an event JSON file and push it (the reference surety client)',
  usage: 'densho push --key PRIVATE_JWK_FILE [--kid KID] [--url ORIGIN] [--out RECEIPT_FILE] EVENT_JSON_FILE',
  help: `Signs EVENT_JSON_FILE as a compact JWS (protected header {alg, kid, typ: "densho-event+jws"}; alg from the key:
Ed25519 → EdDSA, P-256 → ES256) and POSTs it to ORIGIN/api/v1/certificates with Content-Type application/jose.
The file is parsed and re-serialised with JSON.stringify, so its whitespace doesn't matter. Prints the response
JSON (the receipt) on stdout. 201 = new (for 新規 it carries the 認証キー, shown only this once — keep it);
200 = the same event again (same eventId and bytes): the original receipt, without the 認証キー.
On 503 it waits Retry-After and resends the same bytes, up to 5 times. Refusals (4xx) exit 1 with the problem
detail and each errors[].path: message.

  --key FILE       the surety's private JWK (densho keygen --out FILE)
  --kid KID        the registered kid (default: the JWK's "kid")
  --url ORIGIN     default DENSHO_ORIGIN (or http://HOST:PORT)
  --out FILE       also save the receipt JSON there (mode 0600: it may hold the 認証キー)`,
  options: {
    key: { type: 'string' },
    kid: { type: 'string' },
    url: { type: 'string' },
    out: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const keyPath = required(ctx.values, 'key', 'ejcs.private.jwk');
    const origin = originFrom(str(ctx.values, 'url'), ctx.config().origin);
    const { key, alg, kid: jwkKid } = await privateKeyFromFile(keyPath);
    const kid = str(ctx.values, 'kid') ?? jwkKid;
    if (!kid)
      throw new UsageError(
        '--kid is required (the JWK has no "kid"), e.g. --kid <the kid `surety-key add` printed>',
      );
    const jws = await signEvent(key, alg, kid, eventBytes(ctx.positionals[0]!));
    const res = await postEvent(origin, jws, {
      onRetry: (s, n) =>
        ctx.io.err(`densho: note: 503 busy — retrying the same JWS in ${s} s (${n}/${MAX_RETRIES})`),
    });
    if (res.status !== 201 && res.status !== 200) throw refusal(res);
    const json = JSON.stringify(res.body, null, 2);
    ctx.io.out(json);
    const out = str(ctx.values, 'out');
    if (out) writeFileSync(out, `${json}\n`, { mode: 0o600 });
    if (res.status === 200) {
      ctx.io.err(
        'densho: note: 200 — this event was already accepted; the original receipt (the 認証キー is not shown again)',
      );
    }
  },
};

export const keygen: Command = {
  name: 'keygen',
  summary: 'make an Ed25519 key pair for a surety (an addition to api.md)',
  usage: 'densho keygen --out PRIVATE_JWK_FILE [--public PUBLIC_JWK_FILE]',
  help: `Writes a new Ed25519 private JWK (mode 0600, never overwrites) with kid = RFC 7638 thumbprint, and its public
half to --public FILE (or stdout). Give the PUBLIC file to the operator (densho surety-key add); keep the private
one with the surety's sending system (densho push --key). Not in api.md: an addition so a surety needs no
other tools.`,
  options: { out: { type: 'string' }, public: { type: 'string' } },
  async run(ctx) {
    const out = required(ctx.values, 'out', 'ejcs.private.jwk');
    const pub = str(ctx.values, 'public');
    const pair = await generateSuretyKeyPair();
    const write = (path: string, json: unknown, mode: number) => {
      try {
        writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`, { mode, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new CliError(`${path} exists — keygen never overwrites a key; choose another file name`);
        }
        throw new CliError(`cannot write ${path}: ${(e as Error).message}`);
      }
    };
    if (pub && existsSync(pub))
      throw new CliError(`${pub} exists — keygen never overwrites a key; choose another file name`);
    write(out, pair.privateJwk, 0o600);
    if (pub) write(pub, pair.publicJwk, 0o644);
    ctx.io.out(`kid ${pair.kid}`);
    ctx.io.out(`private key: ${out} (0600 — keep it secret)`);
    if (pub)
      ctx.io.out(`public key:  ${pub} (register it: densho surety-key add --surety CODE --jwk ${pub})`);
    else ctx.io.out(JSON.stringify(pair.publicJwk));
  },
};
