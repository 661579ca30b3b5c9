// Reference ceiling for issue #3's verify figure (NOT the product): the least a server on this box can do for
// "POST number + key → rendered 保証証書, access events durable before serving, signed-in clerks" — so a missed
// target can be split into "the box" and "our code". Same database (seeded and signed in through the real
// server), same tuples, same wrk script in the same mode, 64 connections. Per request, with node:http and
// prepared better-sqlite3 statements (no hono, no Kysely, no JSX):
//   session cookie → session + user + organisation (one read; SHA-256 of the secret compared), idle check;
//   Origin and the form's per-session CSRF token; the three throttle keys (one read); certificate with the
//   organisation's list row (one read), HMAC of the normalised key compared; the version history (one read);
//   then, in ONE group-commit transaction per batch (synchronous=FULL) before any page is sent: the list grant,
//   the certificate.verify and certificate.view access events (rows with their auditor indexes and triggers,
//   leaves in the access log) and the viewed mark, plus one signed access checkpoint per batch;
//   finally the page as one template string: every field of the current content and the history, escaped.
// Left out: the layout's navigation and help text, hono's security headers, request ids, the log index link.
import { createHash, generateKeyPairSync, sign, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config.ts';
import { authKeyDigest, normalizeAuthKey } from '../src/domain/auth-key.ts';
import { hmacSha256, toBase64, toBase64Url, utf8 } from '../src/domain/bytes.ts';
import { accessLeaf } from '../src/domain/leaf.ts';
import { CompactRange, leafHash } from '../src/domain/merkle.ts';
import { loadOrCreateKeys } from '../src/platform/node/keys.ts';
import { databaseFile, openRuntime } from '../src/platform/node/runtime.ts';
import { seedOrdererCertificates } from './fixtures.ts';
import { createClerks, signInAll, writeTuples } from './lib/clerks.ts';
import {
  median,
  prepareDataDir,
  runWrkAsync,
  runWrkSessionsAsync,
  startServerChild,
  verdict,
} from './lib/harness.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = 64;
const CLERKS = 64;
const PER_RUN = 4_000 * DURATION; // above what one run can consume: every POST is a first verification
const PORT = 18791;
const TARGET = 3_000;

const { dataDir } = await prepareDataDir();
const rt = await openRuntime(loadConfig({ DENSHO_DATA_DIR: dataDir, PORT: String(PORT) }));
const seeded = await seedOrdererCertificates(rt, { count: PER_RUN * (ROUNDS + 1), changeEvery: 5 });
const logins = await createClerks(rt.database.db, '092134', CLERKS);
await rt.close();
// Sign in through the real server (scrypt, session rows, CSRF tokens exactly as the product makes them).
const child = await startServerChild(dataDir, PORT, PORT + 1);
const clerks = await signInAll(child.url, logins);
const origin = child.url;
await child.stop();
const secrets = (await loadOrCreateKeys(dataDir)).secrets;
console.log(`seeded ${seeded.length} certificates and signed in ${clerks.length} clerks (not timed)`);

const db = new Database(databaseFile(dataDir));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const q = {
  session: db.prepare(
    `SELECT s.secret_hash, s.created_at, s.last_seen_at, u.id AS user_id, u.login, u.display_name, o.code AS org_code,
       o.name AS org_name FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.org_id
     WHERE s.id = ? AND u.disabled_at IS NULL`,
  ),
  throttles: db.prepare('SELECT key, failures, locked_until FROM throttles WHERE key IN (?, ?, ?)'),
  certificate: db.prepare(
    `SELECT c.*, s.name AS surety_name, o.first_verified_at, o.last_viewed_version FROM certificates c
       JOIN organisations s ON s.id = c.surety_id
       LEFT JOIN org_certificates o ON o.contract_number = c.contract_number AND o.org_code = ?
     WHERE c.contract_number = ?`,
  ),
  history: db.prepare(
    `SELECT log_index, version, event, target_version, issued_at, payload FROM certificate_events
     WHERE contract_number = ? ORDER BY version`,
  ),
  grant: db.prepare(
    `INSERT INTO org_certificates (org_code, contract_number, first_verified_at) VALUES (?, ?, ?)
       ON CONFLICT DO NOTHING`,
  ),
  mark: db.prepare(
    'UPDATE org_certificates SET last_viewed_at = ?, last_viewed_version = ? WHERE org_code = ? AND contract_number = ?',
  ),
  access: db.prepare(
    `INSERT INTO access_events (log_index, at, action, outcome, actor, org_code, target, net, ip, user_agent,
       request_id, detail) VALUES (?, ?, ?, 'success', ?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
  leaf: db.prepare(`INSERT INTO log_entries (log, idx, leaf) VALUES ('access', ?, ?)`),
  tile: db.prepare(
    `INSERT INTO log_tiles (log, level, idx, hashes) VALUES ('access', 0, ?, ?)
       ON CONFLICT (log, level, idx) DO UPDATE SET hashes = excluded.hashes`,
  ),
  checkpoint: db.prepare(
    `INSERT INTO log_checkpoints (log, size, root, note, created_at) VALUES ('access', ?, ?, ?, ?)`,
  ),
};

// The access log's right edge, as the server keeps it in memory (rebuilt here from the stored leaves).
const access = { size: 0, range: CompactRange.empty(), tile: [] as Uint8Array[] };
for (const row of db.prepare(`SELECT leaf FROM log_entries WHERE log = 'access' ORDER BY idx`).iterate()) {
  const h = leafHash((row as { leaf: Uint8Array }).leaf);
  access.range.append(h);
  access.tile.push(h);
  if (access.tile.length === 256) access.tile = [];
  access.size++;
}
const noteKey = generateKeyPairSync('ed25519').privateKey;

interface AccessDraft {
  action: 'certificate.verify' | 'certificate.view';
  actor: string;
  orgCode: string;
  target: string;
  ip: string;
  userAgent: string | null;
  detail: string;
}
function appendAccess(d: AccessDraft, at: number): void {
  const net = toBase64(hmacSha256(secrets.net, utf8(d.ip)));
  const leaf = accessLeaf({
    action: d.action,
    actor: d.actor,
    at,
    net,
    outcome: 'success',
    target: d.target,
  });
  const idx = access.size++;
  const h = leafHash(leaf);
  access.range.append(h);
  access.tile.push(h);
  q.access.run(
    idx,
    at,
    d.action,
    d.actor,
    d.orgCode,
    d.target,
    net,
    d.ip,
    d.userAgent,
    crypto.randomUUID(),
    d.detail,
  );
  q.leaf.run(idx, Buffer.from(leaf));
  if (access.tile.length === 256) {
    q.tile.run(Math.floor(idx / 256), Buffer.concat(access.tile));
    access.tile = [];
  }
}

interface Pending {
  orgCode: string;
  contractNumber: string;
  version: number;
  drafts: AccessDraft[];
  done: () => void;
}
let pending: Pending[] = [];
let scheduled = false;
const commit = db.transaction((batch: Pending[], now: number) => {
  for (const p of batch) {
    q.grant.run(p.orgCode, p.contractNumber, now);
    for (const d of p.drafts) appendAccess(d, now);
    q.mark.run(now, p.version, p.orgCode, p.contractNumber);
  }
  const root = access.range.root();
  const body = `floor/access\n${access.size}\n${toBase64(root)}\n`;
  const note = `${body}\n— floor ${sign(null, Buffer.from(body), noteKey).toString('base64')}\n`;
  if (access.tile.length > 0) q.tile.run(Math.floor((access.size - 1) / 256), Buffer.concat(access.tile));
  q.checkpoint.run(access.size, Buffer.from(root), note, now);
});
function flush() {
  const batch = pending;
  pending = [];
  scheduled = false;
  commit(batch, Date.now()); // durable (fsync'd) when this returns
  for (const p of batch) p.done();
}
function durably(p: Omit<Pending, 'done'>): Promise<void> {
  return new Promise((done) => {
    pending.push({ ...p, done });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (v: unknown) => String(v).replace(/[&<>"']/g, (ch) => ESC[ch]!);
/** Every leaf field of the content as a table row, nested objects as sections: the 電子証書 in full. */
function rows(obj: Record<string, unknown>, prefix = ''): string {
  let out = '';
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v))
      out += rows(v as Record<string, unknown>, `${prefix}${k}.`);
    else
      out += `<tr><th scope="row">${esc(prefix + k)}</th><td>${esc(Array.isArray(v) ? v.join('、') : v)}</td></tr>`;
  }
  return out;
}
const jst = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

const GENERIC = '<p role="alert">保証契約番号または認証キーが正しくありません。</p>';
function answer(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}) {
  res
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', vary: 'HX-Request', ...headers })
    .end(html);
}

interface SessionRow {
  secret_hash: Uint8Array;
  created_at: number;
  last_seen_at: number;
  user_id: number;
  login: string;
  display_name: string | null;
  org_code: string;
  org_name: string;
}
interface CertRow {
  auth_key_digest: Uint8Array;
  orderer_code: string;
  status: string;
  product: string;
  surety_name: string;
}

async function handle(req: IncomingMessage, res: ServerResponse, body: string) {
  const now = Date.now();
  const token = /(?:^|;\s*)densho_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? '';
  const [id, secret] = token.split('.');
  const s = id && secret ? (q.session.get(id) as SessionRow | undefined) : undefined;
  const hash = secret ? createHash('sha256').update(secret).digest() : null;
  if (!s || !hash || !timingSafeEqual(hash, s.secret_hash) || now - s.last_seen_at > 30 * 60_000) {
    answer(res, 401, '<p>ログインしてください。</p>');
    return;
  }
  const form = new URLSearchParams(body);
  const csrf = toBase64Url(createHash('sha256').update(`densho/csrf/v1\n${secret}`).digest());
  if (req.headers.origin !== origin || form.get('_csrf') !== csrf) {
    answer(res, 403, '<p>画面を開き直してください。</p>');
    return;
  }
  const number = (form.get('contractNumber') ?? '').trim().toUpperCase();
  const ip = req.socket.remoteAddress ?? 'unknown';
  const locks = q.throttles.all(
    `verify:user:${s.user_id}`,
    `verify:ip:${ip}`,
    `verify:contract:${number}`,
  ) as {
    locked_until: number;
  }[];
  if (locks.some((t) => t.locked_until > now)) {
    answer(res, 429, GENERIC);
    return;
  }
  const cert = q.certificate.get(s.org_code, number) as CertRow | undefined;
  const key = normalizeAuthKey(form.get('authKey') ?? '');
  const digest = authKeyDigest(secrets.authKey, key ?? '');
  if (!cert || !key || !timingSafeEqual(digest, cert.auth_key_digest) || cert.orderer_code !== s.org_code) {
    answer(res, 200, GENERIC);
    return;
  }
  const history = q.history.all(number) as {
    log_index: number;
    version: number;
    event: string;
    issued_at: number;
    payload: string;
  }[];
  const latest = history[history.length - 1]!;
  const content = JSON.parse(latest.payload) as Record<string, unknown>;
  const actor = `user:${s.login}`;
  const base = {
    actor,
    orgCode: s.org_code,
    target: number,
    ip,
    userAgent: req.headers['user-agent'] ?? null,
  };
  await durably({
    orgCode: s.org_code,
    contractNumber: number,
    version: latest.version,
    drafts: [
      { ...base, action: 'certificate.verify', detail: '{}' },
      { ...base, action: 'certificate.view', detail: JSON.stringify({ version: latest.version }) },
    ],
  });
  const html = `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>保証証書 ${esc(number)} — densho</title>
<link rel="stylesheet" href="/static/app.css"></head><body><header><a href="/">densho 電子保証</a>
<span>${esc(s.org_name)} ${esc(s.display_name ?? s.login)}</span></header><main id="main" tabindex="-1" autofocus>
<h1>保証証書 ${esc(number)}</h1><p>状態: ${cert.status === 'active' ? '有効' : '解約'} 商品: ${esc(cert.product)}
 保証会社: ${esc(cert.surety_name)}</p><section><h2>電子保証概要</h2><table><tbody>${rows(content)}</tbody></table></section>
<section><h2>電子保証情報(履歴情報)</h2><table><thead><tr><th>No</th><th>電子保証発行日時</th><th>対象</th><th>選択</th></tr></thead><tbody>
${history.map((h) => `<tr><td>${h.version}</td><td>${jst(h.issued_at)}</td><td>${esc(h.event)}</td><td><a href="/certificates/${esc(number)}/versions/${h.version}">表示</a></td></tr>`).join('')}
</tbody></table><p>ログ索引 ${latest.log_index}</p></section></main></body></html>`;
  answer(res, 200, html, { 'hx-push-url': `/certificates/${number}`, 'hx-retarget': 'body' });
}

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Hello');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
      console.error(err);
      res.writeHead(500).end();
    });
  });
});
await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${PORT}`;

let taken = 0;
const fresh = () => {
  const file = join(dataDir, `floor-tuples-${taken}.tsv`);
  writeTuples(
    file,
    clerks,
    seeded.slice(taken, taken + PER_RUN).map((c) => ({ number: c.contractNumber, key: c.authKey })),
  );
  taken += PER_RUN;
  return file;
};
const show = async (duration: number) => {
  const cpu0 = process.cpuUsage();
  const r = await runWrkSessionsAsync({
    url,
    origin,
    connections: CONNECTIONS,
    duration,
    tuplesFile: fresh(),
    mode: 'show',
  });
  const cpu = process.cpuUsage(cpu0);
  return { ...r, cpuMs: (cpu.user + cpu.system) / 1000 / Math.max(1, r.requests) };
};

try {
  await runWrkAsync({ url: `${url}/`, connections: CONNECTIONS, duration: 2 }); // warm-up (JIT), not counted
  await show(3);
  const hello: number[] = [];
  const figures: number[] = [];
  const p99s: number[] = [];
  const cpus: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    hello.push((await runWrkAsync({ url: `${url}/`, connections: CONNECTIONS, duration: DURATION })).rps);
    const r = await show(DURATION);
    if (r.other > 0 || r.errors > 0)
      throw new Error(`verify floor: ${r.other} unexpected answers, ${r.errors} errors`);
    figures.push(r.rps200);
    p99s.push(r.p99);
    cpus.push(r.cpuMs);
    console.log(
      `  round ${round}: hello ${hello[round]!.toFixed(0)} req/s, POST → 保証証書 ${r.rps200.toFixed(0)} req/s (p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms), server CPU ${r.cpuMs.toFixed(3)} ms/req`,
    );
  }
  const h = median(hello);
  const f = median(figures);
  const cpu = median(cpus);
  console.log('');
  console.log(`node:http hello-world, same process, same tool, same run: median ${h.toFixed(0)} req/s`);
  console.log(
    `verify floor (POST → rendered 保証証書, events durable first): median ${f.toFixed(0)} req/s, p99 ${median(p99s).toFixed(1)} ms, ratio ${(f / h).toFixed(3)}, ${cpu.toFixed(3)} ms CPU/req (2 cores ÷ that = ${(2000 / cpu).toFixed(0)}/s) — target ≥ ${TARGET} req/s, p99 ≤ 30 ms — ${verdict(f >= TARGET && median(p99s) <= 30)}`,
  );
} finally {
  server.close();
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
}
