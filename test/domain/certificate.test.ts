// Tests for the certificate event schema: valid payloads for every product/event kind and one failure per rule.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  contentOf,
  corporateNumberCheckDigit,
  EVENT_KINDS,
  EVENT_LABELS,
  EventPayloadSchema,
  isValidOrdererCode,
  localGovernmentCheckDigit,
  PRODUCT_CODES,
  PRODUCTS,
  type ProductCode,
  parseEventPayload,
} from '../../src/domain/certificate.ts';

type Json = Record<string, unknown>;

function content(product: ProductCode = 'advance_payment'): Json {
  return {
    product,
    orderer: { code: '092134', name: '那須塩原市長' },
    contractor: { name: '〇〇建設 株式会社' },
    jv: null,
    work: {
      name: '●●●●工事',
      location: '那須塩原市共墾社119-1',
      periodStart: '2025-12-20',
      periodEnd: '2026-03-31',
    },
    contractAmount: 50_000_000,
    guaranteeAmount: 20_000_000,
    guaranteePeriod: { start: '2025-12-20', end: '2026-04-30' },
    depositBank: PRODUCTS[product].advance ? { name: '〇〇銀行', branch: '××支店' } : null,
    contractDate: '2025-12-19',
    remarks: null,
  };
}

function issue(over: Json = {}, product: ProductCode = 'advance_payment'): Json {
  return {
    eventId: 'ejcs-2025-000123',
    event: 'issue',
    contractNumber: '31074-00001M',
    ...content(product),
    ...over,
  };
}

/** Replaces a nested value by dotted path on a deep copy. */
function withPath(obj: Json, path: string, value: unknown): Json {
  const copy = structuredClone(obj);
  const keys = path.split('.');
  let cur: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

function ok(input: unknown) {
  const r = parseEventPayload(input);
  if (!r.ok) throw new Error(`expected valid, got ${JSON.stringify(r.errors)}`);
  return r.value;
}

function errors(input: unknown) {
  const r = parseEventPayload(input);
  if (r.ok) throw new Error(`expected invalid: ${JSON.stringify(input)}`);
  for (const e of r.errors) {
    // Every message is Japanese, polite, and tells the sender what to do.
    expect(e.message).toMatch(/ください/);
  }
  return r.errors;
}

function expectErrorAt(input: unknown, path: string) {
  const errs = errors(input);
  expect(errs.map((e) => e.path)).toContain(path);
  return errs.find((e) => e.path === path)?.message ?? '';
}

describe('constants', () => {
  it('lists the five products with issuer and advance flag', () => {
    expect(PRODUCT_CODES).toEqual([
      'advance_payment',
      'interim_advance_payment',
      'contract_guarantee',
      'performance_insurance',
      'performance_bond',
    ]);
    expect(PRODUCTS.advance_payment).toEqual({ label: '前払金保証', issuer: '保証事業会社', advance: true });
    expect(PRODUCTS.interim_advance_payment.label).toBe('中間前払金保証');
    expect(PRODUCTS.performance_bond).toEqual({
      label: '公共工事履行保証証券',
      issuer: '損害保険会社',
      advance: false,
    });
    expect(EVENT_KINDS).toEqual(['issue', 'change', 'correction', 'change_cancel', 'termination']);
    expect(EVENT_LABELS).toEqual({
      issue: '新規',
      change: '変更',
      correction: '訂正',
      change_cancel: '変更取消',
      termination: '解約',
    });
  });
});

describe('valid payloads', () => {
  it.each(PRODUCT_CODES)('accepts an issue of %s', (product) => {
    const v = ok(issue({}, product));
    expect(v.event).toBe('issue');
    expect(v.targetVersion).toBeNull();
    expect(contentOf(v)?.product).toBe(product);
  });

  it('accepts the api.md example verbatim', () => {
    const v = ok(issue({ targetVersion: null }));
    expect(v).toMatchObject({ contractNumber: '31074-00001M', guaranteeAmount: 20_000_000, remarks: null });
  });

  it('accepts a deposit bank on a non-advance product', () => {
    ok(issue({ depositBank: { name: '〇〇銀行', branch: '本店' } }, 'contract_guarantee'));
  });

  it('accepts a JV with members', () => {
    const v = ok(
      issue({
        jv: { name: '〇〇・△△特定建設工事共同企業体', members: [{ name: '〇〇建設' }, { name: '△△工業' }] },
      }),
    );
    expect(contentOf(v)?.jv?.members).toHaveLength(2);
  });

  it('accepts a change', () => {
    expect(ok({ ...issue(), event: 'change', contractAmount: 60_000_000 }).event).toBe('change');
  });

  it('accepts a correction with targetVersion', () => {
    const v = ok({ ...issue(), event: 'correction', targetVersion: 1 });
    expect(v.event === 'correction' && v.targetVersion).toBe(1);
  });

  it('accepts a change_cancel and has no content', () => {
    const v = ok({
      eventId: 'e-2',
      event: 'change_cancel',
      contractNumber: '31074-00001M',
      targetVersion: 2,
    });
    expect(contentOf(v)).toBeNull();
    expect(v.event === 'change_cancel' && v.remarks).toBeNull();
  });

  it('accepts a termination and has no content', () => {
    const v = ok({
      eventId: 'e-3',
      event: 'termination',
      contractNumber: '31074-00001M',
      terminationDate: '2026-01-31',
      remarks: '工事中止のため',
    });
    expect(contentOf(v)).toBeNull();
    expect(v.targetVersion).toBeNull();
  });

  it('normalises optional text: absent/blank → null', () => {
    const v = ok(withPath(withPath(issue(), 'work.location', undefined), 'remarks', '   '));
    const c = contentOf(v);
    expect(c?.work.location).toBeNull();
    expect(c?.remarks).toBeNull();
  });

  it('accepts the boundaries: amount 1 and 10^13, 200-char names, 32/4-char contract numbers', () => {
    ok(issue({ contractAmount: 10 ** 13, guaranteeAmount: 1 }));
    ok(withPath(issue(), 'contractor.name', 'あ'.repeat(200)));
    ok(issue({ contractNumber: `A${'-B'.repeat(15)}C` }));
    ok(issue({ contractNumber: 'AB12' }));
    ok(issue({ guaranteeAmount: 50_000_000 }));
    ok(withPath(issue(), 'guaranteePeriod.end', '2025-12-20'));
    ok(issue({ contractDate: '2024-02-29' }));
    ok(issue({ contractDate: '2000-01-01' }));
    ok(issue({ contractDate: '2100-12-31' }));
  });
});

describe('amounts', () => {
  it.each([
    ['zero', 0],
    ['negative', -1],
    ['over 10^13', 10 ** 13 + 1],
    ['fraction', 1.5],
    ['string', '100'],
    ['null', null],
    ['unsafe integer', 2 ** 53],
  ])('rejects %s', (_name, value) => {
    const msg = expectErrorAt(issue({ contractAmount: value }), 'contractAmount');
    expect(msg).toContain('請負金額');
  });

  it('reports a missing amount as required', () => {
    expect(expectErrorAt(withPath(issue(), 'guaranteeAmount', undefined), 'guaranteeAmount')).toContain(
      '必須',
    );
  });

  it('rejects guarantee > contract at guaranteeAmount', () => {
    const msg = expectErrorAt(issue({ guaranteeAmount: 50_000_001 }), 'guaranteeAmount');
    expect(msg).toBe('保証金額は請負金額以下にしてください');
  });

  it('reports the cross-field rule together with unrelated errors', () => {
    const errs = errors(issue({ guaranteeAmount: 60_000_000, eventId: '-bad' }));
    expect(errs.map((e) => e.path).sort()).toEqual(['eventId', 'guaranteeAmount']);
  });
});

describe('dates', () => {
  it.each([
    ['2025-02-30'],
    ['2025-02-29'],
    ['2100-02-29'],
    ['2025-13-01'],
    ['2025-00-10'],
    ['2025-04-31'],
    ['1999-12-31'],
    ['2101-01-01'],
    ['2025-1-5'],
    ['2025/12/20'],
    ['２０２５-12-20'],
    ['2025-12-20T00:00:00Z'],
  ])('rejects %s', (d) => {
    expect(expectErrorAt(issue({ contractDate: d }), 'contractDate')).toContain('YYYY-MM-DD');
  });

  it('rejects a reversed work period at work.periodEnd', () => {
    expectErrorAt(withPath(issue(), 'work.periodEnd', '2025-12-19'), 'work.periodEnd');
  });

  it('rejects a reversed guarantee period at guaranteePeriod.end', () => {
    expect(
      expectErrorAt(withPath(issue(), 'guaranteePeriod.end', '2025-12-01'), 'guaranteePeriod.end'),
    ).toContain('保証期間');
  });

  it('rejects a bad termination date', () => {
    expectErrorAt(
      { eventId: 'e', event: 'termination', contractNumber: '31074-00001M', terminationDate: '2025-02-30' },
      'terminationDate',
    );
  });
});

describe('strings', () => {
  it.each([
    ['contractor.name', 'BEL \u0007 建設'],
    ['contractor.name', '建設\u202E株式会社'],
    ['work.name', 'A\u2066B\u2069'],
    ['orderer.name', '那須塩原市\u2028長'],
    ['work.location', '1行目\n2行目'],
    ['remarks', 'タブ\tあり'],
    ['depositBank.branch', '\u202A支店'],
    ['contractor.name', 'lone \uD800 surrogate'],
    ['contractor.name', 'DEL\u007F'],
  ])('rejects control/bidi characters in %s', (path, value) => {
    expect(expectErrorAt(withPath(issue(), path, value), path)).toMatch(/U\+[0-9A-F]{4}/);
  });

  it('rejects a bidi override in a JV member name at jv.members.0.name', () => {
    const input = issue({ jv: { name: 'JV', members: [{ name: 'evil\u202Egnp.exe' }] } });
    expectErrorAt(input, 'jv.members.0.name');
  });

  it.each([
    ['contractor.name', 201],
    ['work.name', 201],
    ['work.location', 201],
    ['remarks', 2001],
    ['depositBank.name', 201],
  ])('rejects an over-long %s (%i chars)', (path, n) => {
    expect(expectErrorAt(withPath(issue(), path, 'あ'.repeat(n)), path)).toMatch(/文字以内/);
  });

  it('accepts 2000-char remarks', () => {
    expect(contentOf(ok(issue({ remarks: 'あ'.repeat(2000) })))?.remarks).toHaveLength(2000);
  });

  it('NFC-normalises: か + combining dakuten → が, before the length check', () => {
    const v = ok(withPath(issue(), 'contractor.name', 'か\u3099'.repeat(150)));
    expect(contentOf(v)?.contractor.name).toBe('が'.repeat(150));
  });

  it('trims before the emptiness and length checks', () => {
    const v = ok(withPath(issue(), 'contractor.name', `\u3000 ${'あ'.repeat(200)} \u3000`));
    expect(contentOf(v)?.contractor.name).toBe('あ'.repeat(200));
    expect(contentOf(ok(withPath(issue(), 'work.name', '  工事 ')))?.work.name).toBe('工事');
    expectErrorAt(withPath(issue(), 'contractor.name', ' \u3000 '), 'contractor.name');
    expectErrorAt(withPath(issue(), 'contractor.name', ''), 'contractor.name');
  });

  it('rejects a non-string name', () => {
    expectErrorAt(withPath(issue(), 'contractor.name', 42), 'contractor.name');
  });
});

describe('identifiers', () => {
  it.each([
    ['lower-case', '31074-00001m'],
    ['full-width digits', '３１０７４-00001M'],
    ['double hyphen', '31074--00001M'],
    ['leading hyphen', '-31074'],
    ['trailing hyphen', '31074-'],
    ['space', '31074 00001M'],
    ['surrounding space', ' 31074-00001M'],
    ['too short', 'A1B'],
    ['too long', 'A'.repeat(33)],
    ['empty', ''],
    ['underscore', '31074_00001M'],
  ])('rejects a contract number with %s', (_name, value) => {
    expect(expectErrorAt(issue({ contractNumber: value }), 'contractNumber')).toContain('保証契約番号');
  });

  it.each([['-start'], ['a'.repeat(65)], ['has space'], [''], ['日本語']])('rejects eventId %j', (value) => {
    expectErrorAt(issue({ eventId: value }), 'eventId');
  });

  it('accepts eventIds with . _ : -', () => {
    ok(issue({ eventId: `a${'._:-'.repeat(15)}bcd` }));
  });
});

describe('orderer code', () => {
  it('computes the JIS X 0402 check digit', () => {
    expect(localGovernmentCheckDigit('09213')).toBe(4);
    expect(localGovernmentCheckDigit('09000')).toBe(0); // remainder 1 → 10 → 0
    expect(localGovernmentCheckDigit('13000')).toBe(1); // remainder 0 → 11 → 1
  });

  it('computes the 法人番号 check digit (worked example from the 省令 commentary)', () => {
    expect(corporateNumberCheckDigit('123456789012')).toBe(7);
  });

  it.each([
    ['092134', '那須塩原市'],
    ['090000', '栃木県'],
    ['130001', '東京都'],
    ['141003', '横浜市'],
    ['2000012100001', '国土交通省'],
    ['4011001098993', '株式会社 (法人番号 example)'],
  ])('accepts the real code %s (%s)', (code) => {
    expect(isValidOrdererCode(code)).toBe(true);
    ok(withPath(issue(), 'orderer.code', code));
  });

  it.each([['092135'], ['092143'], ['090001'], ['2000012100002'], ['3000012100001'], ['0000012100001']])(
    'rejects %s (bad check digit)',
    (code) => {
      expect(expectErrorAt(withPath(issue(), 'orderer.code', code), 'orderer.code')).toContain('検査数字');
    },
  );

  it.each([['09213'], ['0921345'], ['０９２１３４'], ['09213a'], ['']])('rejects %j (bad shape)', (code) => {
    expect(expectErrorAt(withPath(issue(), 'orderer.code', code), 'orderer.code')).toContain('6桁');
  });

  it('detects every single-digit typo in 092134', () => {
    const code = '092134';
    for (let i = 0; i < code.length; i++) {
      for (let d = 0; d <= 9; d++) {
        const typo = code.slice(0, i) + String(d) + code.slice(i + 1);
        if (typo !== code) expect(isValidOrdererCode(typo), typo).toBe(false);
      }
    }
  });

  it('detects single-digit typos in 2000012100001 except the 0↔9 swaps mod 9 cannot see', () => {
    // The 法人番号 rule works mod 9 with weights 1/2, so replacing a base digit 0 by 9 (or 9 by 0) keeps
    // the sum mod 9: a known blind spot of the official formula, not of our implementation.
    const code = '2000012100001';
    for (let i = 0; i < code.length; i++) {
      for (let d = 0; d <= 9; d++) {
        const orig = Number(code[i]);
        const typo = code.slice(0, i) + String(d) + code.slice(i + 1);
        if (typo === code) continue;
        const blind = i > 0 && Math.abs(d - orig) === 9;
        expect(isValidOrdererCode(typo), typo).toBe(blind);
      }
    }
  });
});

describe('deposit bank', () => {
  it.each(PRODUCT_CODES.filter((p) => PRODUCTS[p].advance))('is required for %s', (product) => {
    expect(expectErrorAt(issue({ depositBank: null }, product), 'depositBank')).toContain('預託金融機関');
    expect(
      expectErrorAt({ ...issue({}, product), event: 'change', depositBank: null }, 'depositBank'),
    ).toBeTruthy();
  });

  it('key is required even for non-advance products (null allowed)', () => {
    expectErrorAt(withPath(issue({}, 'performance_bond'), 'depositBank', undefined), 'depositBank');
  });

  it('requires both name and branch', () => {
    expectErrorAt(issue({ depositBank: { name: '〇〇銀行' } }), 'depositBank.branch');
  });
});

describe('structure', () => {
  it('rejects unknown keys at their own path', () => {
    expect(expectErrorAt(issue({ foo: 1 }), 'foo')).toContain('foo');
    expectErrorAt(withPath(issue(), 'work.bar', 1), 'work.bar');
    expectErrorAt(issue({ jv: { name: 'JV', members: [{ name: 'A', share: 50 }] } }), 'jv.members.0.share');
  });

  it('rejects content keys on change_cancel and termination', () => {
    expectErrorAt(
      {
        eventId: 'e',
        event: 'change_cancel',
        contractNumber: '31074-00001M',
        targetVersion: 2,
        contractAmount: 1,
      },
      'contractAmount',
    );
    expectErrorAt(
      {
        eventId: 'e',
        event: 'termination',
        contractNumber: '31074-00001M',
        terminationDate: '2026-01-01',
        jv: null,
      },
      'jv',
    );
  });

  it('validates the JV member count', () => {
    expectErrorAt(issue({ jv: { name: 'JV', members: [] } }), 'jv.members');
    const many = Array.from({ length: 21 }, (_, i) => ({ name: `社${i}` }));
    expectErrorAt(issue({ jv: { name: 'JV', members: many } }), 'jv.members');
    ok(issue({ jv: { name: 'JV', members: many.slice(0, 20) } }));
  });

  it('requires jv (null allowed)', () => {
    expect(expectErrorAt(withPath(issue(), 'jv', undefined), 'jv')).toContain('必須');
  });

  it('checks targetVersion per event kind', () => {
    expectErrorAt(issue({ targetVersion: 2 }), 'targetVersion');
    expectErrorAt({ ...issue(), event: 'correction' }, 'targetVersion');
    expectErrorAt({ ...issue(), event: 'correction', targetVersion: 0 }, 'targetVersion');
    expectErrorAt({ ...issue(), event: 'correction', targetVersion: 1.5 }, 'targetVersion');
    expectErrorAt({ eventId: 'e', event: 'change_cancel', contractNumber: '31074-00001M' }, 'targetVersion');
    expectErrorAt(
      {
        eventId: 'e',
        event: 'termination',
        contractNumber: '31074-00001M',
        terminationDate: '2026-01-01',
        targetVersion: 1,
      },
      'targetVersion',
    );
  });

  it('rejects an unknown event kind and non-objects', () => {
    expectErrorAt(issue({ event: 'reissue' }), 'event');
    expectErrorAt(withPath(issue(), 'event', undefined), 'event');
    expectErrorAt(null, '');
    expectErrorAt([], '');
    expectErrorAt('issue', '');
  });

  it('rejects an unknown product', () => {
    expectErrorAt(issue({ product: 'bid_bond' }), 'product');
  });

  it('rejects a non-object nested value', () => {
    expectErrorAt(issue({ work: 'x' }), 'work');
    expectErrorAt(issue({ orderer: null }), 'orderer');
  });
});

describe('JSON Schema', () => {
  it('z.toJSONSchema(input) does not throw and describes the five event kinds', () => {
    const js = z.toJSONSchema(EventPayloadSchema, { io: 'input', unrepresentable: 'any' }) as unknown as {
      oneOf: { properties: { event: { const: string } }; additionalProperties: boolean }[];
    };
    expect(js.oneOf.map((o) => o.properties.event.const)).toEqual([...EVENT_KINDS]);
    expect(js.oneOf.every((o) => o.additionalProperties === false)).toBe(true);
    expect(JSON.stringify(js)).toContain('"format":"date"');
  });

  it('z.toJSONSchema(output) does not throw either', () => {
    expect(() => z.toJSONSchema(EventPayloadSchema, { io: 'output', unrepresentable: 'any' })).not.toThrow();
  });
});
