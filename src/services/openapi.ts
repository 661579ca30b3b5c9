// The OpenAPI 3.1 twin of api.md, generated from the zod schemas so the served document tracks the code.
import { z } from 'zod';
import { EventPayloadSchema } from '../domain/certificate.ts';
import {
  AcknowledgementListSchema,
  CertificateSummarySchema,
  CheckpointListSchema,
  ConsistencyProofSchema,
  EVENT_FIELD_NOTES,
  EventJwsHeaderSchema,
  EXAMPLE_EVENT,
  InclusionProofSchema,
  JwksSchema,
  OrdererListSchema,
  ProblemSchema,
  ReceiptPayloadSchema,
  ReceiptSchema,
} from '../routes/api-schemas.ts';
import { MAX_EVENT_BYTES } from '../routes/api-v1.ts';

/** A JSON Schema / OpenAPI object as plain JSON. */
export type JsonObject = { [key: string]: unknown };

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: JsonObject;
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, JsonObject>>;
  components: {
    schemas: Record<string, JsonObject>;
    securitySchemes: Record<string, JsonObject>;
    headers: Record<string, JsonObject>;
  };
}

/** Requests are what a client may send (before transforms); responses are what we send (after). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonObject;
  return rest;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * zod closes every output object (`additionalProperties: false`), but api.md promises that "extra optional fields
 * are free": a client validating responses against a closed schema would break on the next additive change.
 * Requests stay closed because the platform really does refuse unknown keys.
 */
function openObjects(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) openObjects(item);
    return;
  }
  if (!isObject(node)) return;
  if (node.additionalProperties === false) delete node.additionalProperties;
  for (const value of Object.values(node)) openObjects(value);
}

function responseSchema(schema: z.ZodType): JsonObject {
  const out = jsonSchema(schema, 'output');
  openObjects(out);
  return out;
}

/**
 * Fill in descriptions the domain schema leaves out (EVENT_FIELD_NOTES), walking properties, array items and the
 * nullable `anyOf` wrappers zod emits. Existing descriptions win: the domain is the source of truth.
 */
function describeFields(node: JsonObject, path: string): void {
  const props = node.properties;
  if (isObject(props)) {
    for (const [key, child] of Object.entries(props)) {
      if (!isObject(child)) continue;
      const childPath = path === '' ? key : `${path}.${key}`;
      const note = EVENT_FIELD_NOTES[childPath];
      if (note && typeof child.description !== 'string') child.description = note;
      describeFields(child, childPath);
    }
  }
  if (isObject(node.items)) describeFields(node.items, `${path}[]`);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const list = node[key];
    if (Array.isArray(list)) for (const alt of list) if (isObject(alt)) describeFields(alt, path);
  }
}

function eventPayloadComponent(): JsonObject {
  const schema = jsonSchema(EventPayloadSchema, 'input');
  describeFields(schema, '');
  return {
    ...schema,
    examples: [EXAMPLE_EVENT],
    description:
      'JWS の payload（電子保証のイベント）。event の値で形が決まる / the signed event; its shape depends on `event`. ' +
      'Cross-field rules not expressible here: guaranteeAmount ≤ contractAmount; period ends ≥ starts; ' +
      'depositBank required for advance_payment and interim_advance_payment; orderer.code check digit.',
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function json(description: string, schema: string, headers?: JsonObject): JsonObject {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: ref(schema) } },
  };
}

function problem(description: string, headers?: JsonObject): JsonObject {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/problem+json': { schema: ref('Problem') } },
  };
}

function text(description: string, mediaType: string, schema: JsonObject): JsonObject {
  return { description, content: { [mediaType]: { schema } } };
}

const retryAfter = { 'Retry-After': { $ref: '#/components/headers/Retry-After' } };
const cacheControl = { 'Cache-Control': { $ref: '#/components/headers/Cache-Control' } };
const noAuth: JsonObject[] = [];

function intQuery(name: string, description: string, required: boolean): JsonObject {
  return { name, in: 'query', required, description, schema: { type: 'integer', minimum: 0 } };
}

function pathParam(name: string, description: string, schema: JsonObject = { type: 'string' }): JsonObject {
  return { name, in: 'path', required: true, description, schema };
}

const tileLevel = pathParam('L', 'タイルの高さ方向の位置（0 が葉のハッシュ） / tile level', {
  type: 'integer',
  minimum: 0,
  maximum: 63,
});
const tileIndex = pathParam(
  'N',
  'C2SP tlog-tiles のタイル番号。3 桁ずつ区切り、最後以外に x を付ける（例: x001/234）。スラッシュを含むのでエンコードせずに送る / tile index in C2SP form (may contain slashes)',
  { type: 'string', pattern: '^(?:x[0-9]{3}/)*[0-9]{3}$', examples: ['000', 'x001/234'] },
);
const tileWidth = pathParam('W', '部分タイルの幅（1〜255） / partial tile width', {
  type: 'integer',
  minimum: 1,
  maximum: 255,
});

function tileOperation(
  operationId: string,
  summary: string,
  description: string,
  parameters: JsonObject[],
): JsonObject {
  return {
    tags: ['log'],
    operationId,
    summary,
    description,
    security: noAuth,
    parameters,
    responses: {
      '200': {
        description: 'タイルのバイト列 / tile bytes',
        headers: cacheControl,
        content: {
          'application/octet-stream': {
            schema: { type: 'string', contentMediaType: 'application/octet-stream' },
          },
        },
      },
      '404': problem('そのタイルはまだない / no such tile (yet)'),
    },
  };
}

function build(origin: string): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: '電証 densho API',
      version: '1.0.0',
      summary: '電子保証の登録と検証 / push electronic guarantee certificates and verify their arrival times',
      description:
        '保証会社は電子保証のイベントを compact JWS で送信し、署名付きの受領証を受け取ります。' +
        'イベントは追記専用の Merkle ログ（RFC 6962）に記録され、誰でも検証できます。' +
        `人が読むための説明は ${origin}/api/docs にあります。\n\n` +
        'Sureties push certificate events as compact JWS and receive signed receipts; every event is a leaf in a ' +
        'public append-only Merkle log. Errors are RFC 9457 application/problem+json.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: origin }],
    tags: [
      { name: 'surety', description: '保証会社向け API / surety API (/api/v1)' },
      { name: 'log', description: '証明書ログ（公開・読み取り専用） / public certificate log' },
      { name: 'keys', description: '受領証の検証鍵 / receipt verification keys' },
    ],
    paths: {
      '/api/v1/certificates': {
        post: {
          tags: ['surety'],
          operationId: 'pushEvent',
          summary: 'イベントを送信する / push a certificate event',
          description:
            '本文は保証会社の登録済み鍵で署名した compact JWS です（Content-Type: application/jose）。' +
            'JWS そのものが認証なので Authorization ヘッダーは不要です。' +
            '201/200 はイベント・ログの葉・署名付きチェックポイントが永続化された後にだけ返ります。' +
            '応答が失われたら同じ JWS を再送してください（同じ受領証が返ります）。\n\n' +
            'The body is a compact JWS signed by a registered surety key; the JWS is the authentication. ' +
            `Body limit ${MAX_EVENT_BYTES} bytes.`,
          security: noAuth,
          requestBody: {
            required: true,
            description:
              'compact JWS。payload は EventPayload（UTF-8 JSON）、protected header は EventJwsHeader ' +
              '{ alg: EdDSA | Ed25519 | ES256, kid, typ: "densho-event+jws" }。JWS のバイト列はそのまま保存されます。',
            content: {
              'application/jose': {
                schema: {
                  type: 'string',
                  pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
                  maxLength: MAX_EVENT_BYTES,
                  description: 'header.payload.signature (base64url)',
                  'x-densho-jws-payload': ref('EventPayload'),
                  'x-densho-jws-protected-header': ref('EventJwsHeader'),
                },
              },
            },
          },
          responses: {
            '201': json(
              '受け付けた。受領証（issue のときだけ authKey を含む） / accepted; receipt (authKey on issue only)',
              'Receipt',
              {
                Location: {
                  description: 'GET /api/v1/certificates/{contractNumber} の URL',
                  schema: { type: 'string' },
                },
              },
            ),
            '200': json(
              '同じ eventId・同じ JWS の再送。最初の受領証（authKey なし） / safe retry: the original receipt',
              'Receipt',
            ),
            '400': problem('JWS・typ・payload の形式が正しくない / malformed JWS, typ or payload'),
            '401': problem(
              'kid が未登録・失効、alg 違い、署名不正 / unknown or revoked kid, wrong alg, bad signature',
            ),
            '404': problem(
              'issue 以外で保証契約番号が自社に登録されていない / contract number not found for this surety',
            ),
            '409': problem(
              '同じ eventId で内容が違う、保証契約番号が既にある、解約済み / eventId reused, number taken, terminated',
            ),
            '413': problem(`本文が ${MAX_EVENT_BYTES} バイトを超える / body too large`),
            '415': problem('Content-Type が application/jose でない / wrong media type'),
            '422': problem('内容に誤りがある（errors に項目ごと） / validation failed, see errors'),
            '503': problem(
              '混雑中。Retry-After 秒後に同じ JWS を再送 / busy; retry the same JWS later',
              retryAfter,
            ),
          },
        },
      },
      '/api/v1/certificates/{contractNumber}': {
        get: {
          tags: ['surety'],
          operationId: 'getCertificate',
          summary: '自社の保証の履歴を読む / read your own certificate',
          description:
            '版・イベント・到着時刻・ログ上の位置をすべて返します。他社の保証契約番号は未登録と同じく 404 です。',
          security: [{ suretyBearer: [] }],
          parameters: [pathParam('contractNumber', '保証契約番号 / contract number')],
          responses: {
            '200': json('保証の履歴 / the certificate and its events', 'CertificateSummary'),
            '401': problem(
              'Bearer JWT がない・不正・期限切れ・再利用 / missing, invalid, expired or replayed bearer',
            ),
            '404': problem('自社の保証として登録されていない / not found for this surety'),
          },
        },
      },
      '/api/v1/acknowledgements': {
        get: {
          tags: ['surety'],
          operationId: 'listAcknowledgements',
          summary: '発注者の受領・返戻を読む / read 受領 and 返戻 on your certificates',
          description:
            '自社の保証に発注者が記録した受領・返戻を古い順に最大 100 件返します。応答の next を次回の since に' +
            '渡してください（最初は省略または 0）。新しいものがなければ acknowledgements は空で next は同じ値です。',
          security: [{ suretyBearer: [] }],
          parameters: [
            {
              name: 'since',
              in: 'query',
              required: false,
              description: '前回の応答の next（既定 0） / the previous response’s next, default 0',
              schema: { type: 'string', pattern: '^(?:0|[1-9][0-9]{0,14})$' },
            },
          ],
          responses: {
            '200': json('受領・返戻の一覧 / acknowledgements', 'AcknowledgementList'),
            '400': problem('since が正しくない / bad cursor'),
            '401': problem(
              'Bearer JWT がない・不正・期限切れ・再利用 / missing, invalid, expired or replayed bearer',
            ),
          },
        },
      },
      '/api/v1/orderers': {
        get: {
          tags: ['surety'],
          operationId: 'listOrderers',
          summary: '電子保証対応の発注者一覧 / orderers that accept 電子保証',
          description: '認証不要。電子保証を提案する前に確認してください。',
          security: noAuth,
          responses: { '200': json('発注者の一覧 / orderer list', 'OrdererList', cacheControl) },
        },
      },
      '/log/certs/checkpoint': {
        get: {
          tags: ['log'],
          operationId: 'getCheckpoint',
          summary: '最新のチェックポイント / latest signed checkpoint',
          description:
            'C2SP signed note: `<origin>\\n<tree size>\\n<base64 root>\\n`、空行、`— <key name> <base64 signature>`。',
          security: noAuth,
          responses: {
            '200': {
              ...text('署名付きチェックポイント / signed note', 'text/plain', { type: 'string' }),
              headers: cacheControl,
            },
          },
        },
      },
      '/log/certs/vkey': {
        get: {
          tags: ['log'],
          operationId: 'getVerifierKey',
          summary: 'チェックポイントの検証鍵 / note verifier key',
          description:
            '`<name>+<hex key id>+<base64(0x01‖pubkey)>`（Go の golang.org/x/mod/sumdb/note 形式）。',
          security: noAuth,
          responses: {
            '200': text('検証鍵 / verifier key', 'text/plain', { type: 'string' }),
          },
        },
      },
      '/log/certs/checkpoints': {
        get: {
          tags: ['log'],
          operationId: 'listCheckpoints',
          summary: 'チェックポイントの履歴 / checkpoints since a tree size',
          description: 'since より大きい木のチェックポイントを古い順に最大 limit 件返します。',
          security: noAuth,
          parameters: [
            intQuery('since', '木の大きさ（これより後、既定 0） / tree size, default 0', false),
            {
              name: 'limit',
              in: 'query',
              required: false,
              description: '最大件数（1〜1000、既定 1000） / max items',
              schema: { type: 'integer', minimum: 1, maximum: 1000 },
            },
          ],
          responses: {
            '200': json('チェックポイントの一覧 / checkpoint list', 'CheckpointList'),
            '400': problem('パラメータが範囲外 / bad parameter'),
          },
        },
      },
      '/log/certs/tile/{L}/{N}': {
        get: tileOperation(
          'getTile',
          'ハッシュタイル / full hash tile',
          'C2SP tlog-tiles の高さ 8 のタイル: 32 バイトのハッシュ 256 個の連結。完全なタイルは不変です。',
          [tileLevel, tileIndex],
        ),
      },
      '/log/certs/tile/{L}/{N}.p/{W}': {
        get: tileOperation(
          'getPartialTile',
          '部分ハッシュタイル / partial hash tile',
          '右端のまだ埋まっていないタイル（W 個のハッシュ）。短時間だけキャッシュできます。',
          [tileLevel, tileIndex, tileWidth],
        ),
      },
      '/log/certs/tile/entries/{N}': {
        get: tileOperation(
          'getEntryBundle',
          'エントリーバンドル / full entry bundle',
          '256 個の葉。各葉は 2 バイト（ビッグエンディアン）の長さ＋葉のバイト列（leaf_input）。',
          [tileIndex],
        ),
      },
      '/log/certs/tile/entries/{N}.p/{W}': {
        get: tileOperation(
          'getPartialEntryBundle',
          '部分エントリーバンドル / partial entry bundle',
          '右端のまだ埋まっていないバンドル（W 個の葉）。',
          [tileIndex, tileWidth],
        ),
      },
      '/log/certs/proof/inclusion': {
        get: {
          tags: ['log'],
          operationId: 'getInclusionProof',
          summary: '包含証明 / inclusion proof',
          description: '0 ≤ index < size ≤ 現在の木の大きさ。RFC 9162 §2.1.3.2 で検証します。',
          security: noAuth,
          parameters: [
            intQuery('index', '葉の位置 / leaf index', true),
            intQuery('size', '木の大きさ / tree size', true),
          ],
          responses: {
            '200': json('包含証明 / inclusion proof', 'InclusionProof', cacheControl),
            '400': problem('パラメータが範囲外 / bad parameter'),
          },
        },
      },
      '/log/certs/proof/consistency': {
        get: {
          tags: ['log'],
          operationId: 'getConsistencyProof',
          summary: '一貫性証明 / consistency proof',
          description: '0 ≤ first ≤ second ≤ 現在の木の大きさ。RFC 9162 §2.1.4.2 で検証します。',
          security: noAuth,
          parameters: [
            intQuery('first', '古い木の大きさ / older tree size', true),
            intQuery('second', '新しい木の大きさ / newer tree size', true),
          ],
          responses: {
            '200': json('一貫性証明 / consistency proof', 'ConsistencyProof', cacheControl),
            '400': problem('パラメータが範囲外 / bad parameter'),
          },
        },
      },
      '/.well-known/jwks.json': {
        get: {
          tags: ['keys'],
          operationId: 'getJwks',
          summary: '受領証の公開鍵 / receipt verification keys (JWKS)',
          description: 'kid は RFC 7638 thumbprint。鍵を更新しても過去の鍵は残ります。',
          security: noAuth,
          responses: { '200': json('JWK Set', 'Jwks', cacheControl) },
        },
      },
    },
    components: {
      schemas: {
        EventPayload: eventPayloadComponent(),
        EventJwsHeader: jsonSchema(EventJwsHeaderSchema, 'input'),
        Receipt: responseSchema(ReceiptSchema),
        ReceiptJwsPayload: responseSchema(ReceiptPayloadSchema),
        Problem: responseSchema(ProblemSchema),
        CertificateSummary: responseSchema(CertificateSummarySchema),
        OrdererList: responseSchema(OrdererListSchema),
        AcknowledgementList: responseSchema(AcknowledgementListSchema),
        InclusionProof: responseSchema(InclusionProofSchema),
        ConsistencyProof: responseSchema(ConsistencyProofSchema),
        CheckpointList: responseSchema(CheckpointListSchema),
        Jwks: responseSchema(JwksSchema),
      },
      securitySchemes: {
        suretyBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            '保証会社の登録済み鍵で署名した JWT（protected header に kid）。iss = 保証会社コード、' +
            `aud = ${origin}、exp は 5 分以内、jti はリクエストごとに一意。 / ` +
            'JWT signed by a registered surety key: iss = surety code, aud = platform origin, exp ≤ 5 min, unique jti.',
        },
      },
      headers: {
        'Retry-After': {
          description: '再送までの秒数 / seconds to wait before retrying the same JWS',
          schema: { type: 'integer', minimum: 0 },
        },
        'Cache-Control': {
          description: 'キャッシュ可能な期間 / how long the response may be cached',
          schema: { type: 'string' },
        },
      },
    },
  };
}

const cache = new Map<string, OpenApiDocument>();

/** Built once per origin: the schemas are static, only `servers` and the `aud` text depend on the origin. */
export function buildOpenApi(origin: string): OpenApiDocument {
  let doc = cache.get(origin);
  if (!doc) {
    doc = build(origin);
    cache.set(origin, doc);
  }
  return doc;
}
