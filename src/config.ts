// Configuration: one zod schema for the environment; every entry (Node, Workers, CLI) validates through it.
import { z } from 'zod';

const port = z.coerce
  .number({ error: 'PORT must be a whole number between 1 and 65535, e.g. PORT=8787' })
  .int('PORT must be a whole number between 1 and 65535, e.g. PORT=8787')
  .min(1, 'PORT must be a whole number between 1 and 65535, e.g. PORT=8787')
  .max(65535, 'PORT must be a whole number between 1 and 65535, e.g. PORT=8787');

const host = z
  .string()
  .min(1, 'HOST must be an address to listen on, e.g. HOST=127.0.0.1 or HOST=0.0.0.0')
  .regex(/^[A-Za-z0-9.:[\]-]+$/, 'HOST must be an address to listen on, e.g. HOST=127.0.0.1 or HOST=0.0.0.0');

const origin = z.string().transform((s, ctx) => {
  try {
    const u = new URL(s);
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.pathname !== '/' || u.search || u.hash) {
      throw new Error('shape');
    }
    return u.origin;
  } catch {
    ctx.addIssue({
      code: 'custom',
      message:
        'DENSHO_ORIGIN must be the public origin only (scheme, host, optional port), e.g. DENSHO_ORIGIN=https://densho.example.jp',
    });
    return z.NEVER;
  }
});

/** Days the clear IP address and user agent of an access event stay in access_events (the leaves keep the HMAC). */
export const DEFAULT_ACCESS_RETENTION_DAYS = 180;
const RETENTION_FIX =
  'DENSHO_ACCESS_RETENTION_DAYS must be a whole number of days from 1 to 36500, e.g. DENSHO_ACCESS_RETENTION_DAYS=180';

const WORKERS_FIX =
  'DENSHO_HTTP_WORKERS must be a whole number from 0 (one process serves HTTP) to 32, e.g. DENSHO_HTTP_WORKERS=2';

const EnvSchema = z.object({
  HOST: host.default('127.0.0.1'),
  PORT: port.default(8787),
  DENSHO_DATA_DIR: z
    .string()
    .min(1, 'DENSHO_DATA_DIR must name a directory for the database and keys, e.g. DENSHO_DATA_DIR=./data')
    .default('./data'),
  DENSHO_ORIGIN: origin.optional(),
  DENSHO_ACCESS_RETENTION_DAYS: z.coerce
    .number({ error: RETENTION_FIX })
    .int(RETENTION_FIX)
    .min(1, RETENTION_FIX)
    .max(36_500, RETENTION_FIX)
    .default(DEFAULT_ACCESS_RETENTION_DAYS),
  DENSHO_HTTP_WORKERS: z.coerce
    .number({ error: WORKERS_FIX })
    .int(WORKERS_FIX)
    .min(0, WORKERS_FIX)
    .max(32, WORKERS_FIX)
    .default(0),
});

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** Public origin: log origins, JWT `aud`, links and QR codes. */
  origin: string;
  /** `densho retention apply` clears the clear IP and user agent of access events older than this many days. */
  accessRetentionDays: number;
  /**
   * Node only: HTTP worker processes beside the one that owns the logs (0: that process serves HTTP itself). On a
   * machine with more cores than one event loop can use, workers spread the web and API work over them while every
   * append still goes through the single sequencer (platform/node/cluster.ts).
   */
  httpWorkers: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validate the environment; throws ConfigError whose message names each variable and its fix. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const picked = {
    HOST: emptyToUndefined(env.HOST),
    PORT: emptyToUndefined(env.PORT),
    DENSHO_DATA_DIR: emptyToUndefined(env.DENSHO_DATA_DIR),
    DENSHO_ORIGIN: emptyToUndefined(env.DENSHO_ORIGIN),
    DENSHO_ACCESS_RETENTION_DAYS: emptyToUndefined(env.DENSHO_ACCESS_RETENTION_DAYS),
    DENSHO_HTTP_WORKERS: emptyToUndefined(env.DENSHO_HTTP_WORKERS),
  };
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0] ?? 'environment')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const v = parsed.data;
  const hostForUrl = v.HOST.includes(':') && !v.HOST.startsWith('[') ? `[${v.HOST}]` : v.HOST;
  return {
    host: v.HOST,
    port: v.PORT,
    dataDir: v.DENSHO_DATA_DIR,
    origin: v.DENSHO_ORIGIN ?? `http://${hostForUrl}:${v.PORT}`,
    accessRetentionDays: v.DENSHO_ACCESS_RETENTION_DAYS,
    httpWorkers: v.DENSHO_HTTP_WORKERS,
  };
}

/** The log origin for a log name: "<host>/log/certs" (C2SP origins carry no scheme). */
export function logOrigin(publicOrigin: string, log: 'certs' | 'access'): string {
  const u = new URL(publicOrigin);
  return log === 'certs' ? `${u.host}/log/certs` : `${u.host}/audit/log/access`;
}

function emptyToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}
