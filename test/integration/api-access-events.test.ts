// Every surety API call is an access event (issue #4): accepted, replayed and rejected pushes (with the reason),
// certificate reads (durable before the answer), acknowledgement reads; the public orderer list is not one.
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFile } from '../../src/platform/node/runtime.ts';
import { followUp, issueEvent, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

let p: TestPlatform;

beforeAll(async () => {
  p = await startTestPlatform();
});
afterAll(async () => {
  await p?.close();
});

interface Row {
  log_index: number;
  action: string;
  outcome: string;
  actor: string | null;
  target: string | null;
  ip: string | null;
  net: string;
  request_id: string | null;
  detail: string | null;
}

function eventsFor(requestId: string): Row[] {
  return p.server.runtime.database.sqlite
    .prepare('SELECT * FROM access_events WHERE request_id = ? ORDER BY log_index')
    .all(requestId) as Row[];
}

/** A push's event follows the receipt in the next access batch: wait for it (bounded). */
async function eventOf(res: Response): Promise<Row & { parsed: Record<string, unknown> }> {
  const requestId = res.headers.get('x-request-id');
  expect(requestId, 'every API answer carries X-Request-Id').toBeTruthy();
  for (let i = 0; i < 100; i++) {
    const rows = eventsFor(requestId!);
    if (rows.length > 0) {
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      return { ...row, parsed: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : {} };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no access event for request ${requestId}`);
}

describe('surety API calls in the access log', () => {
  it('an accepted push → api.certificate.push / accepted, by the surety, on the contract; the leaf has no IP', async () => {
    const event = issueEvent();
    const res = await p.push(await p.surety.sign(event));
    expect(res.status).toBe(201);
    const row = await eventOf(res);
    expect(row.action).toBe('api.certificate.push');
    expect(row.outcome).toBe('accepted');
    expect(row.actor).toBe(`surety:${p.surety.code}`);
    expect(row.target).toBe(event.contractNumber);
    expect(row.parsed).toMatchObject({ status: 201, kid: p.surety.kid });
    expect(row.ip).toBe('127.0.0.1');
    // The row is visible to other connections a moment before this process adopts the new tree head.
    let leaf: Uint8Array | null = null;
    for (let i = 0; i < 50 && !leaf; i++) {
      leaf = await p.server.runtime.logs.access.leaf(row.log_index);
      if (!leaf) await new Promise((r) => setTimeout(r, 10));
    }
    expect(leaf).not.toBeNull();
    expect(new TextDecoder().decode(leaf!)).not.toContain('127.0.0.1');
  });

  it('an idempotent retry → replayed', async () => {
    const jws = await p.surety.sign(issueEvent());
    expect((await p.push(jws)).status).toBe(201);
    const again = await p.push(jws);
    expect(again.status).toBe(200);
    const row = await eventOf(again);
    expect(row.outcome).toBe('replayed');
    expect(row.actor).toBe(`surety:${p.surety.code}`);
  });

  it('a conflicting retry → rejected, with the problem code as the reason', async () => {
    const event = issueEvent();
    expect((await p.push(await p.surety.sign(event))).status).toBe(201);
    const res = await p.push(await p.surety.sign({ ...event, remarks: '別の内容' }));
    expect(res.status).toBe(409);
    const row = await eventOf(res);
    expect(row.outcome).toBe('rejected');
    expect(row.parsed).toMatchObject({ status: 409, code: 'event-id-conflict' });
    expect(row.target).toBe(event.contractNumber);
  });

  it('a bad signature → rejected with no actor (the caller is not authenticated)', async () => {
    const jws = await p.surety.sign(issueEvent());
    const [h, b, s] = jws.split('.');
    const tampered = `${h}.${b}.${s!.startsWith('A') ? `B${s!.slice(1)}` : `A${s!.slice(1)}`}`;
    const res = await p.push(tampered);
    expect(res.status).toBe(401);
    const row = await eventOf(res);
    expect(row.action).toBe('api.certificate.push');
    expect(row.outcome).toBe('rejected');
    expect(row.actor).toBeNull();
    expect(row.parsed.code).toBeTypeOf('string');
  });

  it('an oversized body and a wrong content type are rejected with their reasons', async () => {
    const big = await p.push(await p.surety.sign(issueEvent({ remarks: 'あ'.repeat(30_000) })));
    expect(big.status).toBe(413);
    expect((await eventOf(big)).parsed).toMatchObject({ status: 413, code: 'too-large' });
    const wrong = await p.push(await p.surety.sign(issueEvent()), { 'content-type': 'application/json' });
    expect(wrong.status).toBe(415);
    expect((await eventOf(wrong)).parsed).toMatchObject({ status: 415, code: 'unsupported-media-type' });
  });

  it('a rule violation (change after 解約) is rejected on its contract', async () => {
    const first = issueEvent();
    expect((await p.push(await p.surety.sign(first))).status).toBe(201);
    const end = followUp(first, 'termination');
    expect((await p.push(await p.surety.sign(end))).status).toBe(201);
    const res = await p.push(await p.surety.sign(followUp(first, 'change')));
    expect(res.status).toBe(409);
    const row = await eventOf(res);
    expect(row.outcome).toBe('rejected');
    expect(row.target).toBe(first.contractNumber);
    expect(row.parsed.code).toBe('terminated');
  });

  it('a certificate read is durable before the answer; unknown and unauthenticated reads are rejected', async () => {
    const event = issueEvent();
    expect((await p.push(await p.surety.sign(event))).status).toBe(201);
    const token = await p.surety.bearer();
    const ok = await fetch(`${p.url}/api/v1/certificates/${event.contractNumber}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
    // No waiting: the event committed before the body was sent.
    const rows = eventsFor(ok.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.action, r.outcome, r.target])).toEqual([
      ['api.certificate.read', 'success', event.contractNumber],
    ]);

    const unknown = await fetch(`${p.url}/api/v1/certificates/NOPE-1`, {
      headers: { authorization: `Bearer ${await p.surety.bearer()}` },
    });
    expect(unknown.status).toBe(404);
    expect(await eventOf(unknown)).toMatchObject({ outcome: 'rejected', target: 'NOPE-1' });

    const anonymous = await fetch(`${p.url}/api/v1/certificates/${event.contractNumber}`);
    expect(anonymous.status).toBe(401);
    expect(await eventOf(anonymous)).toMatchObject({
      action: 'api.certificate.read',
      outcome: 'rejected',
      actor: null,
    });
  });

  it('an acknowledgements read records one event; a bad token is rejected', async () => {
    const ok = await fetch(`${p.url}/api/v1/acknowledgements`, {
      headers: { authorization: `Bearer ${await p.surety.bearer()}` },
    });
    expect(ok.status).toBe(200);
    expect(eventsFor(ok.headers.get('x-request-id')!).map((r) => r.outcome)).toEqual(['success']);
    const bad = await fetch(`${p.url}/api/v1/acknowledgements`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(bad.status).toBe(401);
    expect(await eventOf(bad)).toMatchObject({ action: 'api.acknowledgements.read', outcome: 'rejected' });
  });

  it('the public orderer list is not a surety call and records nothing', async () => {
    const before = p.server.runtime.database.sqlite
      .prepare('SELECT count(*) AS n FROM access_events')
      .get() as {
      n: number;
    };
    const res = await fetch(`${p.url}/api/v1/orderers`);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const after = p.server.runtime.database.sqlite
      .prepare('SELECT count(*) AS n FROM access_events')
      .get() as {
      n: number;
    };
    expect(after.n).toBe(before.n);
  });
});

describe('shutdown under load', () => {
  it('every committed push has its access event, even when its client hung up and the server stopped at once', async () => {
    const q = await startTestPlatform({ keepDataDir: true });
    const events = Array.from({ length: 64 }, () => issueEvent());
    const jwss = await Promise.all(events.map((e) => q.surety.sign(e)));
    const abort = new AbortController();
    const answers = jwss.map((jws) =>
      fetch(`${q.url}/api/v1/certificates`, {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        body: jws,
        signal: abort.signal,
      }).catch(() => null),
    );
    // Like a load generator at the end of its run: the clients hang up with pushes in the sequencer, and the
    // operator stops the server right then. Whatever the sequencer committed must be in the access log too.
    await new Promise((r) => setTimeout(r, 30));
    abort.abort();
    await q.server.close();
    await Promise.all(answers);
    const sqlite = new Database(databaseFile(q.dataDir), { readonly: true });
    try {
      const committed = (
        sqlite.prepare('SELECT contract_number FROM certificate_events').all() as {
          contract_number: string;
        }[]
      ).map((r) => r.contract_number);
      const logged = new Set(
        (
          sqlite.prepare("SELECT target FROM access_events WHERE action = 'api.certificate.push'").all() as {
            target: string;
          }[]
        ).map((r) => r.target),
      );
      expect(committed.length).toBeGreaterThan(0);
      expect(committed.filter((n) => !logged.has(n))).toEqual([]);
    } finally {
      sqlite.close();
      rmSync(q.dataDir, { recursive: true, force: true });
    }
  });
});
