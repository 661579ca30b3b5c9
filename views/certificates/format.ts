// Display formats of the certificate screens (domain.md): JST date-times `2025/12/20 12:00:00`, yen `50,000,000 円`,
// 預託金融機関 `〇〇銀行 ××支店`, product and status labels. Pure functions, shared by the pages and the 写し.
import { PRODUCTS, type ProductCode } from '../../src/domain/certificate.ts';

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** domain.md: "Date-times are shown in JST as 2025/12/20 12:00:00" (JST has no daylight saving). */
export function formatJst(ms: number): string {
  const iso = new Date(ms + JST_OFFSET_MS).toISOString(); // 2025-12-20T03:00:00.000Z shifted to JST
  return `${iso.slice(0, 10).replaceAll('-', '/')} ${iso.slice(11, 19)}`;
}

/** A calendar date of the certificate (YYYY-MM-DD) in the same style: 2025/12/20. */
export function formatDate(date: string): string {
  return date.replaceAll('-', '/');
}

/** One formatter for every amount: toLocaleString() with options builds a new one per call (~10 % of a page). */
const YEN = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** domain.md: "Amounts are whole yen, shown `50,000,000 円`". */
export function formatYen(amount: number): string {
  return `${YEN.format(amount)} 円`;
}

/** seed: 預託金融機関 「〇〇銀行 ××支店」. */
export function formatBank(bank: { name: string; branch: string } | null): string {
  return bank === null ? '―' : `${bank.name} ${bank.branch}`;
}

export function productLabel(code: string): string {
  return code in PRODUCTS ? PRODUCTS[code as ProductCode].label : code;
}

export const STATUS_LABELS = { active: '有効', terminated: '解約' } as const;

export function statusLabel(status: 'active' | 'terminated'): string {
  return STATUS_LABELS[status];
}

/** Path of a certificate page; the number is URL-safe by its format, encoded anyway. */
export function certificatePath(contractNumber: string): string {
  return `/certificates/${encodeURIComponent(contractNumber)}`;
}

export function versionPath(contractNumber: string, version: number): string {
  return `${certificatePath(contractNumber)}/versions/${version}`;
}

export function copyPath(contractNumber: string, version: number): string {
  return `${versionPath(contractNumber, version)}/copy`;
}

export function inclusionProofPath(index: number, size: number): string {
  return `/log/certs/proof/inclusion?index=${index}&size=${size}`;
}
