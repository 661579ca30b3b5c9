// Load generator process (autocannon): GET a URL, or POST pre-signed JWS bodies read from a file, one per request.
// Runs in its own process so it never shares an event loop with the server it measures.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  connections: number;
  duration: number;
  bodiesFile?: string;
  /** One URL path per line; each request takes the next (cycling). */
  pathsFile?: string;
  overallRate?: number;
};
const bodies = args.bodiesFile ? readFileSync(args.bodiesFile, 'utf8').split('\n').filter(Boolean) : [];
let next = 0;
const paths = args.pathsFile ? readFileSync(args.pathsFile, 'utf8').split('\n').filter(Boolean) : [];

const result = await autocannon({
  url: args.url,
  connections: args.connections,
  duration: args.duration,
  ...(args.overallRate ? { overallRate: args.overallRate } : {}),
  ...(args.bodiesFile
    ? {
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/jose' },
            setupRequest: (req: Record<string, unknown>) => {
              if (next >= bodies.length) throw new Error('ran out of pre-signed bodies: raise the count');
              return { ...req, body: bodies[next++] };
            },
          },
        ],
      }
    : {}),
  ...(args.pathsFile
    ? {
        requests: [
          {
            method: 'GET',
            setupRequest: (req: Record<string, unknown>) => ({ ...req, path: paths[next++ % paths.length] }),
          },
        ],
      }
    : {}),
});
process.stdout.write(
  JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    used: next,
  }),
);
