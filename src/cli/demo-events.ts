// The demo's certificates (`npm run demo`, and the first two for `npm run cf:demo`): the seed's 前払金保証 with a 変更
// and its 訂正, a 契約保証, a 栃木県 中間前払金保証, a 国土交通省 履行保証保険 with a 変更 and its 変更取消, and a 解約. One
// list, so both demos show the same certificates. Runtime-neutral data only.

export type Json = Record<string, unknown>;

const nasushiobara = { code: '092134', name: '那須塩原市長' };
const advanceWork = {
  name: '●●●●工事',
  location: '那須塩原市共墾社一丁目地内',
  periodStart: '2025-12-20',
  periodEnd: '2026-03-31',
};

function content(over: Json): Json {
  return {
    targetVersion: null,
    contractor: { name: '〇〇建設 株式会社' },
    jv: null,
    contractDate: '2025-12-19',
    remarks: null,
    ...over,
  };
}

/** The seed certificate and friends, in push order: [surety, label, event]. */
export function demoEvents(): { surety: 'ejcs' | 'sompo-demo'; story: string; event: Json }[] {
  const first = content({
    eventId: 'demo-0001-issue',
    event: 'issue',
    contractNumber: '31074-00001M',
    product: 'advance_payment',
    orderer: nasushiobara,
    work: advanceWork,
    contractAmount: 50_000_000,
    guaranteeAmount: 20_000_000,
    guaranteePeriod: { start: '2025-12-20', end: '2026-04-30' },
    depositBank: { name: '〇〇銀行', branch: '××支店' },
  });
  const change = {
    ...first,
    eventId: 'demo-0001-change',
    event: 'change',
    contractAmount: 60_000_000,
    guaranteeAmount: 24_000_000,
    remarks: '変更契約（請負金額の増額）',
  };
  const correction = {
    ...change,
    eventId: 'demo-0001-correction',
    event: 'correction',
    targetVersion: 2,
    guaranteePeriod: { start: '2025-12-20', end: '2026-05-29' },
    remarks: '変更契約（請負金額の増額）— 保証期間の誤記を訂正',
  };
  const contractGuarantee = content({
    eventId: 'demo-0002-issue',
    event: 'issue',
    contractNumber: '31074-00002M',
    product: 'contract_guarantee',
    orderer: nasushiobara,
    work: advanceWork,
    contractAmount: 50_000_000,
    guaranteeAmount: 5_000_000,
    guaranteePeriod: { start: '2025-12-19', end: '2026-03-31' },
    depositBank: null,
  });
  const tochigi = content({
    eventId: 'demo-0003-issue',
    event: 'issue',
    contractNumber: '31074-00003M',
    product: 'interim_advance_payment',
    orderer: { code: '090000', name: '栃木県知事' },
    contractor: { name: '△△土木 株式会社' },
    work: {
      name: '県道△△線道路改良工事',
      location: '栃木県大田原市',
      periodStart: '2025-10-01',
      periodEnd: '2026-06-30',
    },
    contractAmount: 80_000_000,
    guaranteeAmount: 16_000_000,
    guaranteePeriod: { start: '2026-01-10', end: '2026-07-31' },
    depositBank: { name: '〇〇銀行', branch: '宇都宮支店' },
    contractDate: '2026-01-09',
  });
  const mlit = content({
    eventId: 'sompo-demo-0001-issue',
    event: 'issue',
    contractNumber: 'SD2025-000777',
    product: 'performance_insurance',
    orderer: { code: '2000012100001', name: '国土交通省' },
    contractor: { name: '□□建設 株式会社' },
    work: {
      name: '国道4号 ○○橋補修工事',
      location: '栃木県那須塩原市',
      periodStart: '2025-11-01',
      periodEnd: '2026-09-30',
    },
    contractAmount: 120_000_000,
    guaranteeAmount: 12_000_000,
    guaranteePeriod: { start: '2025-11-01', end: '2026-09-30' },
    depositBank: null,
    contractDate: '2025-10-31',
  });
  const mlitChange = {
    ...mlit,
    eventId: 'sompo-demo-0001-change',
    event: 'change',
    guaranteeAmount: 18_000_000,
    remarks: '保証金額の増額（誤送信）',
  };
  const mlitCancel = {
    eventId: 'sompo-demo-0001-cancel',
    event: 'change_cancel',
    contractNumber: 'SD2025-000777',
    targetVersion: 2,
    remarks: '誤って送信した変更を取り消します',
  };
  const ended = content({
    eventId: 'demo-0004-issue',
    event: 'issue',
    contractNumber: '31074-00004M',
    product: 'contract_guarantee',
    orderer: nasushiobara,
    contractor: { name: '◇◇工業 株式会社' },
    work: {
      name: '××地区排水路工事',
      location: '那須塩原市',
      periodStart: '2025-12-01',
      periodEnd: '2026-02-27',
    },
    contractAmount: 30_000_000,
    guaranteeAmount: 3_000_000,
    guaranteePeriod: { start: '2025-12-01', end: '2026-02-27' },
    depositBank: null,
    contractDate: '2025-11-28',
  });
  const termination = {
    eventId: 'demo-0004-termination',
    event: 'termination',
    contractNumber: '31074-00004M',
    terminationDate: '2026-01-15',
    remarks: '契約解除に伴う解約',
  };
  return [
    { surety: 'ejcs', story: '前払金保証 新規', event: first },
    { surety: 'ejcs', story: '変更（保証金額 20,000,000 → 24,000,000 円）', event: change },
    { surety: 'ejcs', story: '訂正（変更の保証期間）', event: correction },
    { surety: 'ejcs', story: '契約保証 新規', event: contractGuarantee },
    { surety: 'ejcs', story: '中間前払金保証 新規', event: tochigi },
    { surety: 'sompo-demo', story: '履行保証保険 新規', event: mlit },
    { surety: 'sompo-demo', story: '変更', event: mlitChange },
    { surety: 'sompo-demo', story: '変更取消', event: mlitCancel },
    { surety: 'ejcs', story: '契約保証 新規', event: ended },
    { surety: 'ejcs', story: '解約', event: termination },
  ];
}

/** A new certificate that is not pushed: the file the demo prints a ready-to-run `densho push` command for. */
export function demoExampleEvent(eventId: string): Json {
  return content({
    eventId,
    event: 'issue',
    contractNumber: '31074-00005M',
    product: 'advance_payment',
    orderer: nasushiobara,
    work: { ...advanceWork, name: '□□□□工事' },
    contractAmount: 40_000_000,
    guaranteeAmount: 16_000_000,
    guaranteePeriod: { start: '2026-01-05', end: '2026-04-30' },
    depositBank: { name: '〇〇銀行', branch: '××支店' },
  });
}
