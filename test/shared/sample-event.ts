// The seed leaflet's 前払金保証 (那須塩原市長, ●●●●工事, 請負金額 5,000万円) as an `issue` event body — the one
// sample certificate of the tests, benchmarks and fixtures. Runtime-neutral (no imports): it also runs in workerd.

export interface SampleIds {
  eventId: string;
  contractNumber: string;
}

export function sampleIssueEvent(
  ids: SampleIds,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> & SampleIds {
  return {
    eventId: ids.eventId,
    event: 'issue',
    targetVersion: null,
    contractNumber: ids.contractNumber,
    product: 'advance_payment',
    orderer: { code: '092134', name: '那須塩原市長' },
    contractor: { name: '〇〇建設 株式会社' },
    jv: null,
    work: {
      name: '●●●●工事',
      location: '那須塩原市共墾社一丁目',
      periodStart: '2025-12-20',
      periodEnd: '2026-03-31',
    },
    contractAmount: 50_000_000,
    guaranteeAmount: 20_000_000,
    guaranteePeriod: { start: '2025-12-20', end: '2026-04-30' },
    depositBank: { name: '〇〇銀行', branch: '××支店' },
    contractDate: '2025-12-19',
    remarks: null,
    ...overrides,
  } as Record<string, unknown> & SampleIds;
}
