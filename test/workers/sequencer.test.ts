// Workers-only behaviour: the D1 adapter (BLOBs as Uint8Array, INSERTs split under D1's 100-parameter limit, one
// atomic batch()), the LogSequencer Durable Object as the single writer under concurrent RPC calls, failure
// counters that live in D1 (so every isolate sees them), and the recompute jobs the object runs for every isolate.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { openCheckpoint, vkeyText } from '../../src/domain/checkpoint.ts';
import { D1_MAX_PARAMETERS, D1AtomicWriter, d1Kysely, splitForD1 } from '../../src/platform/workers/d1.ts';
import { sequencerStub } from '../../src/platform/workers/runtime.ts';
import { ed25519PublicBytes } from '../../src/services/platform-keys.ts';
import { platformKeysFromSecrets } from '../../src/services/platform-secrets.ts';
import type { ReceiptDocument } from '../../src/services/receipts.ts';
import { issueEvent, seed } from '../shared/platform-behaviour.ts';

const db = d1Kysely(env.DB);

describe('D1 adapter', () => {
  it('splits a multi-row INSERT over 100 parameters and commits it in one atomic batch', async () => {
    await env.DB.exec('CREATE TABLE IF NOT EXISTS t_split (a INTEGER PRIMARY KEY, b BLOB, c TEXT, d TEXT)');
    const rows = Array.from({ length: 60 }, (_, i) => ({
      a: i,
      b: new Uint8Array([i, 255 - i]),
      c: 'x',
      d: 'y',
    }));
    // biome-ignore lint/suspicious/noExplicitAny: a scratch table outside the schema
    const q = (db as any).insertInto('t_split').values(rows).compile();
    expect(q.parameters.length).toBe(240);
    const parts = splitForD1(q);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.parameters.length).toBeLessThanOrEqual(D1_MAX_PARAMETERS);
    await new D1AtomicWriter(env.DB).run([q]);
    // biome-ignore lint/suspicious/noExplicitAny: a scratch table outside the schema
    const back = await (db as any).selectFrom('t_split').selectAll().orderBy('a').execute();
    expect(back).toHaveLength(60);
    expect(back[7].b).toBeInstanceOf(Uint8Array); // D1 answers number[]; the adapter hands back bytes
    expect([...back[7].b]).toEqual([7, 248]);
  });

  it('leaves nothing behind when one statement of the batch fails', async () => {
    await env.DB.exec('CREATE TABLE IF NOT EXISTS t_atomic (a INTEGER PRIMARY KEY)');
    // biome-ignore lint/suspicious/noExplicitAny: a scratch table outside the schema
    const any = db as any;
    const rows = Array.from({ length: 150 }, (_, i) => ({ a: i }));
    const good = any.insertInto('t_atomic').values(rows).compile();
    const dup = any.insertInto('t_atomic').values({ a: 3 }).compile(); // primary-key violation
    await expect(new D1AtomicWriter(env.DB).run([good, dup])).rejects.toThrow();
    const n = await env.DB.prepare('SELECT count(*) AS n FROM t_atomic').first<{ n: number }>();
    expect(n?.n).toBe(0);
  });
});

describe('LogSequencer Durable Object', () => {
  it('group-commits concurrent access events: contiguous indices, non-decreasing times, fewer checkpoints', async () => {
    const { access: before } = await sequencerStub(env).ready();
    const n = 60;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        sequencerStub(env).record({ action: 'test.concurrent', outcome: 'success', actor: `test:${i}` }),
      ),
    );
    const recorded = results.map((r) => {
      if (r.kind !== 'ok') throw new Error(`sequencer answered ${r.kind}`);
      return r.value;
    });
    const indices = recorded.map((r) => r.index).sort((a, b) => a - b);
    for (const [i, idx] of indices.entries()) expect(idx).toBe(before + i);
    const rows = await db
      .selectFrom('access_events')
      .select(['log_index', 'at', 'actor'])
      .where('action', '=', 'test.concurrent')
      .orderBy('log_index')
      .execute();
    expect(rows).toHaveLength(n);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.at).toBeGreaterThanOrEqual(rows[i - 1]!.at);
    const checkpoints = await db
      .selectFrom('log_checkpoints')
      .select(['size', 'note'])
      .where('log', '=', 'access')
      .where('size', '>', before)
      .orderBy('size')
      .execute();
    expect(checkpoints.at(-1)!.size).toBe(before + n);
    expect(checkpoints.length).toBeLessThan(n); // batches, not one commit per event
    const origin = (
      await db.selectFrom('logs').select('origin').where('name', '=', 'access').executeTakeFirstOrThrow()
    ).origin;
    // The verifier key from the note key the worker was given (the access log's vkey is served to auditors only).
    const vkey = vkeyText(origin, ed25519PublicBytes(platformKeysFromSecrets({ ...env }).note));
    for (const cp of checkpoints) expect((await openCheckpoint(cp.note, vkey, origin)).size).toBe(cp.size);
  });

  it('applies access-event domain writes in the same batch as the event', async () => {
    await env.DB.exec('CREATE TABLE IF NOT EXISTS t_grant (k TEXT PRIMARY KEY)');
    const r = await sequencerStub(env).record({
      action: 'test.grant',
      outcome: 'success',
      actor: 'test:grant',
      writes: [{ sql: 'INSERT INTO t_grant (k) VALUES (?)', parameters: ['granted'] }],
    });
    expect(r.kind).toBe('ok');
    const row = await env.DB.prepare('SELECT k FROM t_grant').first<{ k: string }>();
    expect(row?.k).toBe('granted');
  });

  it('runs one recompute per log however many starts arrive at once, to its end after the calls returned', async () => {
    const who = {
      actor: 'test:recompute',
      orgCode: 'densho',
      meta: { ip: null, userAgent: null, requestId: null },
    };
    // Concurrent RPC calls interleave while the first one commits its `started` event: they must join that job.
    const starts = await Promise.all(
      Array.from({ length: 4 }, () => sequencerStub(env).integrityStart('access', who)),
    );
    const jobs = starts.map((r) => {
      if (r.kind !== 'ok') throw new Error(`integrityStart: ${JSON.stringify(r)}`);
      return r.value;
    });
    expect(jobs.filter((j) => j.kind === 'started')).toHaveLength(1);
    expect(new Set(jobs.map((j) => j.job.id)).size).toBe(1);
    const id = jobs[0]!.job.id;
    let job = await sequencerStub(env).integrityJob(id);
    for (let polls = 0; job?.status === 'running'; polls++) {
      expect(polls).toBeLessThan(300);
      await new Promise((r) => setTimeout(r, 50));
      job = await sequencerStub(env).integrityJob(id);
    }
    expect(job).toMatchObject({ id, log: 'access', status: 'done', error: null });
    expect(job?.report?.finding).toBeNull();
    expect((await sequencerStub(env).integrityLatest()).access?.id).toBe(id);
    expect(await sequencerStub(env).integrityJob('no-such-job')).toBeNull();
    const events = await db
      .selectFrom('access_events')
      .select('outcome')
      .where('action', '=', 'audit.integrity')
      .where('actor', '=', who.actor)
      .orderBy('log_index')
      .execute();
    expect(events.map((e) => e.outcome)).toEqual(['started', 'ok']);
  });
});

describe('throttling across isolates', () => {
  it('keeps login failure counters in D1', async () => {
    const login = `nobody-${Math.random().toString(36).slice(2, 8)}`;
    for (let i = 0; i < 3; i++) {
      const page = await SELF.fetch('http://localhost/login');
      const cookie = page.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
      const res = await SELF.fetch('http://localhost/login', {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'http://localhost',
          cookie,
          accept: 'text/html',
        },
        body: new URLSearchParams({ login, password: 'wrong-password-123', _csrf: csrf }),
      });
      expect(res.status).toBe(422);
    }
    const rows = await db.selectFrom('throttles').selectAll().execute();
    expect(rows.some((r) => r.key.includes(login) && r.failures >= 3)).toBe(true);
  });
});

describe('a batch that D1 refuses', () => {
  it('answers no receipt, stores nothing, and the next batch continues the log without a gap', async () => {
    const s = await seed(db);
    const push = async (event: Record<string, unknown>) =>
      SELF.fetch('http://localhost/api/v1/certificates', {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        body: await s.sign(event),
      });
    const first = await push(issueEvent());
    expect(first.status).toBe(201);
    const before = (await first.json()) as ReceiptDocument;
    // Fault injection inside D1: the batch carrying this contract number aborts as a whole.
    const doomed = issueEvent();
    await env.DB.exec(
      `CREATE TRIGGER inject_fault BEFORE INSERT ON certificate_events WHEN NEW.contract_number = '${doomed.contractNumber}' BEGIN SELECT RAISE(ABORT, 'injected fault'); END;`,
    );
    const failed = await push(doomed);
    expect(failed.status).toBe(500);
    expect(await failed.text()).not.toContain('receipt');
    const leaves = await db
      .selectFrom('log_entries')
      .select((e) => e.fn.countAll<number>().as('n'))
      .where('log', '=', 'certs')
      .executeTakeFirstOrThrow();
    expect(leaves.n).toBe(before.log.index + 1);
    const cp = await db
      .selectFrom('log_checkpoints')
      .select((e) => e.fn.max('size').as('size'))
      .where('log', '=', 'certs')
      .executeTakeFirstOrThrow();
    expect(cp.size).toBe(before.log.index + 1);
    await env.DB.exec('DROP TRIGGER inject_fault');
    const next = await push(issueEvent());
    expect(next.status).toBe(201);
    const after = (await next.json()) as ReceiptDocument;
    expect(after.log.index).toBe(before.log.index + 1);
    expect(Date.parse(after.issuedAt)).toBeGreaterThanOrEqual(Date.parse(before.issuedAt));
  });
});
