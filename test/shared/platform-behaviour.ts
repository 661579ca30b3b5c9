// Behaviour tests shared by the Node server and the Workers runtime: the same test bodies, run against whichever
// platform a harness starts (Node: real HTTP + SQLite; Workers: workerd + D1 + the LogSequencer Durable Object).
// Runtime-neutral on purpose: only fetch, jose, Kysely and src/ code that both runtimes load.
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64 } from '../../src/domain/bytes.ts';
import { openCheckpoint } from '../../src/domain/checkpoint.ts';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/domain/merkle.ts';
import type { Database } from '../../src/repos/database.ts';
import { insertOrganisation } from '../../src/repos/organisations.ts';
import { insertSuretyKey } from '../../src/repos/surety-keys.ts';
import { insertUser } from '../../src/repos/users.ts';
import { hashPassword } from '../../src/services/passwords.ts';
import { type ReceiptDocument, verifyReceiptDocument } from '../../src/services/receipts.ts';
import { sampleIssueEvent } from './sample-event.ts';

export interface PlatformHarness {
  /** The platform's public origin (requests go to origin + path). */
  origin: string;
  /** Sends a request to the platform (global fetch on Node, the worker's own fetch handler on Workers). */
  fetch(request: Request): Promise<Response>;
  /** The platform's database, for assertions about what was stored. */
  db: Kysely<Database>;
}

const PASSWORD = 'correct-horse-battery-1';
const ORDERER = { code: '092134', name: '那須塩原市長' };

export interface Seeded {
  sign(payload: unknown): Promise<string>;
  clerk: { id: number; login: string };
  auditor: { id: number; login: string };
  /** An auditor of the platform organisation: the only one who may start a full recompute. */
  platformAuditor: { id: number; login: string };
}

const PLATFORM = { code: 'densho', name: '電証 運営' };

/** Organisations, a surety with a fresh Ed25519 key, a clerk and an auditor — through the repos, like the CLI. */
export async function seed(db: Kysely<Database>): Promise<Seeded> {
  const now = Date.now();
  const tag = Math.random().toString(36).slice(2, 8);
  let orderer = await db
    .selectFrom('organisations')
    .select('id')
    .where('code', '=', ORDERER.code)
    .executeTakeFirst();
  if (!orderer) {
    const id = await insertOrganisation(db, {
      kind: 'orderer',
      ...ORDERER,
      acceptsEsurety: true,
      acceptsSince: '2022-05-09',
      now,
    });
    orderer = { id };
  }
  const suretyCode = `ejcs-${tag}`;
  const suretyId = await insertOrganisation(db, {
    kind: 'surety',
    code: suretyCode,
    name: `${suretyCode} 保証株式会社`,
    acceptsEsurety: false,
    acceptsSince: null,
    now,
  });
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  await insertSuretyKey(db, { kid, suretyId, publicJwk: JSON.stringify(jwk), alg: 'EdDSA', now });
  let platform = await db
    .selectFrom('organisations')
    .select('id')
    .where('kind', '=', 'platform')
    .where('code', '=', PLATFORM.code)
    .executeTakeFirst();
  if (!platform) {
    const id = await insertOrganisation(db, {
      kind: 'platform',
      ...PLATFORM,
      acceptsEsurety: false,
      acceptsSince: null,
      now,
    });
    platform = { id };
  }
  const passwordHash = await hashPassword(PASSWORD); // scrypt: node:crypto on Node, nodejs_compat on workerd
  const user = async (role: 'clerk' | 'auditor', orgId = orderer.id, prefix: string = role) => {
    const login = `${prefix}-${tag}`;
    const id = await insertUser(db, { orgId, login, passwordHash, role, displayName: null, now });
    return { id, login };
  };
  return {
    sign: (payload) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'densho-event+jws' })
        .sign(privateKey),
    clerk: await user('clerk'),
    auditor: await user('auditor'),
    platformAuditor: await user('auditor', platform.id, 'platform-auditor'),
  };
}

let seq = 0;
export function issueEvent(): Record<string, unknown> & { contractNumber: string; eventId: string } {
  seq += 1;
  const tag = Math.random().toString(36).slice(2, 7).toUpperCase();
  return sampleIssueEvent({
    eventId: `ev-${tag}-${seq}`,
    contractNumber: `B${tag}-${String(seq).padStart(5, '0')}`,
  });
}

/** A browser-like client over the harness: keeps cookies, sends Origin on POST, never follows redirects. */
class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly h: PlatformHarness) {}

  private async send(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('accept', 'text/html');
    headers.set('user-agent', 'densho-behaviour-test');
    if (this.cookies.size > 0)
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await this.h.fetch(
      new Request(this.h.origin + path, { ...init, headers, redirect: 'manual' }),
    );
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string): Promise<Response> {
    return this.send(path, { method: 'GET' });
  }

  /** POST a form with the CSRF token of the page `from`, as the browser (or htmx, with its headers) would. */
  async post(
    path: string,
    form: Record<string, string>,
    from: string,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const html = await (await this.get(from)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!csrf) throw new Error(`no _csrf field on ${from}`);
    return this.send(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.h.origin,
        ...extraHeaders,
      },
      body: new URLSearchParams({ ...form, _csrf: csrf }),
    });
  }

  async login(login: string): Promise<void> {
    const res = await this.post('/login', { login, password: PASSWORD }, '/login');
    if (res.status !== 303)
      throw new Error(`login ${login}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  }
}

export function platformBehaviour(runtime: string, start: () => Promise<PlatformHarness>): void {
  describe(`platform behaviour (${runtime})`, () => {
    let h: PlatformHarness;
    let s: Seeded;
    let jwks: JSONWebKeySet;
    let vkey: string;

    const get = (path: string) => h.fetch(new Request(h.origin + path));
    const push = (jws: string) =>
      h.fetch(
        new Request(`${h.origin}/api/v1/certificates`, {
          method: 'POST',
          headers: { 'content-type': 'application/jose' },
          body: jws,
        }),
      );
    const issue = async () => {
      const event = issueEvent();
      const jws = await s.sign(event);
      const res = await push(jws);
      const body = (await res.json()) as ReceiptDocument;
      expect(res.status, JSON.stringify(body)).toBe(201);
      return { event, jws, body };
    };

    beforeAll(async () => {
      h = await start();
      s = await seed(h.db);
      jwks = (await (await get('/.well-known/jwks.json')).json()) as JSONWebKeySet;
      vkey = (await (await get('/log/certs/vkey')).text()).trim();
    });

    it('ingests an event: 201 with an auth key and a receipt that verifies from JWKS + vkey alone', async () => {
      const before = Date.now();
      const { event, body } = await issue();
      expect(body.authKey).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
      const payload = await verifyReceiptDocument(body, { jwks, vkey });
      expect(payload.sub).toBe(event.contractNumber);
      expect(payload.idx).toBe(body.log.index);
      expect(Date.parse(body.issuedAt)).toBeGreaterThanOrEqual(before - 1000);
      const row = await h.db
        .selectFrom('certificate_events')
        .select(['log_index', 'issued_at', 'jws'])
        .where('contract_number', '=', event.contractNumber)
        .executeTakeFirstOrThrow();
      expect(row.log_index).toBe(body.log.index);
      expect(row.issued_at).toBe(Date.parse(body.issuedAt));
    });

    it('answers a retry of the same JWS with 200 and the same receipt, and stores nothing new', async () => {
      const { event, jws, body } = await issue();
      const entries = async () =>
        (
          await h.db
            .selectFrom('log_entries')
            .select((e) => e.fn.countAll<number>().as('n'))
            .where('log', '=', 'certs')
            .executeTakeFirstOrThrow()
        ).n;
      const before = await entries();
      const again = await push(jws);
      expect(again.status).toBe(200);
      const replay = (await again.json()) as ReceiptDocument;
      expect(replay.receipt).toBe(body.receipt);
      expect(replay.log.index).toBe(body.log.index);
      expect(replay.authKey).toBeUndefined();
      await verifyReceiptDocument(replay, { jwks, vkey });
      // Same eventId, other content: 409, nothing stored.
      const other = await push(await s.sign({ ...event, guaranteeAmount: 1 }));
      expect(other.status).toBe(409);
      expect(await entries()).toBe(before);
    });

    it('sequences concurrent pushes: contiguous indices, non-decreasing times, a signed checkpoint per batch', async () => {
      const events = Array.from({ length: 40 }, () => issueEvent());
      const signed = await Promise.all(events.map((e) => s.sign(e)));
      const responses = await Promise.all(signed.map((jws) => push(jws)));
      const bodies = await Promise.all(responses.map((r) => r.json() as Promise<ReceiptDocument>));
      for (const [i, r] of responses.entries()) expect(r.status, JSON.stringify(bodies[i])).toBe(201);
      for (const b of bodies) await verifyReceiptDocument(b, { jwks, vkey });
      const byIndex = [...bodies].sort((a, b) => a.log.index - b.log.index);
      const first = byIndex[0]!.log.index;
      for (const [i, b] of byIndex.entries()) expect(b.log.index).toBe(first + i);
      for (let i = 1; i < byIndex.length; i++) {
        expect(Date.parse(byIndex[i]!.issuedAt)).toBeGreaterThanOrEqual(Date.parse(byIndex[i - 1]!.issuedAt));
      }
      // The whole log, not only this test's part: every index 0..n-1 once, times never decreasing.
      const rows = await h.db
        .selectFrom('certificate_events')
        .select(['log_index', 'issued_at'])
        .orderBy('log_index')
        .execute();
      for (const [i, r] of rows.entries()) expect(r.log_index).toBe(i);
      for (let i = 1; i < rows.length; i++)
        expect(rows[i]!.issued_at).toBeGreaterThanOrEqual(rows[i - 1]!.issued_at);
      // Every receipt's tree size has its signed checkpoint, and the latest one is what the log API serves.
      const sizes = new Set(bodies.map((b) => JSON.stringify(b.log.checkpoint)));
      const stored = await h.db
        .selectFrom('log_checkpoints')
        .select(['size', 'note'])
        .where('log', '=', 'certs')
        .orderBy('size')
        .execute();
      for (const note of sizes) expect(stored.map((c) => JSON.stringify(c.note))).toContain(note);
      expect(stored.at(-1)!.size).toBe(rows.length);
    });

    it('lets a clerk verify a certificate; the attempt is in the access log before the page is served', async () => {
      const { event, body } = await issue();
      const w = new Browser(h);
      await w.login(s.clerk.login);
      const res = await w.post(
        '/verify',
        { contractNumber: event.contractNumber, authKey: body.authKey! },
        '/verify',
      );
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/certificates/${event.contractNumber}`);
      const rows = await h.db
        .selectFrom('access_events')
        .select(['action', 'outcome', 'actor', 'org_code', 'log_index'])
        .where('target', '=', event.contractNumber)
        .where('action', '=', 'certificate.verify')
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        outcome: 'success',
        actor: `user:${s.clerk.id}`,
        org_code: ORDERER.code,
      });
      // The access event is a leaf of the access log.
      const leaf = await h.db
        .selectFrom('log_entries')
        .select('idx')
        .where('log', '=', 'access')
        .where('idx', '=', rows[0]!.log_index)
        .executeTakeFirst();
      expect(leaf).toBeDefined();
      const page = await w.get(res.headers.get('location')!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('電子保証概要');
    });

    it('answers an htmx 保証確認 with the 保証証書 itself, its verify and view events durable first', async () => {
      const { event, body } = await issue();
      const w = new Browser(h);
      await w.login(s.clerk.login);
      const res = await w.post(
        '/verify',
        { contractNumber: event.contractNumber, authKey: body.authKey! },
        '/verify',
        { 'hx-request': 'true', 'hx-request-type': 'partial' },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('hx-push-url')).toBe(`/certificates/${event.contractNumber}`);
      expect(res.headers.get('hx-retarget')).toBe('body');
      const html = await res.text();
      expect(html).toContain('電子保証概要');
      expect(html).toContain(event.contractNumber);
      const rows = await h.db
        .selectFrom('access_events')
        .select(['action', 'outcome'])
        .where('target', '=', event.contractNumber)
        .where('action', 'in', ['certificate.verify', 'certificate.view'])
        .orderBy('log_index')
        .execute();
      expect(rows).toEqual([
        { action: 'certificate.verify', outcome: 'success' },
        { action: 'certificate.view', outcome: 'success' },
      ]);
      const listed = await h.db
        .selectFrom('org_certificates')
        .select(['last_viewed_version'])
        .where('org_code', '=', ORDERER.code)
        .where('contract_number', '=', event.contractNumber)
        .executeTakeFirst();
      expect(listed?.last_viewed_version).toBe(1);
    });

    it('serves the auditor console to an auditor', async () => {
      const w = new Browser(h);
      await w.login(s.auditor.login);
      const dash = await w.get('/audit');
      expect(dash.status).toBe(200);
      expect(await dash.text()).toContain('監査 概要');
      const events = await w.get('/audit/events');
      expect(events.status).toBe(200);
      const html = await events.text();
      expect(html).toContain('アクセスログ');
      expect(html).toContain('certificate.verify');
    });

    it('runs a full recompute started by a platform auditor to its end, seen from other sessions', async () => {
      await issue(); // the certs log is not empty
      const starter = new Browser(h);
      await starter.login(s.platformAuditor.login);
      const res = await starter.post('/audit/integrity/recompute', { log: 'certs' }, '/audit/integrity');
      expect(res.status).toBe(303);
      const location = res.headers.get('location') ?? '';
      expect(location).toMatch(/^\/audit\/integrity\/jobs\/[0-9a-f-]{36}$/);
      const jobId = location.slice(location.lastIndexOf('/') + 1);
      // Polled from another sign-in, so nothing of the starting request or session is involved (on Workers the
      // job lives in the sequencer, not in the isolate that started it).
      const watcher = new Browser(h);
      await watcher.login(s.platformAuditor.login);
      let html = '';
      for (let polls = 0; ; polls++) {
        const page = await watcher.get(location);
        expect(page.status).toBe(200);
        html = await page.text();
        if (!html.includes('hx-trigger="every 1s"')) break;
        expect(polls).toBeLessThan(300);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(html).toContain('の木をリーフから計算し直し');
      expect(html).not.toContain('改ざんまたは破損');
      expect(html).not.toContain('検証を完了できませんでした');
      // The start was recorded before the job ran, the result when it ended; both by the starting auditor.
      const events = await h.db
        .selectFrom('access_events')
        .select(['outcome', 'actor', 'detail'])
        .where('action', '=', 'audit.integrity')
        .orderBy('log_index')
        .execute();
      const mine = events.filter((e) => (JSON.parse(e.detail ?? '{}') as { job?: string }).job === jobId);
      expect(mine.map((e) => e.outcome)).toEqual(['started', 'ok']);
      for (const e of mine) expect(e.actor).toBe(`user:${s.platformAuditor.id}`);
      expect(JSON.parse(mine[1]!.detail ?? '{}')).toMatchObject({
        check: 'recompute',
        log: 'certs',
        finding: null,
      });
    });

    it('serves the log API: a signed checkpoint, tiles, inclusion and consistency proofs that verify', async () => {
      const { body } = await issue();
      const cpRes = await get('/log/certs/checkpoint');
      expect(cpRes.status).toBe(200);
      const cp = await openCheckpoint(await cpRes.text(), vkey, body.log.origin);
      expect(cp.size).toBeGreaterThan(body.log.index);
      const incl = await get(`/log/certs/proof/inclusion?index=${body.log.index}&size=${cp.size}`);
      expect(incl.status).toBe(200);
      const hashes = ((await incl.json()) as { path: string[] }).path.map(fromBase64);
      const leaf = fromBase64(body.log.leafInput);
      expect(verifyInclusion(body.log.index, cp.size, leafHash(leaf), hashes, cp.root)).toBe(true);
      const receiptCp = await openCheckpoint(body.log.checkpoint, vkey, body.log.origin);
      const cons = await get(`/log/certs/proof/consistency?first=${receiptCp.size}&second=${cp.size}`);
      expect(cons.status).toBe(200);
      const consHashes = ((await cons.json()) as { path: string[] }).path.map(fromBase64);
      expect(verifyConsistency(receiptCp.size, cp.size, consHashes, receiptCp.root, cp.root)).toBe(true);
      const tile = await get('/log/certs/tile/0/000.p/1');
      expect(tile.status).toBe(200);
      expect(new Uint8Array(await tile.arrayBuffer())).toHaveLength(32);
    });
  });
}
