// Zod schemas of the API's responses (receipt, problem, summaries, proofs, JWKS) for OpenAPI and /api/docs.
import { z } from 'zod';
import { EVENT_KINDS, PRODUCT_CODES } from '../domain/certificate.ts';
import type { ReceiptDocument, ReceiptPayload } from '../services/receipts.ts';

// ---------------------------------------------------------------------------------------------
// Small shared pieces
// ---------------------------------------------------------------------------------------------

/** api.md: "Hashes are standard base64 (with padding) everywhere except inside a JWS". */
const base64 = (description: string) =>
  z
    .string()
    .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/)
    .meta({ description });

const base64Hash = (description: string) =>
  base64(description).meta({ description, examples: ['47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hPuFU='] });

/** api.md: "Times in JSON are ISO 8601 UTC with milliseconds". */
const isoTime = (description: string) =>
  z.iso.datetime({ precision: 3 }).meta({ description, examples: ['2025-12-20T03:00:00.123Z'] });

const nonNegativeInt = (description: string) => z.int().min(0).meta({ description });

const compactJws = (description: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/)
    .meta({ description });

const contractNumber = z
  .string()
  .meta({ description: '保証契約番号 / guarantee contract number', examples: ['31074-00001M'] });

const eventKind = z
  .enum(EVENT_KINDS)
  .meta({ description: 'イベント種別 / event kind (issue 新規, change 変更, correction 訂正, …)' });

// ---------------------------------------------------------------------------------------------
// Problem (RFC 9457)
// ---------------------------------------------------------------------------------------------

export const FieldErrorSchema = z
  .object({
    path: z.string().meta({
      description: '誤りのある項目のパス（ドット区切り、空文字はペイロード全体） / dotted field path',
      examples: ['work.periodEnd'],
    }),
    message: z.string().meta({ description: '日本語の説明と直し方 / what is wrong and how to fix it' }),
  })
  .meta({ description: '項目ごとの誤り / one validation error' });

export const ProblemSchema = z
  .object({
    type: z.string().meta({
      description: '機械向けの安定したエラーコード / stable error code that clients switch on',
      examples: ['urn:densho:error:validation'],
    }),
    title: z.string().meta({ description: 'HTTP ステータスの短い説明 / short summary of the status' }),
    status: z.int().min(400).max(599).meta({ description: 'HTTP ステータスコード / HTTP status code' }),
    detail: z.string().meta({ description: '何が起きたか、どう直すか / what happened and how to fix it' }),
    errors: z.array(FieldErrorSchema).optional().meta({
      description: '検証エラー（422 など）の項目別一覧 / per-field errors for validation failures',
    }),
    requestId: z.string().optional().meta({
      description: '問い合わせ時に伝える要求 ID / request id to quote when asking the operator',
    }),
  })
  .meta({
    description:
      'RFC 9457 problem details（application/problem+json）。何も保存されていません / nothing was stored.',
  });

/** The `type` codes a client can switch on, with the status that carries them (the `urn:densho:error:` suffix). */
export const PROBLEM_TYPES: readonly { code: string; status: number; meaning: string }[] = [
  { code: 'malformed-jws', status: 400, meaning: 'compact JWS として読めない' },
  { code: 'wrong-typ', status: 400, meaning: 'protected header の typ が densho-event+jws でない' },
  { code: 'malformed-payload', status: 400, meaning: 'payload が UTF-8 の JSON オブジェクトでない' },
  { code: 'bad-parameter', status: 400, meaning: 'ログ API のクエリパラメータが範囲外' },
  { code: 'unknown-key', status: 401, meaning: 'kid が登録されていない' },
  { code: 'revoked-key', status: 401, meaning: 'kid の鍵が失効している' },
  { code: 'wrong-alg', status: 401, meaning: '鍵の種類と alg が合わない' },
  { code: 'bad-signature', status: 401, meaning: '署名を検証できない' },
  { code: 'missing-bearer', status: 401, meaning: 'Authorization: Bearer がない' },
  { code: 'expired-bearer', status: 401, meaning: 'Bearer JWT の有効期限切れ' },
  { code: 'bearer-too-long', status: 401, meaning: 'Bearer JWT の exp が 5 分より先' },
  { code: 'replayed-bearer', status: 401, meaning: 'Bearer JWT の jti が再利用された' },
  { code: 'bad-claims', status: 401, meaning: 'iss または aud が正しくない' },
  { code: 'bad-cursor', status: 400, meaning: 'since が前回の next の値（0 以上の整数）でない' },
  { code: 'contract-not-found', status: 404, meaning: '保証契約番号が登録されていない（他社の番号を含む）' },
  { code: 'event-id-conflict', status: 409, meaning: '同じ eventId で別の内容が既に受け付けられている' },
  { code: 'contract-number-taken', status: 409, meaning: '保証契約番号が既に登録されている' },
  { code: 'terminated', status: 409, meaning: '解約済みの保証にはイベントを追加できない' },
  { code: 'too-large', status: 413, meaning: '本文が 64 KiB を超える' },
  { code: 'unsupported-media-type', status: 415, meaning: 'Content-Type が application/jose でない' },
  { code: 'validation', status: 422, meaning: 'ペイロードの内容に誤りがある（errors を参照）' },
  { code: 'orderer-not-accepting', status: 422, meaning: '発注者が電子保証対応として登録されていない' },
  { code: 'bad-target', status: 422, meaning: 'targetVersion がこのイベントの対象にできない版' },
  { code: 'busy', status: 503, meaning: '混雑（Retry-After 秒後に同じ JWS を再送）' },
  { code: 'clock-behind', status: 503, meaning: 'プラットフォームの時刻確認中（Retry-After 秒後に再送）' },
];

// ---------------------------------------------------------------------------------------------
// Receipt (api.md "Receipt", trust-log.md "Receipts")
// ---------------------------------------------------------------------------------------------

export const ReceiptLogSchema = z
  .object({
    origin: z.string().meta({
      description: 'ログのオリジン（チェックポイントの1行目） / log origin, first line of the checkpoint',
      examples: ['densho.example.jp/log/certs'],
    }),
    index: nonNegativeInt('ログ上の位置（0 始まり） / leaf index in the log'),
    leafInput: base64('葉のバイト列そのもの（densho/cert/v1） / the exact leaf bytes'),
    inclusionProof: z
      .array(base64Hash('SHA-256 ハッシュ / hash'))
      .meta({ description: 'RFC 6962 PATH 順の包含証明（葉の兄弟が先頭） / inclusion proof, sibling first' }),
    checkpoint: z.string().meta({
      description: '署名付きチェックポイント（C2SP signed note） / signed checkpoint note',
    }),
  })
  .meta({ description: 'ログ上の証拠 / where the event sits in the certificate log' });

export const ReceiptSchema = z
  .object({
    contractNumber,
    version: z.int().min(1).meta({ description: '版（1 から連番） / certificate version, 1-based' }),
    event: eventKind,
    issuedAt: isoTime('到着時刻＝電子保証発行日時（ログが付与） / arrival time assigned by the log'),
    authKey: z
      .string()
      .optional()
      .meta({
        description:
          '認証キー。issue の 201 でだけ一度返る。再表示はできない / auth key, shown once on issue (201 only)',
        examples: ['ABCD-EFGH-JKMN-PQRS'],
      }),
    log: ReceiptLogSchema,
    receipt: compactJws(
      'プラットフォーム鍵で署名した受領証 JWS（payload は ReceiptJwsPayload） / platform-signed receipt JWS',
    ),
  })
  .meta({ description: '受領証 / receipt for an accepted event' });

export const ReceiptPayloadSchema = z
  .object({
    iss: z.string().meta({ description: 'プラットフォームのオリジン / issuer (platform origin)' }),
    sub: z.string().meta({ description: '保証契約番号 / contract number' }),
    ver: z.int().min(1).meta({ description: '版 / version' }),
    evt: z.string().meta({ description: 'イベント種別 / event kind' }),
    issuedAt: nonNegativeInt('到着時刻（UNIX ミリ秒） / arrival time in ms since the epoch'),
    idx: nonNegativeInt('ログ上の位置 / leaf index'),
    leafHash: base64Hash('SHA-256(0x00 ‖ leafInput)'),
    treeSize: z
      .int()
      .min(1)
      .meta({ description: '証明の対象となる木の大きさ / tree size the proof is against' }),
    rootHash: base64Hash('その木の根ハッシュ / root hash of that tree'),
  })
  .meta({ description: '受領証 JWS の payload / payload of the receipt JWS (typ densho-receipt+jwt)' });

// ---------------------------------------------------------------------------------------------
// Surety reads
// ---------------------------------------------------------------------------------------------

export const CertificateSummarySchema = z
  .object({
    contractNumber,
    product: z.enum(PRODUCT_CODES).meta({ description: '保証商品 / product' }),
    ordererCode: z.string().meta({ description: '発注者コード / orderer code', examples: ['092134'] }),
    status: z.enum(['active', 'terminated']).meta({ description: '状態（有効／解約済み） / status' }),
    events: z
      .array(
        z.object({
          version: z.int().min(1).meta({ description: '版 / version' }),
          event: eventKind,
          targetVersion: z
            .int()
            .min(1)
            .nullable()
            .meta({ description: '訂正・変更取消の対象版 / version acted on, or null' }),
          eventId: z.string().meta({ description: '保証会社が付けた eventId / surety-assigned event id' }),
          issuedAt: isoTime('到着時刻 / arrival time'),
          logIndex: nonNegativeInt('ログ上の位置 / leaf index in the certificate log'),
        }),
      )
      .meta({ description: 'すべてのイベント（古い順） / every event, oldest first' }),
  })
  .meta({ description: '自社の保証の履歴 / the surety’s own certificate and its events' });

export const AcknowledgementListSchema = z
  .object({
    acknowledgements: z
      .array(
        z.object({
          id: z.int().min(1).meta({ description: '受領・返戻の通し番号（カーソル） / mark id (the cursor)' }),
          contractNumber,
          ordererCode: z.string().meta({ description: '発注者コード / orderer code', examples: ['092134'] }),
          kind: z
            .enum(['received', 'returned'])
            .meta({ description: 'received 受領 / returned 返戻 / received or returned' }),
          reason: z
            .string()
            .nullable()
            .meta({ description: '返戻の理由（受領は null） / reason for a return, null for received' }),
          at: isoTime('発注者が記録した時刻 / when the orderer recorded it'),
        }),
      )
      .meta({
        description: '自社の保証への受領・返戻（古い順、最大 100 件） / marks, oldest first, at most 100',
      }),
    next: z.string().meta({
      description: '次回の since に渡す値。新しいものがなければ同じ値 / pass as `since` next time',
      examples: ['42'],
    }),
  })
  .meta({ description: '受領・返戻の一覧 / acknowledgements on the surety’s certificates' });

export const OrdererListSchema = z
  .object({
    orderers: z.array(
      z.object({
        code: z.string().meta({ description: '発注者コード / orderer code', examples: ['092134'] }),
        name: z.string().meta({ description: '発注者名 / orderer name', examples: ['那須塩原市長'] }),
        acceptsSince: z
          .string()
          .nullable()
          .meta({ description: '電子保証の受付開始日 / date from which 電子保証 is accepted' }),
      }),
    ),
  })
  .meta({ description: '電子保証対応の発注者 / orderers that accept 電子保証' });

// ---------------------------------------------------------------------------------------------
// Log API
// ---------------------------------------------------------------------------------------------

export const InclusionProofSchema = z
  .object({
    index: nonNegativeInt('葉の位置 / leaf index'),
    size: z.int().min(1).meta({ description: '木の大きさ / tree size' }),
    path: z.array(base64Hash('SHA-256 ハッシュ / hash')).meta({ description: 'RFC 6962 PATH(m, D[n])' }),
  })
  .meta({ description: '包含証明 / inclusion proof' });

export const ConsistencyProofSchema = z
  .object({
    first: nonNegativeInt('古い木の大きさ / older tree size'),
    second: nonNegativeInt('新しい木の大きさ / newer tree size'),
    path: z
      .array(base64Hash('SHA-256 ハッシュ / hash'))
      .meta({ description: 'RFC 6962 SUBPROOF(m, D[n], true)' }),
  })
  .meta({ description: '一貫性証明 / consistency proof' });

export const CheckpointListSchema = z
  .object({
    checkpoints: z
      .array(
        z.object({
          size: z.int().min(1).meta({ description: '木の大きさ / tree size' }),
          note: z.string().meta({ description: '署名付きチェックポイント / signed checkpoint note' }),
        }),
      )
      .meta({
        description: 'since より後のチェックポイント（古い順） / checkpoints after `since`, oldest first',
      }),
  })
  .meta({ description: 'チェックポイントの履歴 / checkpoint history' });

export const JwksSchema = z
  .object({
    keys: z.array(
      z
        .looseObject({
          kty: z.literal('OKP'),
          crv: z.literal('Ed25519'),
          x: z.string().meta({ description: '公開鍵（base64url） / public key' }),
          kid: z.string().meta({ description: 'RFC 7638 thumbprint' }),
          alg: z.string().optional(),
          use: z.string().optional(),
        })
        .meta({ description: '受領証の検証鍵（JWK） / receipt verification key' }),
    ),
  })
  .meta({
    description:
      '受領証 JWS の公開鍵（新しい順、過去の鍵も含む） / receipt keys, newest first, old ones kept',
  });

// ---------------------------------------------------------------------------------------------
// Requests that are not JSON bodies
// ---------------------------------------------------------------------------------------------

/** api.md "Surety authentication": the protected header of the pushed JWS. */
export const EventJwsHeaderSchema = z
  .object({
    alg: z
      .enum(['EdDSA', 'Ed25519', 'ES256'])
      .meta({ description: 'OKP 鍵は EdDSA/Ed25519、P-256 鍵は ES256' }),
    kid: z.string().meta({ description: '`densho surety-key add` が表示した kid / registered key id' }),
    typ: z.literal('densho-event+jws'),
  })
  .meta({ description: '送信する JWS の protected header / protected header of the pushed JWS' });

/** api.md's example event, as valid JSON: shown on /api/docs and in the OpenAPI `examples` (a test parses it). */
export const EXAMPLE_EVENT = {
  eventId: 'ejcs-2025-000123',
  event: 'issue',
  targetVersion: null,
  contractNumber: '31074-00001M',
  product: 'advance_payment',
  orderer: { code: '092134', name: '那須塩原市長' },
  contractor: { name: '〇〇建設 株式会社' },
  jv: null,
  work: { name: '●●●●工事', location: '那須塩原市…', periodStart: '2025-12-20', periodEnd: '2026-03-31' },
  contractAmount: 50000000,
  guaranteeAmount: 20000000,
  guaranteePeriod: { start: '2025-12-20', end: '2026-04-30' },
  depositBank: { name: '〇〇銀行', branch: '××支店' },
  contractDate: '2025-12-19',
  remarks: null,
} as const;

/**
 * Descriptions for EventPayload fields that the domain schema does not describe itself, keyed by dotted path.
 * The OpenAPI builder fills them in only where the domain left a gap, so the domain stays the source of truth.
 */
export const EVENT_FIELD_NOTES: Readonly<Record<string, string>> = {
  eventId: 'イベントID。保証会社内で一意。冪等キー（同じ JWS の再送は同じ受領証） / idempotency key',
  event: 'イベント種別: issue 新規, change 変更, correction 訂正, change_cancel 変更取消, termination 解約',
  targetVersion: '対象の版。correction と change_cancel では必須、その他は省略または null',
  product: '保証商品: advance_payment 前払金保証ほか',
  orderer: '発注者',
  'orderer.name': '発注者名（例: 那須塩原市長）',
  contractor: '請負契約者',
  'contractor.name': '請負契約者名',
  jv: '共同企業体。単独の場合は null',
  'jv.name': 'JV名',
  'jv.members': 'JV構成員',
  'jv.members[].name': 'JV構成員名',
  work: '工事',
  'work.name': '工事名',
  'work.location': '工事場所（省略可）',
  guaranteePeriod: '保証期間',
  depositBank: '預託金融機関。前払金保証・中間前払金保証では必須、その他は null',
  'depositBank.name': '預託金融機関名',
  'depositBank.branch': '支店名',
  remarks: '備考（省略可）',
  terminationDate: '解約日',
};

// ---------------------------------------------------------------------------------------------
// Drift guards: the served schemas must describe exactly what the services build.
// ---------------------------------------------------------------------------------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

/** Fails to compile when ReceiptDocument / ReceiptPayload change without their schemas. */
export type SchemasMatchServices = [
  Assert<Same<Omit<z.output<typeof ReceiptSchema>, 'event'>, Omit<ReceiptDocument, 'event'>>>,
  Assert<Same<z.output<typeof ReceiptPayloadSchema>, ReceiptPayload>>,
];
