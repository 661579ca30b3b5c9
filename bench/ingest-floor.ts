// Reference ceiling for issue #2's ingest figure (NOT the product): the least a server on this box can do per
// pushed event and still keep the contract's durable, signed promises — so a missed target can be split into
// "the box" and "our code". Same bodies, same database schema (migrations), same wrk, 64 connections.
//   floor:  node:http; JWS signature checked on a worker thread (batched, as the server does); one group-commit
//           transaction per batch with synchronous=FULL on the main thread (prepared statements, no Kysely): the
//           idempotency and contract reads, certificate row (with its auth key's HMAC) + event row, the certs leaf,
//           a per-event Ed25519 receipt, one signed checkpoint.
//   required: the floor + what the issues add on top: zod validation of the event and the push's access event
//           (row with its auditor indexes and triggers + a leaf in the access log, in the SAME transaction — the
//           cheapest arrangement, which the server does not have).
// Still left out even in the second run: hono, Kysely, inclusion proofs, the receipt document's JSON shape, and
// the access log's own checkpoint. The figure is therefore an upper bound for any implementation of the contract.
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { authKeyDigest, generateAuthKey, normalizeAuthKey } from '../src/domain/auth-key.ts';
import { hmacSha256, toBase64, utf8 } from '../src/domain/bytes.ts';
import { contentOf, type EventPayload, parseEventPayload } from '../src/domain/certificate.ts';
import { accessLeaf, certLeaf } from '../src/domain/leaf.ts';
import { CompactRange, leafHash } from '../src/domain/merkle.ts';
import { databaseFile } from '../src/platform/node/runtime.ts';
import { median, prepareDataDir, runWrkAsync, verdict, writeSignedBodies } from './lib/harness.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = 64;
const PORT = 18795;
const TARGET = 5_000;

const { dataDir, surety } = await prepareDataDir();
const perRun = 12_000 * DURATION; // above what one run can consume
const runs = ROUNDS * 2 + 1;
const bodiesFile = (n: number) => join(dataDir, `floor-${n}.jws`);
console.log(`signing ${perRun * runs} distinct events (not timed)…`);
for (let n = 0; n < runs; n++) await writeSignedBodies(surety, perRun, bodiesFile(n));

const db = new Database(databaseFile(dataDir));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
for (const name of ['certs', 'access']) {
  db.prepare('INSERT OR IGNORE INTO logs (name, origin, created_at) VALUES (?, ?, ?)').run(
    name,
    `floor/${name}`,
    0,
  );
}
const keyRow = db.prepare('SELECT surety_id, public_jwk FROM surety_keys WHERE kid = ?').get(surety.kid) as {
  surety_id: number;
  public_jwk: string;
};
const suretyCode = 'ejcs';
const receiptKey = generateKeyPairSync('ed25519').privateKey;
const authSecret = new Uint8Array(32).fill(7);
const netSecret = new Uint8Array(32).fill(9);

const q = {
  event: db.prepare('SELECT submission FROM certificate_events WHERE surety_id = ? AND event_id = ?'),
  cert: db.prepare('SELECT 1 FROM certificates WHERE contract_number = ?'),
  insCert: db.prepare(
    `INSERT INTO certificates (contract_number, surety_id, orderer_code, product, auth_key_digest, status, versions,
       work_name, contractor_name, first_issued_at, last_issued_at) VALUES (?, ?, ?, ?, ?, 'active', 1, ?, ?, ?, ?)`,
  ),
  insEvent: db.prepare(
    `INSERT INTO certificate_events (log_index, contract_number, version, event, target_version, surety_id, event_id,
       kid, jws, submission, payload, issued_at, tree_size, receipt) VALUES (?, ?, 1, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
  insLeaf: db.prepare('INSERT INTO log_entries (log, idx, leaf) VALUES (?, ?, ?)'),
  insAccess: db.prepare(
    `INSERT INTO access_events (log_index, at, action, outcome, actor, org_code, target, net, ip, user_agent,
       request_id, detail) VALUES (?, ?, 'api.certificate.push', 'accepted', ?, ?, ?, ?, '127.0.0.1', 'wrk', ?, ?)`,
  ),
  tile: db.prepare(
    `INSERT INTO log_tiles (log, level, idx, hashes) VALUES (?, 0, ?, ?)
       ON CONFLICT (log, level, idx) DO UPDATE SET hashes = excluded.hashes`,
  ),
  checkpoint: db.prepare(
    'INSERT INTO log_checkpoints (log, size, root, note, created_at) VALUES (?, ?, ?, ?, ?)',
  ),
};

interface Item {
  jws: string;
  payload: EventPayload;
  res: ServerResponse;
}

const b64u = (s: string) => Buffer.from(s).toString('base64url');
const receiptHeader = b64u(JSON.stringify({ alg: 'EdDSA', kid: 'floor', typ: 'densho-receipt+jws' }));
const signJws = (payload: unknown) => {
  const input = `${receiptHeader}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${sign(null, Buffer.from(input), receiptKey).toString('base64url')}`;
};

/** Both logs' state in memory, as the server keeps it. */
const logs = {
  certs: { size: 0, range: CompactRange.empty(), tile: [] as Uint8Array[] },
  access: { size: 0, range: CompactRange.empty(), tile: [] as Uint8Array[] },
};
function appendLeaf(name: 'certs' | 'access', leaf: Uint8Array): { idx: number; hash: Uint8Array } {
  const log = logs[name];
  const idx = log.size++;
  const hash = leafHash(leaf);
  log.range.append(hash);
  log.tile.push(hash);
  if (log.tile.length === 256) {
    q.tile.run(name, Math.floor(idx / 256), Buffer.concat(log.tile));
    log.tile = [];
  }
  q.insLeaf.run(name, idx, Buffer.from(leaf));
  return { idx, hash };
}
function sealLog(name: 'certs' | 'access', now: number): string {
  const log = logs[name];
  const root = log.range.root();
  const body = `floor/${name}\n${log.size}\n${toBase64(root)}\n`;
  const note = `${body}\n— floor ${sign(null, Buffer.from(body), receiptKey).toString('base64')}\n`;
  if (log.tile.length > 0) q.tile.run(name, Math.floor((log.size - 1) / 256), Buffer.concat(log.tile));
  q.checkpoint.run(name, log.size, Buffer.from(root), note, now);
  return note;
}

let full = false;
const commit = db.transaction((batch: Item[], now: number) => {
  const out: { status: number; body: string }[] = [];
  for (const it of batch) {
    const p = it.payload;
    const submission = createHash('sha256').update(it.jws).digest();
    if (q.event.get(keyRow.surety_id, p.eventId) || q.cert.get(p.contractNumber)) {
      out.push({ status: 409, body: '{"code":"taken"}' });
      continue;
    }
    const c = contentOf(p)!;
    const leaf = certLeaf({
      contractNumber: p.contractNumber,
      event: p.event,
      issuedAt: now,
      submission: toBase64(submission),
      surety: suretyCode,
      version: 1,
    });
    const { idx, hash } = appendLeaf('certs', leaf);
    const receipt = signJws({
      iss: 'floor',
      sub: p.contractNumber,
      ver: 1,
      evt: p.event,
      issuedAt: now,
      idx,
      leafHash: toBase64(hash),
      treeSize: 0,
    });
    const authKey = generateAuthKey();
    q.insCert.run(
      p.contractNumber,
      keyRow.surety_id,
      c.orderer.code,
      c.product,
      Buffer.from(authKeyDigest(authSecret, normalizeAuthKey(authKey)!)),
      c.work.name,
      c.contractor.name,
      now,
      now,
    );
    q.insEvent.run(
      idx,
      p.contractNumber,
      p.event,
      keyRow.surety_id,
      p.eventId,
      surety.kid,
      it.jws,
      submission,
      JSON.stringify(p),
      now,
      idx + 1,
      receipt,
    );
    if (full) {
      const net = toBase64(hmacSha256(netSecret, utf8('127.0.0.1')));
      const access = appendLeaf(
        'access',
        accessLeaf({
          action: 'api.certificate.push',
          actor: `surety:${suretyCode}`,
          at: now,
          net,
          outcome: 'accepted',
          target: p.contractNumber,
        }),
      );
      q.insAccess.run(
        access.idx,
        now,
        `surety:${suretyCode}`,
        suretyCode,
        p.contractNumber,
        net,
        crypto.randomUUID(),
        JSON.stringify({ status: 201, kid: surety.kid }),
      );
    }
    out.push({ status: 201, body: JSON.stringify({ receipt, authKey, leafInput: toBase64(leaf) }) });
  }
  const note = sealLog('certs', now);
  if (full) sealLog('access', now);
  return out.map((o) => ({
    ...o,
    body: o.status === 201 ? `${o.body.slice(0, -1)},"checkpoint":${JSON.stringify(note)}}` : o.body,
  }));
});

// Natural group commit, as src/services/sequencer.ts: flush on the next turn; what arrives meanwhile is the next batch.
const pending: Item[] = [];
let scheduled = false;
function flush() {
  scheduled = false;
  const batch = pending.splice(0, 512);
  const answers = commit(batch, Date.now()); // durable (fsync'd) when this returns
  batch.forEach((it, i) => {
    const a = answers[i]!;
    it.res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
  });
  if (pending.length > 0) setImmediate(flush);
  else scheduled = false;
}

// The JWS check on a worker thread, jobs of one event-loop turn in one message (src/platform/node/crypto-worker.ts).
const verifier = new Worker(
  `const { parentPort, workerData } = require('node:worker_threads');
   const { verify, createPublicKey } = require('node:crypto');
   const key = createPublicKey({ key: JSON.parse(workerData), format: 'jwk' });
   parentPort.on('message', (jobs) => parentPort.postMessage(jobs.map((j) => verify(null, j.data, key, j.sig))));`,
  { eval: true, workerData: keyRow.public_jwk },
);
createPublicKey({ key: JSON.parse(keyRow.public_jwk), format: 'jwk' }); // fail here, not in the worker, on a bad key
let jobs: { data: Uint8Array; sig: Uint8Array }[] = [];
let jobWaiters: ((ok: boolean) => void)[] = [];
const inFlight: ((ok: boolean) => void)[][] = [];
verifier.on('message', (results: boolean[]) => {
  const waiters = inFlight.shift()!;
  for (let i = 0; i < results.length; i++) waiters[i]!(results[i]!);
});
function checkSignature(data: Uint8Array, sig: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    if (jobs.length === 0)
      setImmediate(() => {
        inFlight.push(jobWaiters);
        verifier.postMessage(jobs);
        jobs = [];
        jobWaiters = [];
      });
    jobs.push({ data, sig });
    jobWaiters.push(resolve);
  });
}

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Hello');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const jws = Buffer.concat(chunks).toString('utf8');
    const [h, p, s] = jws.split('.');
    const header = JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')) as { kid?: string };
    if (header.kid !== surety.kid || s === undefined) {
      res.writeHead(401).end();
      return;
    }
    const ok = await checkSignature(
      new Uint8Array(Buffer.from(`${h}.${p}`)),
      new Uint8Array(Buffer.from(s, 'base64url')),
    );
    if (!ok) {
      res.writeHead(401).end();
      return;
    }
    const json = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8'));
    const parsed = full ? parseEventPayload(json) : { ok: true as const, value: json as EventPayload };
    if (!parsed.ok) {
      res.writeHead(422).end();
      return;
    }
    pending.push({ jws, payload: parsed.value, res });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
});
await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${PORT}`;

try {
  await runWrkAsync({ url: `${url}/`, connections: CONNECTIONS, duration: 2 }); // warm-up (JIT), not counted
  const hello: number[] = [];
  const figures = { floor: [] as number[], required: [] as number[] };
  const cpuPerEvent = { floor: [] as number[], required: [] as number[] };
  let run = 0;
  for (let round = 0; round < ROUNDS; round++) {
    hello.push((await runWrkAsync({ url: `${url}/`, connections: CONNECTIONS, duration: DURATION })).rps);
    for (const mode of ['floor', 'required'] as const) {
      full = mode === 'required';
      const cpu0 = process.cpuUsage();
      const r = await runWrkAsync({
        url: `${url}/api/v1/certificates`,
        connections: CONNECTIONS,
        duration: DURATION,
        bodiesFile: bodiesFile(run++),
      });
      if (r.other > 0 || r.errors > 0)
        throw new Error(`floor ${mode}: ${r.other} non-201 answers, ${r.errors} errors`);
      const cpu = process.cpuUsage(cpu0);
      const perEvent = (cpu.user + cpu.system) / Math.max(1, r.requests);
      figures[mode].push(r.rps);
      cpuPerEvent[mode].push(perEvent);
      console.log(
        `  round ${round} ${mode}: ${r.rps.toFixed(0)} events/s (p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms), server CPU ${perEvent.toFixed(0)} µs/event (all threads)`,
      );
    }
  }
  const h = median(hello);
  const floor = median(figures.floor);
  const required = median(figures.required);
  console.log('');
  console.log(`node:http hello-world, same process, same tool, same run: median ${h.toFixed(0)} req/s`);
  // Two cores' worth of CPU time per second, divided by the server's CPU per event: what the box could carry if
  // the load generator and the kernel's loopback work were free and every thread were busy all the time.
  const ceiling = (mode: 'floor' | 'required') => (2e6 / median(cpuPerEvent[mode])).toFixed(0);
  console.log(
    `ingest floor (crypto + durable write only): median ${floor.toFixed(0)} events/s, ratio ${(floor / h).toFixed(3)}, ${median(cpuPerEvent.floor).toFixed(0)} µs CPU/event (2 cores ÷ that = ${ceiling('floor')}/s) — target ≥ ${TARGET} — ${verdict(floor >= TARGET)}`,
  );
  console.log(
    `ingest floor + zod validation + the push access event (required): median ${required.toFixed(0)} events/s, ratio ${(required / h).toFixed(3)}, ${median(cpuPerEvent.required).toFixed(0)} µs CPU/event (2 cores ÷ that = ${ceiling('required')}/s) — target ≥ ${TARGET} — ${verdict(required >= TARGET)}`,
  );
} finally {
  server.close();
  await verifier.terminate();
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
}
