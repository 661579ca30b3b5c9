// Workers adapter: Kysely over D1 (kysely-d1) and the AtomicWriter port as ONE D1 batch(). D1 differs from
// SQLite-on-disk in three ways the core must never see: BLOB columns come back as number[] (we hand back
// Uint8Array, as better-sqlite3 does), a statement binds at most 100 parameters (we split multi-row INSERTs),
// and there are no interactive transactions (batch() is the only atomic unit; kysely-d1 throws on transaction()).
import {
  type CompiledQuery,
  type InsertQueryNode,
  Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  SqliteQueryCompiler,
  type UnknownRow,
  type ValuesNode,
} from 'kysely';
import { D1Dialect } from 'kysely-d1';
import type { Database } from '../../repos/database.ts';
import type { AtomicWriter } from '../ports.ts';

/** D1's limit on bound parameters per statement (the same locally in Miniflare and in production). */
export const D1_MAX_PARAMETERS = 100;

/**
 * D1 returns BLOB values as arrays of byte numbers. Every column of our schema that can hold an array is a BLOB
 * (JSON is stored as TEXT), so any array value in a result row is one: turn it into the Uint8Array the repos expect.
 */
class D1BlobPlugin implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    for (const row of args.result.rows) {
      for (const key in row) {
        const v = row[key];
        if (Array.isArray(v)) row[key] = Uint8Array.from(v as number[]);
      }
    }
    return args.result;
  }
}

export function d1Kysely(d1: D1Database): Kysely<Database> {
  return new Kysely<Database>({ dialect: new D1Dialect({ database: d1 }), plugins: [new D1BlobPlugin()] });
}

const compiler = new SqliteQueryCompiler();

/**
 * A compiled statement as D1 can bind it: a multi-row INSERT with more than 100 parameters becomes several
 * INSERTs of fewer rows (same columns, same ON CONFLICT). Inside one batch() they stay one atomic unit, so the
 * split changes nothing a reader can observe. Anything else over the limit is a bug in the caller: say which.
 */
export function splitForD1(q: CompiledQuery): CompiledQuery[] {
  if (q.parameters.length <= D1_MAX_PARAMETERS) return [q];
  const node = q.query as InsertQueryNode;
  const values = node.kind === 'InsertQueryNode' ? (node.values as ValuesNode | undefined) : undefined;
  if (values?.kind !== 'ValuesNode' || values.values.length < 2) {
    throw new Error(
      `a statement binds ${q.parameters.length} parameters but D1 allows ${D1_MAX_PARAMETERS}: ` +
        `split the query at its source (${q.sql.slice(0, 80)}…)`,
    );
  }
  const rows = values.values;
  const perRow = Math.ceil(q.parameters.length / rows.length);
  const step = Math.max(1, Math.floor(D1_MAX_PARAMETERS / perRow));
  const out: CompiledQuery[] = [];
  for (let i = 0; i < rows.length; i += step) {
    const part = Object.freeze({
      ...node,
      values: Object.freeze({ ...values, values: Object.freeze(rows.slice(i, i + step)) }),
    }) as InsertQueryNode;
    const compiled = compiler.compileQuery(part, q.queryId);
    if (compiled.parameters.length > D1_MAX_PARAMETERS) {
      throw new Error(`cannot split ${q.sql.slice(0, 80)}… under D1's ${D1_MAX_PARAMETERS}-parameter limit`);
    }
    out.push(compiled);
  }
  return out;
}

/**
 * AtomicWriter on D1: every statement of the unit in ONE batch(), which D1 runs as a single SQLite transaction
 * (all or nothing) and acknowledges only once it is durable. A failing statement rolls the whole batch back and
 * the promise rejects — exactly the port's contract.
 */
export class D1AtomicWriter implements AtomicWriter {
  constructor(private readonly d1: D1Database) {}

  async run(queries: readonly CompiledQuery[]): Promise<void> {
    const statements = queries
      .flatMap(splitForD1)
      .map((q) => this.d1.prepare(q.sql).bind(...(q.parameters as unknown[])));
    if (statements.length === 0) return;
    await this.d1.batch(statements);
  }
}
