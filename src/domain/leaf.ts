// Trust-log leaf encodings (densho/cert/v1, densho/access/v1): build the exact leaf bytes and parse them back strictly.
import { EVENT_KINDS, type EventKind } from './certificate.ts';
import { canonicalJson } from './jcs.ts';

export const CERT_LEAF_TYPE = 'densho/cert/v1';
export const ACCESS_LEAF_TYPE = 'densho/access/v1';

export interface CertLeafBody {
  contractNumber: string;
  event: EventKind;
  /** Arrival time in integer ms, assigned by the sequencer (trust-log.md "The issuance timestamp"). */
  issuedAt: number;
  /** Standard base64 (with padding) of SHA-256 over the exact JWS bytes received. */
  submission: string;
  /** Surety organisation code. */
  surety: string;
  version: number;
}

export interface AccessLeafBody {
  action: string;
  actor: string | null;
  at: number;
  /** base64 HMAC-SHA-256 of the client IP under a server secret — never the raw IP. */
  net: string;
  outcome: string;
  target: string | null;
}

export type ParsedLeaf =
  | { type: typeof CERT_LEAF_TYPE; body: CertLeafBody }
  | { type: typeof ACCESS_LEAF_TYPE; body: AccessLeafBody };

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: keep a BOM so it fails the byte comparison.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A 32-byte digest in standard base64 with padding (api.md: "Hashes are standard base64 … everywhere"). */
const DIGEST_B64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

const CERT_KEYS = ['contractNumber', 'event', 'issuedAt', 'submission', 'surety', 'version'] as const;
const ACCESS_KEYS = ['action', 'actor', 'at', 'net', 'outcome', 'target'] as const;

function fail(msg: string): never {
  throw new Error(`leaf: ${msg}`);
}

function checkKeys(body: object, expected: readonly string[], type: string): Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(body);
  if (proto !== Object.prototype && proto !== null) fail(`${type} body must be a plain object`);
  const keys = Object.keys(body).sort();
  if (keys.length !== expected.length || keys.some((k, i) => k !== expected[i])) {
    fail(`${type} body must have exactly the keys ${expected.join(', ')}; got ${keys.join(', ')}`);
  }
  return body as Record<string, unknown>;
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(`${name} must be a non-empty string`);
  return v;
}

function strOrNull(v: unknown, name: string): string | null {
  return v === null ? null : str(v, name);
}

function nat(v: unknown, name: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    fail(`${name} must be an integer ≥ ${min}`);
  return v;
}

function digest(v: unknown, name: string): string {
  if (typeof v !== 'string' || !DIGEST_B64.test(v)) fail(`${name} must be base64 of a 32-byte digest`);
  return v;
}

/** Validates and copies a cert body so the leaf can only ever hold the six agreed fields. */
function certBody(body: unknown): CertLeafBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('cert body must be an object');
  const b = checkKeys(body, CERT_KEYS, CERT_LEAF_TYPE);
  const event = b.event;
  if (typeof event !== 'string' || !(EVENT_KINDS as readonly string[]).includes(event)) {
    fail(`event must be one of ${EVENT_KINDS.join(', ')}`);
  }
  return {
    contractNumber: str(b.contractNumber, 'contractNumber'),
    event: event as EventKind,
    issuedAt: nat(b.issuedAt, 'issuedAt', 0),
    submission: digest(b.submission, 'submission'),
    surety: str(b.surety, 'surety'),
    version: nat(b.version, 'version', 1),
  };
}

function accessBody(body: unknown): AccessLeafBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('access body must be an object');
  const b = checkKeys(body, ACCESS_KEYS, ACCESS_LEAF_TYPE);
  return {
    action: str(b.action, 'action'),
    actor: strOrNull(b.actor, 'actor'),
    at: nat(b.at, 'at', 0),
    net: digest(b.net, 'net'),
    outcome: str(b.outcome, 'outcome'),
    target: strOrNull(b.target, 'target'),
  };
}

function encode(type: string, body: CertLeafBody | AccessLeafBody): Uint8Array {
  // leaf_input = UTF-8("<type>\n") ‖ JCS(body)   (trust-log.md "Leaf formats")
  return encoder.encode(`${type}\n${canonicalJson(body)}`);
}

export function certLeaf(body: CertLeafBody): Uint8Array {
  return encode(CERT_LEAF_TYPE, certBody(body));
}

export function accessLeaf(body: AccessLeafBody): Uint8Array {
  return encode(ACCESS_LEAF_TYPE, accessBody(body));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Parses leaf bytes back into a typed body. Strict, because a verifier recomputes the leaf from what it is
 * shown: unknown type, extra or missing keys, wrong types, invalid UTF-8 or any non-canonical spelling
 * (whitespace, key order, escapes, duplicate keys…) all throw — checked by re-serialising and comparing bytes.
 */
export function parseLeaf(bytes: Uint8Array): ParsedLeaf {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) fail('missing type line');
  let type: string;
  let json: string;
  try {
    type = decoder.decode(bytes.subarray(0, nl));
    json = decoder.decode(bytes.subarray(nl + 1));
  } catch {
    fail('not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    fail('body is not JSON');
  }
  let result: ParsedLeaf;
  if (type === CERT_LEAF_TYPE) result = { type: CERT_LEAF_TYPE, body: certBody(parsed) };
  else if (type === ACCESS_LEAF_TYPE) result = { type: ACCESS_LEAF_TYPE, body: accessBody(parsed) };
  else fail(`unknown leaf type ${JSON.stringify(type)}`);
  if (!bytesEqual(encode(result.type, result.body), bytes)) fail('body is not in canonical (JCS) form');
  return result;
}
