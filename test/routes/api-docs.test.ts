// API docs: the OpenAPI document covers every real route and matches zod; /api/docs is CSP-clean HTML.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { parseEventPayload } from '../../src/domain/certificate.ts';
import { type NodeRuntime, openRuntime } from '../../src/platform/node/runtime.ts';
import { EXAMPLE_EVENT } from '../../src/routes/api-schemas.ts';
import { buildOpenApi, type JsonObject, type OpenApiDocument } from '../../src/services/openapi.ts';

const MOUNT_HINT = 'apiDocsRoutes must be mounted at /api in src/app.ts';

let dir: string;
let runtime: NodeRuntime;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'densho-api-docs-'));
  runtime = await openRuntime(loadConfig({ DENSHO_DATA_DIR: dir }));
});
afterAll(async () => {
  await runtime?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fetchDoc(): Promise<OpenApiDocument> {
  const res = await runtime.app.request('/api/openapi.json');
  expect(res.status, MOUNT_HINT).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control')).toBe('public, max-age=300');
  return (await res.json()) as OpenApiDocument;
}

/** Hono pattern → regex over concrete paths: `:param` is one segment, `*` is anything. */
function honoPattern(path: string): RegExp {
  const body = path
    .split(/(:[A-Za-z0-9_]+(?:\{[^}]*\})?|\*)/)
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`);
}

/** An OpenAPI path with a sample value in every `{param}`, so a hono pattern can be tried against it. */
function samplePath(path: string): string {
  return path.replace(/\{[^}]+\}/g, 'x001');
}

const PUBLIC_PREFIXES = ['/api/v1/', '/log/certs/', '/.well-known/'];

function appRoutes(): { method: string; path: string }[] {
  const seen = new Set<string>();
  const out: { method: string; path: string }[] = [];
  for (const r of runtime.app.routes) {
    // Middleware (`app.use`) registers as ALL; only real endpoints belong in the document.
    if (r.method === 'ALL' || !PUBLIC_PREFIXES.some((p) => r.path.startsWith(p))) continue;
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ method: r.method, path: r.path });
  }
  return out;
}

function docOperations(doc: OpenApiDocument): { method: string; path: string }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => ({ method: method.toUpperCase(), path })),
  );
}

/** Every `$ref` in the document points at something that exists. */
function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) collectRefs(n, out);
  else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

/**
 * A small JSON Schema 2020-12 checker for the keywords zod emits. Enough to compare the published EventPayload
 * with the zod schema on examples; a real client would use a full validator.
 */
function validates(schema: JsonObject, value: unknown): boolean {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const typeOk = (t: string): boolean => {
    switch (t) {
      case 'null':
        return value === null;
      case 'string':
        return typeof value === 'string';
      case 'integer':
        return Number.isInteger(value);
      case 'number':
        return typeof value === 'number';
      case 'boolean':
        return typeof value === 'boolean';
      case 'array':
        return Array.isArray(value);
      case 'object':
        return isObj(value);
      default:
        return false;
    }
  };
  const s = schema;
  if (typeof s.type === 'string' && !typeOk(s.type)) return false;
  if (Array.isArray(s.type) && !s.type.some((t) => typeOk(String(t)))) return false;
  if ('const' in s && s.const !== value) return false;
  if (Array.isArray(s.enum) && !s.enum.includes(value)) return false;
  if (Array.isArray(s.anyOf) && !s.anyOf.some((a) => validates(a as JsonObject, value))) return false;
  if (Array.isArray(s.oneOf) && s.oneOf.filter((a) => validates(a as JsonObject, value)).length !== 1)
    return false;
  if (typeof value === 'string') {
    const len = [...value].length;
    if (typeof s.minLength === 'number' && len < s.minLength) return false;
    if (typeof s.maxLength === 'number' && len > s.maxLength) return false;
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) return false;
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) return false;
    if (typeof s.maximum === 'number' && value > s.maximum) return false;
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) return false;
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) return false;
    if (isObj(s.items) && !value.every((v) => validates(s.items as JsonObject, v))) return false;
  }
  if (isObj(value)) {
    const props = isObj(s.properties) ? s.properties : {};
    if (Array.isArray(s.required) && !s.required.every((k) => String(k) in value)) return false;
    for (const [k, v] of Object.entries(value)) {
      if (k in props) {
        if (!validates(props[k] as JsonObject, v)) return false;
      } else if (s.additionalProperties === false) return false;
    }
  }
  return true;
}

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document with info, servers, paths and components', async () => {
    const doc = await fetchDoc();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    expect(doc.servers).toEqual([{ url: runtime.config.origin }]);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    for (const name of [
      'EventPayload',
      'Receipt',
      'Problem',
      'CertificateSummary',
      'OrdererList',
      'InclusionProof',
      'ConsistencyProof',
      'CheckpointList',
      'Jwks',
    ]) {
      expect(doc.components.schemas[name], name).toBeTypeOf('object');
    }
    for (const op of docOperations(doc)) {
      const o = doc.paths[op.path]?.[op.method.toLowerCase()];
      expect(o?.responses, `${op.method} ${op.path} has responses`).toBeTypeOf('object');
    }
    for (const ref of collectRefs(doc)) {
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], doc);
      expect(target, `${ref} resolves`).toBeTypeOf('object');
    }
  });

  it('documents every public route registered on the real app, and nothing that is not there', async () => {
    const doc = await fetchDoc();
    const documented = docOperations(doc);
    const routes = appRoutes();
    expect(routes.length).toBeGreaterThan(5);
    for (const r of routes) {
      const re = honoPattern(r.path);
      const hit = documented.some((d) => d.method === r.method && re.test(samplePath(d.path)));
      expect(hit, `${r.method} ${r.path} is in the OpenAPI document`).toBe(true);
    }
    for (const d of documented) {
      const hit = routes.some((r) => r.method === d.method && honoPattern(r.path).test(samplePath(d.path)));
      expect(hit, `${d.method} ${d.path} is served by the app`).toBe(true);
    }
  });

  it('describes the push contract of api.md', async () => {
    const doc = await fetchDoc();
    const push = doc.paths['/api/v1/certificates']?.post as JsonObject & {
      requestBody: { content: Record<string, { schema: JsonObject }> };
      responses: Record<
        string,
        { content?: Record<string, { schema: { $ref: string } }>; headers?: JsonObject }
      >;
    };
    expect(Object.keys(push.requestBody.content)).toEqual(['application/jose']);
    expect(push.requestBody.content['application/jose']?.schema['x-densho-jws-payload']).toEqual({
      $ref: '#/components/schemas/EventPayload',
    });
    for (const status of ['201', '200']) {
      expect(push.responses[status]?.content?.['application/json']?.schema.$ref).toBe(
        '#/components/schemas/Receipt',
      );
    }
    for (const status of ['400', '401', '409', '413', '415', '422', '503']) {
      expect(push.responses[status]?.content?.['application/problem+json']?.schema.$ref, status).toBe(
        '#/components/schemas/Problem',
      );
    }
    expect(push.responses['503']?.headers).toHaveProperty('Retry-After');
    const read = doc.paths['/api/v1/certificates/{contractNumber}']?.get;
    expect(read?.security).toEqual([{ suretyBearer: [] }]);
    expect(doc.components.securitySchemes.suretyBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(String(doc.components.securitySchemes.suretyBearer?.description)).toContain(runtime.config.origin);
  });

  it('publishes an EventPayload schema that accepts and rejects like the zod schema', async () => {
    const doc = await fetchDoc();
    const schema = doc.components.schemas.EventPayload as JsonObject;
    const base = { ...EXAMPLE_EVENT } as Record<string, unknown>;
    const cases: { name: string; value: unknown; ok: boolean }[] = [
      { name: 'the documented example', value: base, ok: true },
      {
        name: 'a termination',
        value: {
          eventId: 'ev-9',
          event: 'termination',
          contractNumber: '31074-00001M',
          terminationDate: '2026-01-31',
        },
        ok: true,
      },
      {
        name: 'a change_cancel with a target',
        value: { eventId: 'ev-10', event: 'change_cancel', contractNumber: '31074-00001M', targetVersion: 2 },
        ok: true,
      },
      { name: 'a correction without targetVersion', value: { ...base, event: 'correction' }, ok: false },
      { name: 'an unknown key', value: { ...base, colour: 'blue' }, ok: false },
      { name: 'an unknown event kind', value: { ...base, event: 'delete' }, ok: false },
      { name: 'an amount as a string', value: { ...base, contractAmount: '50000000' }, ok: false },
      { name: 'a lower-case contract number', value: { ...base, contractNumber: '31074-00001m' }, ok: false },
      { name: 'a missing orderer', value: { ...base, orderer: undefined }, ok: false },
      { name: 'an empty JV member list', value: { ...base, jv: { name: 'A JV', members: [] } }, ok: false },
    ];
    for (const c of cases) {
      // JSON round trip: `undefined` keys disappear, as they would on the wire.
      const wire = JSON.parse(JSON.stringify(c.value)) as unknown;
      expect(parseEventPayload(wire).ok, `zod: ${c.name}`).toBe(c.ok);
      expect(validates(schema, wire), `JSON Schema: ${c.name}`).toBe(c.ok);
    }
    // Cross-field rules are zod-only; the document says so rather than pretending.
    expect(String(schema.description)).toContain('guaranteeAmount ≤ contractAmount');
  });

  it('is built once per origin', () => {
    expect(buildOpenApi('https://a.example')).toBe(buildOpenApi('https://a.example'));
    expect(buildOpenApi('https://b.example').servers).toEqual([{ url: 'https://b.example' }]);
  });
});

describe('GET /api/docs', () => {
  it('is a Japanese HTML page that mentions every documented path and needs no inline script or style', async () => {
    const res = await runtime.app.request('/api/docs');
    expect(res.status, MOUNT_HINT).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toMatch(/<html lang="ja">/);
    expect(html).toMatch(/<title>[^<]+<\/title>/);
    for (const landmark of ['<header', '<main', '<nav']) expect(html).toContain(landmark);
    const doc = buildOpenApi(runtime.config.origin);
    for (const path of Object.keys(doc.paths)) expect(html, path).toContain(path);
    expect(html).toContain('/api/openapi.json');
    expect(html).toContain('densho push');
    expect(html).toContain('curl');
    // CSP: scripts and styles only from /static.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).toContain('href="/static/app.css"');
    // Printable like every other page (the issue: "Print stylesheet for every page").
    expect(html).toContain('<link rel="stylesheet" href="/static/print.css" media="print"/>');
    // Every in-page link lands on an element that exists.
    for (const m of html.matchAll(/href="#([^"]+)"/g)) expect(html, `#${m[1]}`).toContain(`id="${m[1]}"`);
    // The EventPayload table alone says which events a row applies to; other field tables have no such column.
    const tables = [...html.matchAll(/<table>[\s\S]*?<\/table>/g)].map((m) => m[0]);
    const eventTable = tables.find((t) =>
      t.includes('<caption>EventPayload の項目（JWS の payload）</caption>'),
    );
    expect(eventTable).toBeDefined();
    expect(eventTable).toContain('<th scope="col">対象イベント</th>');
    expect(eventTable).toMatch(
      /<code>contractNumber<\/code><\/th><td><code>[^<]+<\/code><\/td><td>必須<\/td><td>すべて<\/td>/,
    );
    expect(eventTable).toMatch(/<code>targetVersion<\/code>[\s\S]*?<td>[a-z_, ]*correction[a-z_, ]*<\/td>/);
    const receiptTable = tables.find((t) => t.includes('<caption>受領証の項目</caption>'));
    expect(receiptTable).toBeDefined();
    expect(receiptTable).not.toContain('対象イベント');
  });
});
