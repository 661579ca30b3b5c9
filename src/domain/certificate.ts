// The certificate event payload (the JSON a surety signs and pushes): zod 4 schema, products, event kinds.
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Products and event kinds (domain.md "Products" and "History: events and the display rule")
// ---------------------------------------------------------------------------------------------

export type Issuer = '保証事業会社' | '損害保険会社';

/** domain.md: "one model for all issuers — our rule". `advance` marks the products that need a 預託金融機関. */
export const PRODUCTS = {
  advance_payment: { label: '前払金保証', issuer: '保証事業会社', advance: true },
  interim_advance_payment: { label: '中間前払金保証', issuer: '保証事業会社', advance: true },
  contract_guarantee: { label: '契約保証', issuer: '保証事業会社', advance: false },
  performance_insurance: { label: '履行保証保険', issuer: '損害保険会社', advance: false },
  performance_bond: { label: '公共工事履行保証証券', issuer: '損害保険会社', advance: false },
} as const satisfies Record<string, { label: string; issuer: Issuer; advance: boolean }>;

export type ProductCode = keyof typeof PRODUCTS;
export const PRODUCT_CODES = Object.keys(PRODUCTS) as [ProductCode, ...ProductCode[]];

export const EVENT_KINDS = ['issue', 'change', 'correction', 'change_cancel', 'termination'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** The 対象 column of the history table (seed: 「新規」 in 電子保証情報(履歴情報)). */
export const EVENT_LABELS: Record<EventKind, string> = {
  issue: '新規',
  change: '変更',
  correction: '訂正',
  change_cancel: '変更取消',
  termination: '解約',
};

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** Amounts are whole yen; 10^13 (10兆円) is far above any public works contract and well inside 2^53. */
export const MAX_AMOUNT = 10_000_000_000_000;
export const MIN_DATE = '2000-01-01';
export const MAX_DATE = '2100-12-31';
export const NAME_MAX = 200;
export const LOCATION_MAX = 200;
export const REMARKS_MAX = 2000;
export const JV_MEMBERS_MAX = 20;

// ---------------------------------------------------------------------------------------------
// Identifier rules (exported so the UI and the CLI can pre-check input the same way)
// ---------------------------------------------------------------------------------------------

/**
 * 全国地方公共団体コード (JIS X 0402) check digit: "a×6+b×5+c×4+d×3+e×2 を11で割った余りを 11 から
 * 引いた値の下一桁". Real codes: 那須塩原市 092134, 栃木県 090000.
 */
export function localGovernmentCheckDigit(first5: string): number {
  const weights = [6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < 5; i++) sum += Number(first5[i]) * (weights[i] ?? 0);
  return (11 - (sum % 11)) % 10;
}

/**
 * 法人番号 check digit (法人番号の指定等に関する省令 第二条): 9 − ((Σ_{n=1..12} Pn×Qn) mod 9), where Pn is
 * the n-th digit of the 12-digit 基礎番号 counted from the RIGHT and Qn = 1 for odd n, 2 for even n.
 * The check digit is the FIRST of the 13 digits. Real number: 国土交通省 2000012100001.
 */
export function corporateNumberCheckDigit(base12: string): number {
  let sum = 0;
  for (let n = 1; n <= 12; n++) {
    const p = Number(base12[12 - n]);
    sum += p * (n % 2 === 1 ? 1 : 2);
  }
  return 9 - (sum % 9);
}

/** 発注者コード: 6-digit 全国地方公共団体コード or 13-digit 法人番号, each with a valid check digit. */
export function isValidOrdererCode(code: string): boolean {
  if (/^[0-9]{6}$/.test(code)) return localGovernmentCheckDigit(code.slice(0, 5)) === Number(code[5]);
  if (/^[0-9]{13}$/.test(code)) return corporateNumberCheckDigit(code.slice(1)) === Number(code[0]);
  return false;
}

/** 保証契約番号, e.g. `31074-00001M`: upper-case ASCII letters/digits in segments joined by single hyphens. */
export const CONTRACT_NUMBER_RE = /^[A-Z0-9]+(?:-[A-Z0-9]+)*$/;
export const EVENT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function isValidContractNumber(s: string): boolean {
  return s.length >= 4 && s.length <= 32 && CONTRACT_NUMBER_RE.test(s);
}

/**
 * Characters refused in every text field (api.md: "control characters are refused"): Unicode Cc, lone
 * surrogates (they cannot be stored as UTF-8), U+2028/2029 (line breaks that break JS/HTML contexts), and
 * the bidi embeddings/overrides/isolates U+202A–202E, U+2066–2069 that can make a name read differently on
 * screen than it is stored ("Trojan Source").
 */
const FORBIDDEN_CHAR = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

function firstForbidden(s: string): string | null {
  const m = FORBIDDEN_CHAR.exec(s);
  if (!m) return null;
  const cp = m[0].codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** True for a real calendar date `YYYY-MM-DD` within MIN_DATE..MAX_DATE (2025-02-30 is not a date). */
export function isValidDate(s: string): boolean {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] ?? 0;
  return d <= days && s >= MIN_DATE && s <= MAX_DATE;
}

function isValidAmount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= MAX_AMOUNT;
}

// ---------------------------------------------------------------------------------------------
// Field builders. Every builder carries its own Japanese message, so the schema speaks Japanese even
// when another module calls `.safeParse` directly (we never touch the global z.config).
// ---------------------------------------------------------------------------------------------

type RawIssue = z.core.$ZodRawIssue;

/** Message for a wrong JSON type; a missing key arrives as input `undefined`. */
function typeError(label: string, expected: string) {
  return (iss: RawIssue) =>
    iss.input === undefined
      ? `${label}を指定してください（必須項目です）`
      : `${label}は${expected}で指定してください`;
}

/** Required text: NFC, trim, THEN the emptiness/length checks, so "  ＡＢ " counts as what is stored. */
function text(label: string, max: number) {
  return z
    .string({ error: typeError(label, '文字列') })
    .normalize('NFC')
    .trim()
    .min(1, { error: `${label}を入力してください（空欄や空白だけにはできません）` })
    .max(max, { error: `${label}は${max}文字以内にしてください` })
    .refine((s) => firstForbidden(s) === null, {
      error: (iss) =>
        `${label}に制御文字または文字の向きを変える特殊文字（${firstForbidden(String(iss.input)) ?? '?'}）が含まれています。取り除いてください`,
    });
}

/** Optional text: same rules, but absent, null or blank all become `null` so content compares simply. */
function optionalText(label: string, max: number) {
  return z
    .string({ error: typeError(label, '文字列または null') })
    .normalize('NFC')
    .trim()
    .max(max, { error: `${label}は${max}文字以内にしてください` })
    .refine((s) => firstForbidden(s) === null, {
      error: (iss) =>
        `${label}に制御文字または文字の向きを変える特殊文字（${firstForbidden(String(iss.input)) ?? '?'}）が含まれています。取り除いてください`,
    })
    .nullable()
    .optional()
    .transform((v): string | null => (v === undefined || v === null || v === '' ? null : v));
}

function dateField(label: string) {
  return z
    .string({ error: typeError(label, '日付の文字列（YYYY-MM-DD）') })
    .refine(isValidDate, {
      error: `${label}は${MIN_DATE}から${MAX_DATE}までの実在する日付を YYYY-MM-DD 形式で入力してください（例: 2025-12-20）`,
    })
    .meta({ description: label, format: 'date', examples: ['2025-12-20'] });
}

/** Whole yen: the JSON must carry a number, not "100" or "1,000". z.int() already limits to safe integers. */
function amount(label: string) {
  return z
    .int({
      error: (iss) =>
        iss.input === undefined
          ? `${label}を指定してください（必須項目です）`
          : `${label}は円単位の整数（数値型、桁区切りや小数なし）で指定してください`,
    })
    .min(1, { error: `${label}は1円以上にしてください` })
    .max(MAX_AMOUNT, { error: `${label}は10兆円（${MAX_AMOUNT}）以下にしてください` })
    .meta({ description: `${label}（円）` });
}

/** strictObject with a message that names the unknown keys (parseEventPayload also splits them per key). */
function strict<T extends z.core.$ZodLooseShape>(label: string, shape: T) {
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        return `定義されていない項目です。項目名の綴りを確認するか、削除してください`;
      }
      return iss.input === undefined || iss.input === null
        ? `${label}を指定してください（必須項目です）`
        : `${label}はオブジェクトで指定してください`;
    },
  });
}

/** `targetVersion` for events that act on no version: absent or null, normalised to null. */
const noTarget = z
  .null({
    error: 'この種別のイベントでは targetVersion を指定しないでください（省略するか null にしてください）',
  })
  .optional()
  .transform((): null => null);

const targetVersion = z
  .int({
    error: (iss) =>
      iss.input === undefined || iss.input === null
        ? '対象バージョン（targetVersion）を指定してください（訂正・変更取消では必須です）'
        : '対象バージョン（targetVersion）は1以上の整数で指定してください',
  })
  .min(1, { error: '対象バージョン（targetVersion）は1以上の整数で指定してください' });

const eventId = z.string({ error: typeError('イベントID（eventId）', '文字列') }).regex(EVENT_ID_RE, {
  error:
    'イベントID（eventId）は半角英数字で始まり、半角英数字と . _ : - だけを使った64文字以内にしてください',
});

const contractNumber = z
  .string({ error: typeError('保証契約番号', '文字列') })
  .min(4, { error: '保証契約番号は4文字以上32文字以内にしてください' })
  .max(32, { error: '保証契約番号は4文字以上32文字以内にしてください' })
  // Not silently upper-cased or width-folded: the number is an identifier the surety owns.
  .regex(CONTRACT_NUMBER_RE, {
    error:
      '保証契約番号は半角の英大文字・数字を1つのハイフンで区切った形にしてください（例: 31074-00001M）。小文字や全角文字、空白は使えません',
  })
  .meta({ description: '保証契約番号', examples: ['31074-00001M'] });

const ordererCode = z
  .string({ error: typeError('発注者コード', '文字列') })
  .regex(/^(?:[0-9]{6}|[0-9]{13})$/, {
    error:
      '発注者コードは全国地方公共団体コード（半角数字6桁、例: 092134）または法人番号（半角数字13桁）で指定してください',
  })
  .refine(isValidOrdererCode, {
    error: '発注者コードの検査数字（チェックディジット）が一致しません。コードに誤りがないか確認してください',
    // Only meaningful once the shape is right; otherwise the regex message above is the useful one.
    when: (p) => typeof p.value === 'string' && /^(?:[0-9]{6}|[0-9]{13})$/.test(p.value),
  })
  .meta({ description: '発注者コード（全国地方公共団体コード6桁または法人番号13桁）', examples: ['092134'] });

const product = z.enum(PRODUCT_CODES, {
  error: `商品（product）は ${PRODUCT_CODES.join(', ')} のいずれかを指定してください`,
});

// ---------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------

const orderer = strict('発注者（orderer）', {
  code: ordererCode,
  name: text('発注者名', NAME_MAX),
});

const contractor = strict('請負契約者（contractor）', {
  name: text('請負契約者名', NAME_MAX),
});

const jv = strict('JV（jv）', {
  name: text('JV名', NAME_MAX),
  members: z
    .array(strict('JV構成員', { name: text('JV構成員名', NAME_MAX) }), {
      error: typeError('JV構成員（members）', '配列'),
    })
    .min(1, { error: 'JV構成員（members）を1社以上指定してください' })
    .max(JV_MEMBERS_MAX, { error: `JV構成員（members）は${JV_MEMBERS_MAX}社以内にしてください` }),
}).nullable();

const work = strict('工事（work）', {
  name: text('工事名', NAME_MAX),
  location: optionalText('工事場所', LOCATION_MAX),
  periodStart: dateField('工期の開始日'),
  periodEnd: dateField('工期の終了日'),
});

const guaranteePeriod = strict('保証期間（guaranteePeriod）', {
  start: dateField('保証期間の開始日'),
  end: dateField('保証期間の終了日'),
});

const depositBank = strict('預託金融機関（depositBank）', {
  name: text('預託金融機関名', NAME_MAX),
  branch: text('預託金融機関の支店名', NAME_MAX),
}).nullable();

const contentShape = {
  product,
  orderer,
  contractor,
  jv,
  work,
  contractAmount: amount('請負金額'),
  guaranteeAmount: amount('保証金額'),
  guaranteePeriod,
  depositBank,
  contractDate: dateField('保証契約締結日'),
  remarks: optionalText('備考', REMARKS_MAX),
};

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}

/**
 * Cross-field rules of the content. `when: () => true` makes them run even if an unrelated field failed,
 * so a surety sees every problem at once; each rule re-checks its own inputs before comparing.
 */
function contentRules(value: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  const contractAmount = field(value, 'contractAmount');
  const guaranteeAmount = field(value, 'guaranteeAmount');
  // 保証金額 ≤ 請負金額: a guarantee larger than the contract it secures is a data-entry error.
  if (isValidAmount(contractAmount) && isValidAmount(guaranteeAmount) && guaranteeAmount > contractAmount) {
    ctx.addIssue({
      code: 'custom',
      path: ['guaranteeAmount'],
      message: '保証金額は請負金額以下にしてください',
      input: guaranteeAmount,
    });
  }
  const w = field(value, 'work');
  const ws = field(w, 'periodStart');
  const we = field(w, 'periodEnd');
  if (typeof ws === 'string' && typeof we === 'string' && isValidDate(ws) && isValidDate(we) && ws > we) {
    ctx.addIssue({
      code: 'custom',
      path: ['work', 'periodEnd'],
      message: '工期の終了日は開始日と同じか、それより後の日付にしてください',
      input: we,
    });
  }
  const g = field(value, 'guaranteePeriod');
  const gs = field(g, 'start');
  const ge = field(g, 'end');
  if (typeof gs === 'string' && typeof ge === 'string' && isValidDate(gs) && isValidDate(ge) && gs > ge) {
    ctx.addIssue({
      code: 'custom',
      path: ['guaranteePeriod', 'end'],
      message: '保証期間の終了日は開始日と同じか、それより後の日付にしてください',
      input: ge,
    });
  }
  // 預託金融機関 is part of the advance-payment certificate (the advance is paid into that account).
  const p = field(value, 'product');
  if (typeof p === 'string' && p in PRODUCTS && PRODUCTS[p as ProductCode].advance) {
    if (field(value, 'depositBank') === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['depositBank'],
        message: `${PRODUCTS[p as ProductCode].label}では預託金融機関（depositBank）の名称と支店名を指定してください`,
        input: null,
      });
    }
  }
}

const always = { when: () => true };

const IssueOrChange = (kind: 'issue' | 'change') =>
  strict('イベント', {
    eventId,
    event: z.literal(kind),
    contractNumber,
    targetVersion: noTarget,
    ...contentShape,
  }).superRefine(contentRules, always);

const IssueSchema = IssueOrChange('issue');
const ChangeSchema = IssueOrChange('change');

const CorrectionSchema = strict('イベント', {
  eventId,
  event: z.literal('correction'),
  contractNumber,
  targetVersion,
  ...contentShape,
}).superRefine(contentRules, always);

const ChangeCancelSchema = strict('イベント', {
  eventId,
  event: z.literal('change_cancel'),
  contractNumber,
  targetVersion,
  remarks: optionalText('備考', REMARKS_MAX),
});

const TerminationSchema = strict('イベント', {
  eventId,
  event: z.literal('termination'),
  contractNumber,
  targetVersion: noTarget,
  terminationDate: dateField('解約日'),
  remarks: optionalText('備考', REMARKS_MAX),
});

export const EventPayloadSchema = z.discriminatedUnion(
  'event',
  [IssueSchema, ChangeSchema, CorrectionSchema, ChangeCancelSchema, TerminationSchema],
  {
    error: (iss) =>
      (iss.code as string) === 'invalid_type'
        ? 'イベントは JSON オブジェクトで送ってください'
        : `イベント種別（event）は ${EVENT_KINDS.join(', ')} のいずれかを指定してください`,
  },
);

export type EventPayload = z.output<typeof EventPayloadSchema>;
export type EventPayloadInput = z.input<typeof EventPayloadSchema>;
export type ContentEventPayload = Extract<EventPayload, { event: 'issue' | 'change' | 'correction' }>;

export const CONTENT_KEYS = [
  'product',
  'orderer',
  'contractor',
  'jv',
  'work',
  'contractAmount',
  'guaranteeAmount',
  'guaranteePeriod',
  'depositBank',
  'contractDate',
  'remarks',
] as const;

export type CertificateContent = Pick<ContentEventPayload, (typeof CONTENT_KEYS)[number]>;

export function hasContent(payload: EventPayload): payload is ContentEventPayload {
  return payload.event === 'issue' || payload.event === 'change' || payload.event === 'correction';
}

/** The certificate content carried by an issue/change/correction (a fresh object); null for the others. */
export function contentOf(payload: EventPayload): CertificateContent | null {
  if (!hasContent(payload)) return null;
  return {
    product: payload.product,
    orderer: payload.orderer,
    contractor: payload.contractor,
    jv: payload.jv,
    work: payload.work,
    contractAmount: payload.contractAmount,
    guaranteeAmount: payload.guaranteeAmount,
    guaranteePeriod: payload.guaranteePeriod,
    depositBank: payload.depositBank,
    contractDate: payload.contractDate,
    remarks: payload.remarks,
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing with flat, Japanese errors (api.md: problem+json `errors: [{ path, message }]`)
// ---------------------------------------------------------------------------------------------

export interface ValidationError {
  path: string;
  message: string;
}

export type ParseResult = { ok: true; value: EventPayload } | { ok: false; errors: ValidationError[] };

/** Fallback for any issue a builder above did not word itself: zod's own Japanese locale. */
const jaLocale = z.locales.ja().localeError;

function flatten(issues: readonly z.core.$ZodIssue[]): ValidationError[] {
  const out: ValidationError[] = [];
  for (const iss of issues) {
    const base = iss.path.map(String);
    if (iss.code === 'unrecognized_keys') {
      // One row per unknown key, pointing at the key itself, so a form can highlight it.
      for (const key of iss.keys) {
        out.push({
          path: [...base, key].join('.'),
          message: `「${key}」は定義されていない項目です。項目名の綴りを確認するか、削除してください`,
        });
      }
      continue;
    }
    out.push({ path: base.join('.'), message: iss.message });
  }
  return out;
}

export function parseEventPayload(json: unknown): ParseResult {
  const r = EventPayloadSchema.safeParse(json, { error: jaLocale });
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, errors: flatten(r.error.issues) };
}
