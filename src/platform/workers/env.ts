// The Worker's bindings and variables as the code sees them (wrangler.toml declares the same names). Secrets are
// read by name through platform/secret-names.ts.
import type { SecretName } from '../secret-names.ts';

export type WorkerEnv = {
  /** The D1 database (wrangler.toml [[d1_databases]] binding). */
  DB: D1Database;
  /** The single writer of both logs (wrangler.toml [[durable_objects.bindings]]). */
  SEQUENCER: DurableObjectNamespace<import('./sequencer-do.ts').LogSequencer>;
  /** static/ as Workers static assets, fetched by the worker so /static/* keeps the app's headers. */
  ASSETS: Fetcher;
  /** Public origin (scheme, host, port): log origins, JWT `aud`, links. Fixed in a log when it is created. */
  DENSHO_ORIGIN?: string;
} & Partial<Record<SecretName, string>>;
