// API docs: /api/openapi.json and a Japanese reference page at /api/docs, both built from the zod schemas.
import { Hono } from 'hono';
import { raw } from 'hono/html';
import type { Child, FC } from 'hono/jsx';
import { renderDocument } from '../../views/render.ts';
import type { AppDeps } from '../app.ts';
import { EVENT_KINDS, EVENT_LABELS, PRODUCTS } from '../domain/certificate.ts';
import { buildOpenApi, type JsonObject, type OpenApiDocument } from '../services/openapi.ts';
import { EXAMPLE_EVENT, PROBLEM_TYPES } from './api-schemas.ts';

/** The document and the page change only on deploy; 5 minutes keeps them fresh without refetching per view. */
const CACHE = 'public, max-age=300';

export function apiDocsRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const origin = deps.config.origin;

  app.get('/openapi.json', (c) => {
    c.header('cache-control', CACHE);
    return c.json(buildOpenApi(origin));
  });

  app.get('/docs', async (c) => {
    c.header('cache-control', CACHE);
    return c.html(await renderDocsPage(origin));
  });

  return app;
}

const pages = new Map<string, string>();

/** The page depends only on the origin, so it is rendered once per origin and reused. */
export async function renderDocsPage(origin: string): Promise<string> {
  let html = pages.get(origin);
  if (html === undefined) {
    html = renderDocument(<DocsPage doc={buildOpenApi(origin)} origin={origin} />);
    pages.set(origin, html);
  }
  return html;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema → table rows (only the subset zod emits: properties, required, items, anyOf/oneOf, checks)
// ---------------------------------------------------------------------------------------------

export interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  description: string;
  constraints: string[];
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function alternatives(node: JsonObject): JsonObject[] {
  const list = node.anyOf ?? node.oneOf;
  return Array.isArray(list) ? list.filter(isObject) : [];
}

/** The part of a (possibly nullable) schema that has object properties, if any. */
function objectPart(node: JsonObject): JsonObject | undefined {
  if (isObject(node.properties)) return node;
  return alternatives(node).find((a) => isObject(a.properties));
}

function arrayItems(node: JsonObject): JsonObject | undefined {
  if (isObject(node.items)) return node.items;
  for (const a of alternatives(node)) if (isObject(a.items)) return a.items;
  return undefined;
}

export function typeLabel(node: JsonObject): string {
  const alts = alternatives(node);
  if (alts.length > 0) return alts.map(typeLabel).join(' | ');
  const t = node.type;
  if (Array.isArray(t)) return t.map(String).join(' | ');
  if (t === 'array') return `${isObject(node.items) ? typeLabel(node.items) : 'any'}[]`;
  if (typeof t === 'string') return t;
  return 'any';
}

function describe(node: JsonObject): string {
  if (typeof node.description === 'string') return node.description;
  for (const a of alternatives(node)) if (typeof a.description === 'string') return a.description;
  return '';
}

const num = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US') : String(v));

function constraintsOf(node: JsonObject): string[] {
  const out: string[] = [];
  for (const n of [node, ...alternatives(node)]) {
    if (n.const !== undefined) out.push(`固定値 ${JSON.stringify(n.const)}`);
    if (Array.isArray(n.enum)) out.push(`次のいずれか: ${n.enum.map(String).join(', ')}`);
    if (typeof n.format === 'string') out.push(`形式 ${n.format}`);
    // A format already says what the (long, generated) pattern says.
    if (typeof n.pattern === 'string' && typeof n.format !== 'string') out.push(`パターン ${n.pattern}`);
    if (typeof n.minLength === 'number') out.push(`${n.minLength}文字以上`);
    if (typeof n.maxLength === 'number') out.push(`${n.maxLength}文字以内`);
    if (typeof n.minimum === 'number') out.push(`${num(n.minimum)} 以上`);
    // z.int() always emits MAX_SAFE_INTEGER; it says nothing a reader needs.
    if (typeof n.maximum === 'number' && n.maximum !== Number.MAX_SAFE_INTEGER)
      out.push(`${num(n.maximum)} 以下`);
    if (typeof n.minItems === 'number') out.push(`${n.minItems}件以上`);
    if (typeof n.maxItems === 'number') out.push(`${n.maxItems}件以内`);
    if (n.additionalProperties === false) out.push('定義されていない項目は不可');
  }
  if (Array.isArray(node.examples) && node.examples.length > 0) {
    out.push(`例 ${node.examples.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  return out;
}

/** Every field of an object schema, depth first, with dotted paths (`[]` marks array items). */
export function fieldRows(schema: JsonObject, prefix = ''): FieldRow[] {
  const out: FieldRow[] = [];
  const obj = objectPart(schema);
  if (!obj || !isObject(obj.properties)) return out;
  const required = new Set(Array.isArray(obj.required) ? obj.required.map(String) : []);
  for (const [key, child] of Object.entries(obj.properties)) {
    if (!isObject(child)) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push({
      path,
      type: typeLabel(child),
      required: required.has(key),
      description: describe(child),
      constraints: constraintsOf(child),
    });
    out.push(...fieldRows(child, path));
    const items = arrayItems(child);
    if (items) out.push(...fieldRows(items, `${path}[]`));
  }
  return out;
}

export interface EventFieldRow extends FieldRow {
  /** The event kinds this row applies to; all kinds when the field means the same in every event. */
  events: string[];
}

/**
 * The EventPayload is a union on `event`; one table reads better than five. Rows that are identical in every
 * variant are merged; a field that differs by event (targetVersion) gets one row per distinct meaning.
 */
export function eventFieldRows(schema: JsonObject): EventFieldRow[] {
  const groups = new Map<string, Map<string, EventFieldRow>>();
  for (const variant of alternatives(schema)) {
    const props = isObject(variant.properties) ? variant.properties : {};
    const eventNode = isObject(props.event) ? props.event : {};
    const kind = String(eventNode.const ?? '?');
    for (const row of fieldRows(variant)) {
      const bySignature = groups.get(row.path) ?? new Map<string, EventFieldRow>();
      groups.set(row.path, bySignature);
      // `event` differs only by its constant: show it once with every kind listed instead.
      const merged =
        row.path === 'event' ? { ...row, constraints: [`次のいずれか: ${EVENT_KINDS.join(', ')}`] } : row;
      const signature = JSON.stringify([
        merged.type,
        merged.required,
        merged.description,
        merged.constraints,
      ]);
      const existing = bySignature.get(signature);
      if (existing) existing.events.push(kind);
      else bySignature.set(signature, { ...merged, events: [kind] });
    }
  }
  return [...groups.values()].flatMap((m) => [...m.values()]);
}

// ---------------------------------------------------------------------------------------------
// Page pieces
// ---------------------------------------------------------------------------------------------

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  method: string;
  path: string;
  op: JsonObject;
}

function operations(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) out.push({ method: method.toUpperCase(), path, op });
    }
  }
  return out;
}

function operationAnchor(o: Operation): string {
  return `op-${typeof o.op.operationId === 'string' ? o.op.operationId : o.path.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** `#/components/schemas/Receipt` → the section on this page that explains it. */
function schemaAnchor(ref: string): { name: string; href: string } {
  const name = ref.slice(ref.lastIndexOf('/') + 1);
  if (name === 'EventPayload') return { name, href: '#event-payload' };
  if (name === 'Receipt') return { name, href: '#receipt' };
  return { name, href: `#schema-${name}` };
}

function authText(op: JsonObject): string {
  const security = Array.isArray(op.security) ? op.security : [];
  if (security.some((s) => isObject(s) && 'suretyBearer' in s)) {
    return 'Bearer JWT（保証会社の登録済み鍵で署名。iss・aud・exp・jti は「認証」を参照）';
  }
  const body = isObject(op.requestBody) && isObject(op.requestBody.content) ? op.requestBody.content : {};
  if ('application/jose' in body)
    return '本文の JWS 署名（保証会社の登録済み鍵）。Authorization ヘッダーは不要';
  return 'なし（公開）';
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

const SchemaLink: FC<{ schema: unknown }> = ({ schema }) => {
  if (isObject(schema) && typeof schema.$ref === 'string') {
    const a = schemaAnchor(schema.$ref);
    return <a href={a.href}>{a.name}</a>;
  }
  if (isObject(schema)) return <code>{typeLabel(schema)}</code>;
  return null;
};

/** A schema's fields; with `events`, a column saying which event kinds each row applies to (the EventPayload). */
const FieldTable: FC<{ caption: string; rows: (FieldRow & { events?: string[] })[]; events?: boolean }> = ({
  caption,
  rows,
  events,
}) => (
  <table>
    <caption>{caption}</caption>
    <thead>
      <tr>
        <th scope="col">項目</th>
        <th scope="col">型</th>
        <th scope="col">必須</th>
        {events ? <th scope="col">対象イベント</th> : null}
        <th scope="col">説明</th>
        <th scope="col">制約</th>
      </tr>
    </thead>
    <tbody>
      {rows.map((r) => (
        <tr>
          <th scope="row">
            <code>{r.path}</code>
          </th>
          <td>
            <code>{r.type}</code>
          </td>
          <td>{r.required ? '必須' : '任意'}</td>
          {events ? (
            <td>
              {(r.events ?? EVENT_KINDS).length === EVENT_KINDS.length ? 'すべて' : r.events?.join(', ')}
            </td>
          ) : null}
          <td>{r.description}</td>
          <td>
            <Constraints items={r.constraints} />
          </td>
        </tr>
      ))}
    </tbody>
  </table>
);

const Constraints: FC<{ items: string[] }> = ({ items }) =>
  items.length === 0 ? (
    <span>—</span>
  ) : (
    <ul>
      {items.map((c) => (
        <li>{c}</li>
      ))}
    </ul>
  );

const Endpoint: FC<{ o: Operation }> = ({ o }) => {
  const params = Array.isArray(o.op.parameters) ? o.op.parameters.filter(isObject) : [];
  const body = isObject(o.op.requestBody) ? o.op.requestBody : undefined;
  const bodyContent = body && isObject(body.content) ? body.content : {};
  const responses = isObject(o.op.responses) ? o.op.responses : {};
  return (
    <section id={operationAnchor(o)} aria-labelledby={`${operationAnchor(o)}-h`}>
      <h3 id={`${operationAnchor(o)}-h`}>
        <code>
          {o.method} {o.path}
        </code>
      </h3>
      <p>{str(o.op.summary)}</p>
      {str(o.op.description)
        .split('\n\n')
        .map((p) => (
          <p>{p}</p>
        ))}
      <dl>
        <dt>認証</dt>
        <dd>{authText(o.op)}</dd>
        <dt>リクエスト</dt>
        <dd>
          {params.length === 0 && !body ? <p>パラメータ・本文なし</p> : null}
          {params.length > 0 ? (
            <table>
              <caption>パラメータ</caption>
              <thead>
                <tr>
                  <th scope="col">名前</th>
                  <th scope="col">場所</th>
                  <th scope="col">必須</th>
                  <th scope="col">型・制約</th>
                  <th scope="col">説明</th>
                </tr>
              </thead>
              <tbody>
                {params.map((p) => {
                  const schema = isObject(p.schema) ? p.schema : {};
                  return (
                    <tr>
                      <th scope="row">
                        <code>{str(p.name)}</code>
                      </th>
                      <td>{p.in === 'path' ? 'パス' : p.in === 'query' ? 'クエリ' : str(p.in)}</td>
                      <td>{p.required === true ? '必須' : '任意'}</td>
                      <td>
                        <code>{typeLabel(schema)}</code>
                        {constraintsOf(schema).length > 0 ? (
                          <Constraints items={constraintsOf(schema)} />
                        ) : null}
                      </td>
                      <td>{str(p.description)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ) : null}
          {body ? (
            <>
              {Object.entries(bodyContent).map(([mediaType, media]) => {
                const schema = isObject(media) && isObject(media.schema) ? media.schema : {};
                return (
                  <p>
                    本文 <code>Content-Type: {mediaType}</code>
                    {isObject(schema['x-densho-jws-payload']) ? (
                      <>
                        。payload は <SchemaLink schema={schema['x-densho-jws-payload']} />
                        、protected header は <SchemaLink schema={schema['x-densho-jws-protected-header']} />
                      </>
                    ) : (
                      <>
                        。スキーマ <SchemaLink schema={schema} />
                      </>
                    )}
                    。
                  </p>
                );
              })}
              <p>{str(body.description)}</p>
            </>
          ) : null}
        </dd>
        <dt>レスポンス</dt>
        <dd>
          <table>
            <caption>
              {o.method} {o.path} のレスポンス
            </caption>
            <thead>
              <tr>
                <th scope="col">ステータス</th>
                <th scope="col">Content-Type</th>
                <th scope="col">本文</th>
                <th scope="col">意味</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(responses).map(([status, res]) => {
                const r = isObject(res) ? res : {};
                const content = isObject(r.content) ? r.content : {};
                const headers = isObject(r.headers) ? Object.keys(r.headers) : [];
                return (
                  <tr>
                    <th scope="row">{status}</th>
                    <td>
                      {Object.keys(content).map((m) => (
                        <code>{m}</code>
                      ))}
                    </td>
                    <td>
                      {Object.values(content).map((m) => (
                        <SchemaLink schema={isObject(m) ? m.schema : undefined} />
                      ))}
                    </td>
                    <td>
                      {str(r.description)}
                      {headers.length > 0 ? <> （ヘッダー: {headers.join(', ')}）</> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </dd>
      </dl>
    </section>
  );
};

const Pre: FC<{ label: string; children?: Child }> = ({ label, children }) => (
  <figure>
    <figcaption>{label}</figcaption>
    <pre>
      <code>{children}</code>
    </pre>
  </figure>
);

const TOC: { href: string; label: string }[] = [
  { href: '#overview', label: '概要と共通の決まり' },
  { href: '#auth', label: '認証' },
  { href: '#endpoints', label: 'エンドポイント' },
  { href: '#event-payload', label: 'イベントのペイロード' },
  { href: '#receipt', label: '受領証' },
  { href: '#verify', label: '受領証の検証方法' },
  { href: '#examples', label: '例（densho push と curl）' },
  { href: '#errors', label: 'エラー' },
  { href: '#schemas', label: 'その他のスキーマ' },
];

/** Component schemas that get their own section elsewhere on the page. */
const SCHEMAS_WITH_SECTIONS = new Set(['EventPayload', 'Receipt']);

const DocsPage: FC<{ doc: OpenApiDocument; origin: string }> = ({ doc, origin }) => {
  const ops = operations(doc);
  const schemas = doc.components.schemas;
  const eventPayload = schemas.EventPayload ?? {};
  const receipt = schemas.Receipt ?? {};
  const receiptPayload = schemas.ReceiptJwsPayload ?? {};
  const host = new URL(origin).host;
  const exampleJson = JSON.stringify(EXAMPLE_EVENT, null, 2);
  return (
    <html lang="ja">
      {raw(
        // A string, as documentHead in views/layout.tsx (the JSX runtime does not write <head>).
        '<head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>' +
          '<title>API リファレンス — 電証 densho</title>' +
          '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"/>' +
          '<link rel="stylesheet" href="/static/app.css"/>' +
          // Like every page of the site: printable without colours or navigation (static/print.css).
          '<link rel="stylesheet" href="/static/print.css" media="print"/></head>',
      )}
      <body>
        <header>
          <p>電証 densho</p>
          <h1>API リファレンス</h1>
          <p>
            保証会社が電子保証を登録し、誰もがその到着時刻を検証するための API です。機械可読な定義は{' '}
            <a href="/api/openapi.json">
              <code>/api/openapi.json</code>
            </a>
            （OpenAPI {doc.openapi}）にあり、このページと同じスキーマから生成されています。
          </p>
        </header>
        <nav aria-label="目次">
          <h2>目次</h2>
          <ol>
            {TOC.map((t) => (
              <li>
                <a href={t.href}>{t.label}</a>
                {t.href === '#endpoints' ? (
                  <ol>
                    {ops.map((o) => (
                      <li>
                        <a href={`#${operationAnchor(o)}`}>
                          <code>
                            {o.method} {o.path}
                          </code>
                        </a>
                      </li>
                    ))}
                  </ol>
                ) : null}
              </li>
            ))}
          </ol>
        </nav>
        <main>
          <section id="overview" aria-labelledby="overview-h">
            <h2 id="overview-h">概要と共通の決まり</h2>
            <ul>
              <li>
                サーバー: <code>{origin}</code>。ログのオリジンは <code>{host}/log/certs</code> です。
              </li>
              <li>JSON は UTF-8。文字列は NFC に正規化され、制御文字は受け付けません。</li>
              <li>
                エラーは RFC 9457 の <code>application/problem+json</code>（<code>type</code>,{' '}
                <code>title</code>, <code>status</code>, <code>detail</code>、検証エラーでは{' '}
                <code>errors: [{'{ path, message }'}]</code>
                ）。エラーのときは何も保存されていません。
              </li>
              <li>
                時刻は ISO 8601 UTC・ミリ秒付き（例 <code>2025-12-20T03:00:00.123Z</code>
                ）。画面では日本時間で表示します。
              </li>
              <li>ハッシュは標準の base64（パディング付き）。JWS の中だけは base64url です。</li>
              <li>
                イベントの本文は 64 KiB まで（超えると 413）。金額は円単位の整数、日付は{' '}
                <code>YYYY-MM-DD</code> です。
              </li>
              <li>
                API を変えるときは版を上げます（<code>/api/v2</code>
                ）。レスポンスに任意の項目が増えることはあるので、知らない項目は無視してください。
              </li>
            </ul>
          </section>

          <section id="auth" aria-labelledby="auth-h">
            <h2 id="auth-h">認証</h2>
            <p>
              保証会社は運営者に公開鍵（JWK: Ed25519 の <code>OKP</code> または P-256 の <code>EC</code>
              ）を登録し、鍵ごとの <code>kid</code> を受け取ります（<code>densho surety-key add</code>
              ）。プラットフォームが保証会社の秘密鍵を持つことはありません。未登録・失効した <code>kid</code>
              、鍵に合わない <code>alg</code>、不正な署名はすべて 401 です。
            </p>
            <h3>書き込み（イベントの送信）</h3>
            <p>
              本文はイベントを payload とする compact JWS です。<code>Content-Type: application/jose</code>
              、protected header は{' '}
              <code>{'{ "alg": "EdDSA" | "Ed25519" | "ES256", "kid": "…", "typ": "densho-event+jws" }'}</code>
              。JWS のバイト列はそのまま保存され、保証会社自身が署名した内容の証拠になります。
            </p>
            <h3>読み取り（自社の保証の参照）</h3>
            <p>
              <code>Authorization: Bearer &lt;JWT&gt;</code>。JWT は登録済みの鍵で署名し（header に{' '}
              <code>kid</code>）、次のクレームを付けます。
            </p>
            <ul>
              <li>
                <code>iss</code> = 保証会社コード
              </li>
              <li>
                <code>aud</code> = <code>{origin}</code>
              </li>
              <li>
                <code>exp</code> = 5 分以内の将来
              </li>
              <li>
                <code>jti</code> = リクエストごとに一意の値（再利用は 401）
              </li>
            </ul>
          </section>

          <section id="endpoints" aria-labelledby="endpoints-h">
            <h2 id="endpoints-h">エンドポイント</h2>
            <p>
              このページ（<code>/api/docs</code>）と OpenAPI 文書（<code>/api/openapi.json</code>
              ）は認証なしで読めます。
            </p>
            {ops.map((o) => (
              <Endpoint o={o} />
            ))}
          </section>

          <section id="event-payload" aria-labelledby="event-payload-h">
            <h2 id="event-payload-h">イベントのペイロード（EventPayload）</h2>
            <p>{str(eventPayload.description)}</p>
            <table>
              <caption>イベント種別</caption>
              <thead>
                <tr>
                  <th scope="col">event</th>
                  <th scope="col">対象</th>
                  <th scope="col">targetVersion</th>
                </tr>
              </thead>
              <tbody>
                {EVENT_KINDS.map((k) => (
                  <tr>
                    <th scope="row">
                      <code>{k}</code>
                    </th>
                    <td>{EVENT_LABELS[k]}</td>
                    <td>
                      {k === 'correction' || k === 'change_cancel' ? '必須（対象の版）' : '省略または null'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <table>
              <caption>保証商品（product）</caption>
              <thead>
                <tr>
                  <th scope="col">product</th>
                  <th scope="col">商品</th>
                  <th scope="col">発行者</th>
                  <th scope="col">預託金融機関（depositBank）</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(PRODUCTS).map(([code, p]) => (
                  <tr>
                    <th scope="row">
                      <code>{code}</code>
                    </th>
                    <td>{p.label}</td>
                    <td>{p.issuer}</td>
                    <td>{p.advance ? '必須' : 'null'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <FieldTable
              caption="EventPayload の項目（JWS の payload）"
              rows={eventFieldRows(eventPayload)}
              events
            />
            <p>
              <code>issue</code>{' '}
              は新しい保証契約番号にだけ使えます。それ以外のイベントは自社の既存の番号にだけ使え、
              <code>targetVersion</code>{' '}
              はそのイベントが対象にできる版でなければなりません。発注者コードは電子保証に対応した登録済みの発注者でなければならず（
              <a href="#op-listOrderers">GET /api/v1/orderers</a>）、解約（
              <code>termination</code>）した保証にはそれ以上イベントを追加できません。
            </p>
            <Pre label="例: issue（新規）のペイロード">{exampleJson}</Pre>
          </section>

          <section id="receipt" aria-labelledby="receipt-h">
            <h2 id="receipt-h">受領証（Receipt）</h2>
            <p>
              201（受付）と 200（同じ JWS の再送）の本文です。201/200
              は、イベント・ログの葉・署名付きチェックポイントがディスクに書き込まれた（fsync
              済み）後にだけ返ります。応答が届かなかったときは同じ JWS を再送すれば同じ受領証が返ります。
              <code>authKey</code>（認証キー）は <code>issue</code> の 201
              にだけ一度含まれ、二度と表示されません。
            </p>
            <FieldTable caption="受領証の項目" rows={fieldRows(receipt)} />
            <p>
              <code>receipt</code> はプラットフォームの受領証鍵で署名した compact JWS（<code>alg</code>{' '}
              EdDSA、
              <code>typ</code> <code>densho-receipt+jwt</code>、<code>kid</code> は RFC 7638 thumbprint で{' '}
              <a href="#op-getJwks">/.well-known/jwks.json</a> に公開）です。payload は次のとおりで、
              <code>treeSize</code>/<code>rootHash</code>{' '}
              は受領証の包含証明とチェックポイントが証明する木と同じです。
            </p>
            <FieldTable
              caption="受領証 JWS の payload（ReceiptJwsPayload）"
              rows={fieldRows(receiptPayload)}
            />
            <p>
              <code>log.leafInput</code> は <code>UTF-8("densho/cert/v1\n") ‖ JCS(body)</code>（RFC
              8785）で、body は{' '}
              <code>
                {
                  '{ contractNumber, event, issuedAt（ミリ秒の整数）, submission（受信した JWS の SHA-256 の base64）, surety, version }'
                }
              </code>{' '}
              です。受領証を保管しておけば、プラットフォームがなくなっても独立した証拠になります。
            </p>
          </section>

          <section id="verify" aria-labelledby="verify-h">
            <h2 id="verify-h">受領証の検証方法</h2>
            <p>
              必要なのは公開された情報だけです。事前に <a href="#op-getVerifierKey">/log/certs/vkey</a>{' '}
              の検証鍵と <a href="#op-getJwks">/.well-known/jwks.json</a>{' '}
              を取得して固定（pin）しておきます。検証する側は次を確かめます。
            </p>
            <ol>
              <li>
                チェックポイントの署名を固定した vkey で検証し、オリジン（1 行目）が{' '}
                <code>{host}/log/certs</code> であることを確かめる。
              </li>
              <li>
                前に信頼したチェックポイントから新しいチェックポイントへの一貫性証明（
                <a href="#op-getConsistencyProof">/log/certs/proof/consistency</a>
                ）を検証する。木の大きさは決して減らない。
              </li>
              <li>
                エントリーについては、表示されたデータから <code>leaf_input</code> を組み立て直し、
                <code>SHA-256(0x00 ‖ leaf_input)</code> を計算し、検証済みのチェックポイントへの包含証明（
                <a href="#op-getInclusionProof">/log/certs/proof/inclusion</a>）を検証する。
                <code>issuedAt</code> が前後のエントリーと比べて減っていないことも確かめる。
              </li>
              <li>
                受領証については、まず JWS の署名（<code>alg</code> を EdDSA に固定し、<code>kid</code> の鍵を
                JWKS から）、次に <code>leafInput</code> のハッシュが <code>leafHash</code>{' '}
                と一致し葉の内容が受領証と一致すること、包含証明が <code>rootHash</code>（大きさ{' '}
                <code>treeSize</code>
                ）に至ること、チェックポイントの大きさと根が同じであること、最後に受領証の木から現在の木への一貫性を検証する。
              </li>
              <li>
                完全な監査では、すべてのエントリーまたはタイル（<a href="#op-getTile">/log/certs/tile/…</a>
                ）を取得し、すべてのチェックポイントの根を計算し直す。
              </li>
            </ol>
            <p>
              ハッシュは RFC 6962 / RFC 9162: <code>leaf_hash = SHA-256(0x00 ‖ leaf_input)</code>、
              <code>node = SHA-256(0x01 ‖ left ‖ right)</code>。包含証明は RFC 9162 §2.1.3.2、一貫性証明は
              §2.1.4.2 のとおりに検証してください。CLI では{' '}
              <code>densho verify-receipt RECEIPT_FILE --url {origin}</code> がこれらをまとめて行い、
              <code>densho verify-log --url {origin}</code> がログ全体を検証します。
            </p>
          </section>

          <section id="examples" aria-labelledby="examples-h">
            <h2 id="examples-h">例</h2>
            <h3>densho push（参照用の保証会社クライアント）</h3>
            <p>
              運営者が公開鍵を登録して <code>kid</code>{' '}
              を伝えたら、保証会社は秘密鍵でイベントに署名して送信できます。
              <code>densho push</code> は JWS を作って送り、受領証を表示します。
            </p>
            <Pre label="運営者: 保証会社と公開鍵を登録する">
              {[
                'densho org add --kind surety --code ejcs --name 東日本建設業保証株式会社',
                'densho surety-key add --surety ejcs --jwk ejcs-public.jwk   # kid が表示される',
              ].join('\n')}
            </Pre>
            <Pre label="保証会社: イベントを送信し、受領証を検証する">
              {[
                `densho push --key ejcs-private.jwk --kid KID --url ${origin} event.json > receipt.json`,
                `densho verify-receipt receipt.json --url ${origin}`,
              ].join('\n')}
            </Pre>
            <h3>curl</h3>
            <p>
              JWS は任意のライブラリで作れます（例: Node の <code>jose</code> で{' '}
              <code>
                new CompactSign(bytes).setProtectedHeader({'{ alg: "EdDSA", kid, typ: "densho-event+jws" }'}
                ).sign(key)
              </code>
              ）。作った JWS をそのまま本文にします。
            </p>
            <Pre label="イベントを送信する（event.jws は compact JWS の 1 行）">
              {[
                `curl -sS -X POST ${origin}/api/v1/certificates \\`,
                "  -H 'Content-Type: application/jose' \\",
                '  --data-binary @event.jws',
              ].join('\n')}
            </Pre>
            <Pre label="自社の保証を読む（JWT はリクエストごとに新しい jti で作る）">
              {[
                `curl -sS ${origin}/api/v1/certificates/31074-00001M \\`,
                '  -H "Authorization: Bearer $JWT"',
              ].join('\n')}
            </Pre>
            <Pre label="ログを読む">
              {[
                `curl -sS ${origin}/log/certs/checkpoint`,
                `curl -sS '${origin}/log/certs/proof/inclusion?index=41&size=42'`,
                `curl -sS '${origin}/log/certs/proof/consistency?first=42&second=100'`,
                `curl -sS ${origin}/.well-known/jwks.json`,
              ].join('\n')}
            </Pre>
          </section>

          <section id="errors" aria-labelledby="errors-h">
            <h2 id="errors-h">エラー</h2>
            <p>
              <code>type</code> は <code>urn:densho:error:&lt;コード&gt;</code>{' '}
              の形の安定した値で、プログラムはこれで分岐してください。<code>title</code> と{' '}
              <code>detail</code> は人向けで、文言は変わることがあります。
            </p>
            <table>
              <caption>主なエラーコード</caption>
              <thead>
                <tr>
                  <th scope="col">type</th>
                  <th scope="col">ステータス</th>
                  <th scope="col">意味</th>
                </tr>
              </thead>
              <tbody>
                {PROBLEM_TYPES.map((p) => (
                  <tr>
                    <th scope="row">
                      <code>urn:densho:error:{p.code}</code>
                    </th>
                    <td>{p.status}</td>
                    <td>{p.meaning}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>

          <section id="schemas" aria-labelledby="schemas-h">
            <h2 id="schemas-h">その他のスキーマ</h2>
            {Object.entries(schemas)
              .filter(([name]) => !SCHEMAS_WITH_SECTIONS.has(name))
              .map(([name, schema]) => (
                <section id={`schema-${name}`} aria-labelledby={`schema-${name}-h`}>
                  <h3 id={`schema-${name}-h`}>{name}</h3>
                  <p>{str(schema.description)}</p>
                  <FieldTable caption={`${name} の項目`} rows={fieldRows(schema)} />
                </section>
              ))}
          </section>
        </main>
        <footer>
          <p>
            電証 densho — <a href="/api/openapi.json">OpenAPI 3.1</a>
          </p>
        </footer>
      </body>
    </html>
  );
};
