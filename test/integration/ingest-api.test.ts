// Surety API over real HTTP and a real SQLite file: receipts, idempotency, every hostile body class, reads.
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeAuthKey } from '../../src/domain/auth-key.ts';
import { fromBase64, toBase64 } from '../../src/domain/bytes.ts';
import { openCheckpoint } from '../../src/domain/checkpoint.ts';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/domain/merkle.ts';
import { revokeSuretyKey } from '../../src/repos/surety-keys.ts';
import { type ReceiptDocument, verifyReceiptDocument } from '../../src/services/receipts.ts';
import { followUp, issueEvent, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

let p: TestPlatform;
let jwks: JSONWebKeySet;
let vkey: string;

beforeAll(async () => {
  p = await startTestPlatform();
  jwks = (await (await fetch(`${p.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  vkey = (await (await fetch(`${p.url}/log/certs/vkey`)).text()).trim();
});
afterAll(async () => {
  await p?.close();
});

/**
 * Everything a rejected request must leave untouched: the certificate domain and the certs log. (The rejection
 * itself is an access event — issue #4 — appended to the separate access log; api-access-events.test.ts.)
 */
async function snapshot(): Promise<string> {
  const db = p.server.runtime.database.sqlite;
  const rows = [
    'certificates',
    'certificate_events',
    "log_entries WHERE log = 'certs'",
    "log_checkpoints WHERE log = 'certs'",
    "log_tiles WHERE log = 'certs'",
    'api_jti',
  ].map((t) => `${t}:${JSON.stringify(db.prepare(`SELECT count(*) AS n FROM ${t}`).get())}`);
  const last = db
    .prepare("SELECT size, note FROM log_checkpoints WHERE log='certs' ORDER BY size DESC LIMIT 1")
    .get();
  return `${rows.join(',')}|${JSON.stringify(last)}`;
}

async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(body.type).toBe(`urn:densho:error:${code}`);
  expect(body.status).toBe(status);
  expect(typeof body.detail).toBe('string');
  return body;
}

async function issue(overrides: Record<string, unknown> = {}) {
  const event = issueEvent(overrides);
  const jws = await p.surety.sign(event);
  const res = await p.push(jws);
  const body = (await res.json()) as ReceiptDocument;
  expect(res.status, JSON.stringify(body)).toBe(201);
  return { event, jws, body };
}

describe('POST /api/v1/certificates — accepted events', () => {
  it('issues a certificate: 201 with an auth key and a receipt anyone can verify from JWKS + vkey', async () => {
    const before = Date.now();
    const { event, body } = await issue();
    expect(body.contractNumber).toBe(event.contractNumber);
    expect(body.version).toBe(1);
    expect(body.event).toBe('issue');
    expect(body.authKey).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(normalizeAuthKey(body.authKey!)).not.toBeNull();
    const issuedAt = Date.parse(body.issuedAt);
    expect(issuedAt).toBeGreaterThanOrEqual(before - 5);
    expect(issuedAt).toBeLessThanOrEqual(Date.now() + 5);
    const payload = await verifyReceiptDocument(body, { jwks, vkey });
    expect(payload.sub).toBe(event.contractNumber);
    expect(payload.idx).toBe(body.log.index);
  });

  it('stores only a keyed digest of the auth key, never the key itself', async () => {
    const { body } = await issue();
    const db = p.server.runtime.database.sqlite;
    const dump = JSON.stringify(
      db.prepare('SELECT * FROM certificates WHERE contract_number = ?').all(body.contractNumber),
    );
    const events = JSON.stringify(db.prepare('SELECT * FROM certificate_events').all());
    const key = body.authKey!;
    for (const form of [key, key.replace(/-/g, '')]) {
      expect(dump).not.toContain(form);
      expect(events).not.toContain(form);
    }
  });

  it('is idempotent: the same JWS again returns 200 and the original receipt (without the key)', async () => {
    const { jws, body } = await issue();
    const before = await snapshot();
    const again = await p.push(jws);
    expect(again.status).toBe(200);
    const replay = (await again.json()) as ReceiptDocument;
    const { authKey: _k, ...withoutKey } = body;
    expect(replay).toEqual(withoutKey);
    expect(await snapshot()).toBe(before);
  });

  it('refuses the same eventId with different content: 409, nothing stored', async () => {
    const { event } = await issue();
    const before = await snapshot();
    const changed = { ...event, guaranteeAmount: 1 };
    const res = await p.push(await p.surety.sign(changed));
    await expectProblem(res, 409, 'event-id-conflict');
    expect(await snapshot()).toBe(before);
  });

  it('records 変更 and 訂正 as new versions with their own receipts and non-decreasing times', async () => {
    const { event, body: v1 } = await issue();
    const change = followUp(event, 'change', { guaranteeAmount: 25_000_000 });
    const r2 = await p.push(await p.surety.sign(change));
    const v2 = (await r2.json()) as ReceiptDocument;
    expect(r2.status).toBe(201);
    expect(v2.version).toBe(2);
    expect(v2.authKey).toBeUndefined();
    const corr = followUp(event, 'correction', { targetVersion: 2, guaranteeAmount: 24_000_000 });
    const r3 = await p.push(await p.surety.sign(corr));
    const v3 = (await r3.json()) as ReceiptDocument;
    expect(r3.status).toBe(201);
    expect(v3.version).toBe(3);
    expect(Date.parse(v3.issuedAt)).toBeGreaterThanOrEqual(Date.parse(v2.issuedAt));
    expect(Date.parse(v2.issuedAt)).toBeGreaterThanOrEqual(Date.parse(v1.issuedAt));
    for (const r of [v1, v2, v3]) await verifyReceiptDocument(r, { jwks, vkey });
  });

  it('accepts ES256 keys too', async () => {
    const event = issueEvent();
    const res = await p.push(await p.otherSurety.sign(event));
    expect(res.status).toBe(201);
  });
});

describe('POST /api/v1/certificates — every hostile class is refused and stores nothing', () => {
  const cases: [string, () => Promise<Response>, number, string][] = [
    ['garbage body', () => p.push('not a jws'), 400, 'malformed-jws'],
    ['JWS with a broken header', () => p.push('e30x.eyJ9.c2ln'), 400, 'malformed-jws'],
    [
      'unknown kid',
      async () => p.push(await p.surety.sign(issueEvent(), { kid: 'no-such-kid' })),
      401,
      'unknown-key',
    ],
    [
      'wrong alg for the key',
      async () => {
        const jws = await p.surety.sign(issueEvent());
        const [h, pl, s] = jws.split('.');
        const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>;
        const forged = Buffer.from(JSON.stringify({ ...header, alg: 'HS256' })).toString('base64url');
        return p.push(`${forged}.${pl}.${s}`);
      },
      401,
      'wrong-alg',
    ],
    [
      'alg none',
      async () => {
        const header = Buffer.from(
          JSON.stringify({ alg: 'none', kid: p.surety.kid, typ: 'densho-event+jws' }),
        ).toString('base64url');
        const body = Buffer.from(JSON.stringify(issueEvent())).toString('base64url');
        return p.push(`${header}.${body}.AAAA`);
      },
      401,
      'wrong-alg',
    ],
    [
      'bad signature (payload swapped after signing)',
      async () => {
        const [h, , s] = (await p.surety.sign(issueEvent())).split('.');
        const other = Buffer.from(JSON.stringify(issueEvent())).toString('base64url');
        return p.push(`${h}.${other}.${s}`);
      },
      401,
      'bad-signature',
    ],
    [
      'signed by another surety key claiming this kid',
      async () => {
        const jws = await p.otherSurety.sign(issueEvent(), { kid: p.surety.kid, alg: 'ES256' });
        return p.push(jws);
      },
      401,
      'wrong-alg',
    ],
    ['wrong typ', async () => p.push(await p.surety.sign(issueEvent(), { typ: 'JWT' })), 400, 'wrong-typ'],
    [
      'oversized body',
      async () => p.push(await p.surety.sign(issueEvent({ remarks: 'あ'.repeat(30_000) }))),
      413,
      'too-large',
    ],
    [
      'wrong content type',
      async () => p.push(await p.surety.sign(issueEvent()), { 'content-type': 'application/json' }),
      415,
      'unsupported-media-type',
    ],
    [
      'payload is not JSON',
      async () => p.push(await p.surety.sign(new TextEncoder().encode('{not json'))),
      400,
      'malformed-payload',
    ],
    [
      'payload is not UTF-8',
      async () => p.push(await p.surety.sign(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))),
      400,
      'malformed-payload',
    ],
    [
      'schema: guarantee above contract amount',
      async () => p.push(await p.surety.sign(issueEvent({ guaranteeAmount: 60_000_000 }))),
      422,
      'validation',
    ],
    [
      'schema: impossible date',
      async () => p.push(await p.surety.sign(issueEvent({ contractDate: '2025-02-30' }))),
      422,
      'validation',
    ],
    [
      'schema: control character in a name',
      async () => p.push(await p.surety.sign(issueEvent({ contractor: { name: '〇〇建設\u0007' } }))),
      422,
      'validation',
    ],
    [
      'schema: advance product without deposit bank',
      async () => p.push(await p.surety.sign(issueEvent({ depositBank: null }))),
      422,
      'validation',
    ],
    [
      'orderer that does not accept 電子保証',
      async () =>
        p.push(await p.surety.sign(issueEvent({ orderer: { code: '132012', name: '八王子市長' } }))),
      422,
      'orderer-not-accepting',
    ],
    [
      'change on an unknown contract',
      async () =>
        p.push(await p.surety.sign(followUp(issueEvent({ contractNumber: 'NOPE-00001' }), 'change'))),
      404,
      'contract-not-found',
    ],
  ];

  for (const [name, send, status, code] of cases) {
    it(`${name} → ${status}`, async () => {
      const before = await snapshot();
      await expectProblem(await send(), status, code);
      expect(await snapshot()).toBe(before);
    });
  }

  /** POST with Transfer-Encoding: chunked (no Content-Length): the size can only be known by counting. */
  function pushChunked(jws: string): Promise<Response> {
    const bytes = new TextEncoder().encode(jws);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.slice(i, i + 4096));
        controller.close();
      },
    });
    return fetch(`${p.url}/api/v1/certificates`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body,
      duplex: 'half',
    } as RequestInit);
  }

  it('an oversized chunked body (no Content-Length) → 413, nothing stored', async () => {
    const before = await snapshot();
    const jws = await p.surety.sign(issueEvent({ remarks: 'あ'.repeat(30_000) }));
    await expectProblem(await pushChunked(jws), 413, 'too-large');
    expect(await snapshot()).toBe(before);
  });

  it('a chunked body within the limit is counted and accepted → 201', async () => {
    const res = await pushChunked(await p.surety.sign(issueEvent()));
    expect(res.status, await res.clone().text()).toBe(201);
    expect(((await res.json()) as ReceiptDocument).log.index).toBeGreaterThanOrEqual(0);
  });

  it('a revoked key → 401, nothing stored', async () => {
    const { makeSurety } = await import('../helpers/platform.ts');
    const s = await makeSurety(p, `rev-${Date.now().toString(36)}`);
    await revokeSuretyKey(p.server.runtime.database.db, s.kid, Date.now());
    const before = await snapshot();
    await expectProblem(await p.push(await s.sign(issueEvent())), 401, 'revoked-key');
    expect(await snapshot()).toBe(before);
  });

  it('validation errors carry field paths', async () => {
    const res = await p.push(
      await p.surety.sign(
        issueEvent({
          guaranteeAmount: 60_000_000,
          guaranteePeriod: { start: '2026-05-01', end: '2026-04-30' },
        }),
      ),
    );
    const body = await expectProblem(res, 422, 'validation');
    const paths = (body.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toContain('guaranteeAmount');
    expect(paths).toContain('guaranteePeriod.end');
  });

  it('another surety cannot add events to a contract it does not own (404, as if unknown)', async () => {
    const { event } = await issue();
    const before = await snapshot();
    const res = await p.push(await p.otherSurety.sign(followUp(event, 'change')));
    await expectProblem(res, 404, 'contract-not-found');
    expect(await snapshot()).toBe(before);
  });

  it('a contract number already issued cannot be issued again (409)', async () => {
    const { event } = await issue();
    const before = await snapshot();
    const res = await p.push(await p.surety.sign(issueEvent({ contractNumber: event.contractNumber })));
    await expectProblem(res, 409, 'contract-number-taken');
    expect(await snapshot()).toBe(before);
  });

  it('nothing is accepted after 解約 (409)', async () => {
    const { event } = await issue();
    const t = await p.push(await p.surety.sign(followUp(event, 'termination')));
    expect(t.status).toBe(201);
    const before = await snapshot();
    await expectProblem(await p.push(await p.surety.sign(followUp(event, 'change'))), 409, 'terminated');
    expect(await snapshot()).toBe(before);
  });

  it('a correction naming a version that does not exist is refused (422)', async () => {
    const { event } = await issue();
    const before = await snapshot();
    const res = await p.push(await p.surety.sign(followUp(event, 'correction', { targetVersion: 7 })));
    await expectProblem(res, 422, 'bad-target');
    expect(await snapshot()).toBe(before);
  });
});

describe('concurrent pushes', () => {
  it('hundreds in flight: contiguous indices, non-decreasing timestamps, one checkpoint per batch', async () => {
    const db = p.server.runtime.database.sqlite;
    const startSize = p.server.runtime.logs.certs.size;
    const n = 400;
    const jwss = await Promise.all(Array.from({ length: n }, () => p.surety.sign(issueEvent())));
    const responses = await Promise.all(jwss.map((j) => p.push(j)));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as ReceiptDocument[];
    expect(responses.map((r) => r.status)).toEqual(Array(n).fill(201));
    const indices = bodies.map((b) => b.log.index).sort((a, b) => a - b);
    expect(indices).toEqual(Array.from({ length: n }, (_, i) => startSize + i));

    const rows = db
      .prepare(
        'SELECT log_index, issued_at, tree_size FROM certificate_events WHERE log_index >= ? ORDER BY log_index',
      )
      .all(startSize) as { log_index: number; issued_at: number; tree_size: number }[];
    for (let i = 1; i < rows.length; i++)
      expect(rows[i]!.issued_at).toBeGreaterThanOrEqual(rows[i - 1]!.issued_at);
    // Each batch shares one timestamp and one tree size, and gets exactly one checkpoint at that size.
    const batchSizes = [...new Set(rows.map((r) => r.tree_size))];
    const cps = (
      db
        .prepare("SELECT size FROM log_checkpoints WHERE log='certs' AND size > ? ORDER BY size")
        .all(startSize) as {
        size: number;
      }[]
    ).map((r) => r.size);
    expect(cps).toEqual(batchSizes);
    expect(batchSizes.length).toBeLessThan(n); // group commit actually grouped
    for (const r of rows) {
      const same = rows.filter((o) => o.tree_size === r.tree_size);
      expect(new Set(same.map((o) => o.issued_at)).size).toBe(1);
      expect(Math.max(...same.map((o) => o.log_index)) + 1).toBe(r.tree_size);
    }
    // Every receipt verifies.
    for (const b of bodies.slice(0, 50)) await verifyReceiptDocument(b, { jwks, vkey });
  });
});

describe('log API', () => {
  it('serves a checkpoint that verifies, inclusion proofs, consistency proofs, tiles and entry bundles', async () => {
    const { body } = await issue();
    const note = await (await fetch(`${p.url}/log/certs/checkpoint`)).text();
    const cp = await openCheckpoint(note, vkey);
    expect(cp.size).toBeGreaterThan(body.log.index);

    const inc = (await (
      await fetch(`${p.url}/log/certs/proof/inclusion?index=${body.log.index}&size=${cp.size}`)
    ).json()) as { path: string[] };
    const lh = leafHash(fromBase64(body.log.leafInput));
    expect(verifyInclusion(body.log.index, cp.size, lh, inc.path.map(fromBase64), cp.root)).toBe(true);

    const old = await openCheckpoint(body.log.checkpoint, vkey);
    const cons = (await (
      await fetch(`${p.url}/log/certs/proof/consistency?first=${old.size}&second=${cp.size}`)
    ).json()) as { path: string[] };
    expect(verifyConsistency(old.size, cp.size, cons.path.map(fromBase64), old.root, cp.root)).toBe(true);

    // Level-0 hash tile 0 = the leaf hashes of entries 0..W-1; entry bundle = the leaves themselves.
    const w = Math.min(cp.size, 256);
    const tilePath = w === 256 ? '000' : `000.p/${w}`;
    const tile = new Uint8Array(await (await fetch(`${p.url}/log/certs/tile/0/${tilePath}`)).arrayBuffer());
    const bundle = new Uint8Array(
      await (await fetch(`${p.url}/log/certs/tile/entries/${tilePath}`)).arrayBuffer(),
    );
    expect(tile.length).toBe(w * 32);
    let off = 0;
    for (let i = 0; i < w; i++) {
      const len = (bundle[off]! << 8) | bundle[off + 1]!;
      const leaf = bundle.subarray(off + 2, off + 2 + len);
      off += 2 + len;
      expect(toBase64(leafHash(leaf))).toBe(toBase64(tile.subarray(i * 32, i * 32 + 32)));
    }
    expect(off).toBe(bundle.length);
  });

  it('rejects malformed proof and tile requests', async () => {
    for (const q of [
      'index=-1&size=1',
      'index=0&size=0',
      'index=a&size=1',
      'index=01&size=2',
      'index=0&size=999999999',
    ]) {
      expect((await fetch(`${p.url}/log/certs/proof/inclusion?${q}`)).status).toBe(400);
    }
    expect((await fetch(`${p.url}/log/certs/proof/consistency?first=5&second=2`)).status).toBe(400);
    for (const t of ['0/1', '0/x001', '0/000.p/0', '0/000.p/256', '99/000', 'entries/abc']) {
      expect((await fetch(`${p.url}/log/certs/tile/${t}`)).status).toBe(404);
    }
  });

  it('publishes JWKS keys with RFC 7638 thumbprints as kid and no private parts', async () => {
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    for (const k of jwks.keys) {
      expect(k.kty).toBe('OKP');
      expect((k as Record<string, unknown>).d).toBeUndefined();
      expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });
});

describe('surety reads', () => {
  it('GET /api/v1/certificates/{no} with a bearer JWT lists the surety’s own events', async () => {
    const { event } = await issue();
    const res = await fetch(`${p.url}/api/v1/certificates/${event.contractNumber}`, {
      headers: { authorization: `Bearer ${await p.surety.bearer()}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { events: { version: number; event: string }[]; status: string };
    expect(body.status).toBe('active');
    expect(body.events.map((e) => [e.version, e.event])).toEqual([[1, 'issue']]);
  });

  it('refuses another surety (404), a replayed jti, a wrong audience, a long-lived or missing token (401)', async () => {
    const { event } = await issue();
    const url = `${p.url}/api/v1/certificates/${event.contractNumber}`;
    const get = (token?: string) =>
      fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    await expectProblem(await get(await p.otherSurety.bearer()), 404, 'contract-not-found');
    const once = await p.surety.bearer();
    expect((await get(once)).status).toBe(200);
    await expectProblem(await get(once), 401, 'replayed-bearer');
    await expectProblem(
      await get(await p.surety.bearer({}, { audience: 'https://evil.example' })),
      401,
      'bad-claims',
    );
    await expectProblem(await get(await p.surety.bearer({}, { expSeconds: 3600 })), 401, 'bearer-too-long');
    await expectProblem(await get(), 401, 'missing-bearer');
  });

  it('GET /api/v1/orderers is public and lists accepting orderers', async () => {
    const res = await fetch(`${p.url}/api/v1/orderers`);
    const body = (await res.json()) as { orderers: { code: string; name: string; acceptsSince: string }[] };
    expect(body.orderers.map((o) => o.code)).toEqual(['090000', '092134', '2000012100001']);
    expect(body.orderers.find((o) => o.code === '092134')?.name).toBe('那須塩原市長');
  });
});
