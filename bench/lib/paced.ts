// Open-loop paced load (its own process): POST pre-signed bodies — or, with `getsFile`, GET signed-in pages — at
// a fixed rate, evenly spaced, and report latency percentiles. autocannon's overallRate releases requests in
// bursts, which measures its bursts, not the server; this sends one request every 1/rate seconds regardless of
// answers.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  rate: number;
  duration: number;
  bodiesFile?: string;
  /** One GET a line: `path <TAB> cookie`; each request takes the next (cycling). 200 is the expected answer. */
  getsFile?: string;
};
const lines = (file: string | undefined) =>
  file ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
const bodies = lines(args.bodiesFile);
const gets = lines(args.getsFile).map((l) => l.split('\t') as [string, string]);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const target = new URL(args.url);
const latencies: number[] = [];
let statusErrors = 0;
let sent = 0;
const total = Math.floor(args.rate * args.duration);
const start = performance.now();

await new Promise<void>((resolve) => {
  let done = 0;
  const fire = () => {
    const n = sent++;
    const get = gets.length > 0 ? gets[n % gets.length]! : null;
    const body = get ? '' : bodies[n]!;
    const t0 = performance.now();
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: get ? get[0] : target.pathname,
        method: get ? 'GET' : 'POST',
        agent,
        headers: get
          ? { cookie: get[1], accept: 'text/html' }
          : { 'content-type': 'application/jose', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          if (res.statusCode !== (get ? 200 : 201)) statusErrors++;
          if (++done === total) resolve();
        });
      },
    );
    req.end(body);
  };
  const tick = () => {
    // Send every request whose scheduled time has come (keeps the rate exact despite timer jitter).
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * args.rate) + 1);
    while (sent < due) fire();
    if (sent < total) setTimeout(tick, 1);
  };
  tick();
});
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  Number(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(2));
process.stdout.write(
  JSON.stringify({
    sent: total,
    statusErrors,
    p50: pct(50),
    p90: pct(90),
    p95: pct(95),
    p99: pct(99),
    max: pct(100),
  }),
);
agent.destroy();
