// Building blocks shared by the certificate page, the version page and the 写し: the 電子保証概要 table laid out
// like the seed, the full 電子証書 content, the 電子保証情報(履歴情報) table and the log entry. All text is JSX-escaped.
import type { FC } from 'hono/jsx';
import type { CertificateContent } from '../../src/domain/certificate.ts';
import { EVENT_LABELS } from '../../src/domain/certificate.ts';
import type { HistoryRow, StoredEvent } from '../../src/domain/history.ts';
import { Badge } from '../components/badge.tsx';
import {
  formatBank,
  formatDate,
  formatJst,
  formatYen,
  inclusionProofPath,
  productLabel,
  statusLabel,
  versionPath,
} from './format.ts';

/**
 * The certificate print stylesheet (screen rules for these components too); linked from every page that uses them.
 * In <body>, because an htmx 保証確認 swaps the page's body in under the 保証確認 page's <head>.
 */
export const CertificateStyles: FC = () => <link rel="stylesheet" href="/static/certificate-print.css" />;

/** Every table has a caption (its accessible name); `hidden` when a heading just above already shows it. */
const Caption: FC<{ text: string; hidden?: boolean | undefined }> = ({ text, hidden }) => (
  <caption class={hidden ? 'visually-hidden' : undefined}>{text}</caption>
);

/** 「保証証書（前払金保証）」 — the title clerks know from D-Sure. */
export function certificateTitle(product: string): string {
  return `保証証書（${productLabel(product)}）`;
}

/** JV名 as one line: the JV's name, then its members. */
function jvText(jv: CertificateContent['jv']): string {
  if (jv === null) return '―';
  return `${jv.name}（構成員：${jv.members.map((m) => m.name).join('、')}）`;
}

/**
 * 電子保証概要, in the seed's arrangement (保証契約番号 · 請負契約者 · JV名 / 工事名 / 発注者名 / 請負金額 · 保証金額 /
 * 商品名 · 預託金融機関), as a table whose every value cell has its own row header.
 */
export const SummaryTable: FC<{
  contractNumber: string;
  content: CertificateContent;
  caption: string;
  /** The caption stays for screen readers but is not shown when a heading right above says the same. */
  hideCaption?: boolean;
}> = ({ contractNumber, content, caption, hideCaption }) => (
  <table class="cert-summary">
    <Caption text={caption} hidden={hideCaption} />
    <tbody>
      <tr>
        <th scope="row">保証契約番号</th>
        <td class="cert-number">{contractNumber}</td>
        <th scope="row">請負契約者</th>
        <td>{content.contractor.name}</td>
        <th scope="row">JV名</th>
        <td>{content.jv?.name ?? '―'}</td>
      </tr>
      <tr>
        <th scope="row">工事名</th>
        <td colspan={5}>{content.work.name}</td>
      </tr>
      <tr>
        <th scope="row">発注者名</th>
        <td colspan={5}>{content.orderer.name}</td>
      </tr>
      <tr>
        <th scope="row">請負金額</th>
        <td class="cert-amount">{formatYen(content.contractAmount)}</td>
        <th scope="row">保証金額</th>
        <td class="cert-amount" colspan={3}>
          {formatYen(content.guaranteeAmount)}
        </td>
      </tr>
      <tr>
        <th scope="row">商品名</th>
        <td>{productLabel(content.product)}</td>
        <th scope="row">預託金融機関</th>
        <td colspan={3}>{formatBank(content.depositBank)}</td>
      </tr>
    </tbody>
  </table>
);

/** The whole 電子証書 content, one labelled row per item (the terms the products add to the summary). */
export const ContentTable: FC<{
  contractNumber: string;
  content: CertificateContent;
  suretyName: string;
  caption: string;
  hideCaption?: boolean;
  status?: { status: 'active' | 'terminated'; terminatedAt: number | null };
}> = ({ contractNumber, content, suretyName, caption, hideCaption, status }) => (
  <table class="cert-content">
    <Caption text={caption} hidden={hideCaption} />
    <tbody>
      <tr>
        <th scope="row">保証契約番号</th>
        <td class="cert-number">{contractNumber}</td>
      </tr>
      <tr>
        <th scope="row">商品名</th>
        <td>{productLabel(content.product)}</td>
      </tr>
      <tr>
        <th scope="row">保証事業会社名</th>
        <td>{suretyName}</td>
      </tr>
      <tr>
        <th scope="row">発注者名</th>
        <td>
          {content.orderer.name}
          <span class="cert-sub">（発注者コード {content.orderer.code}）</span>
        </td>
      </tr>
      <tr>
        <th scope="row">請負契約者</th>
        <td>{content.contractor.name}</td>
      </tr>
      <tr>
        <th scope="row">JV名</th>
        <td>{jvText(content.jv)}</td>
      </tr>
      <tr>
        <th scope="row">工事名</th>
        <td>{content.work.name}</td>
      </tr>
      <tr>
        <th scope="row">工事場所</th>
        <td>{content.work.location ?? '―'}</td>
      </tr>
      <tr>
        <th scope="row">工期</th>
        <td>
          {formatDate(content.work.periodStart)} から {formatDate(content.work.periodEnd)} まで
        </td>
      </tr>
      <tr>
        <th scope="row">請負金額</th>
        <td class="cert-amount">{formatYen(content.contractAmount)}</td>
      </tr>
      <tr>
        <th scope="row">保証金額</th>
        <td class="cert-amount">{formatYen(content.guaranteeAmount)}</td>
      </tr>
      <tr>
        <th scope="row">保証期間</th>
        <td>
          {formatDate(content.guaranteePeriod.start)} から {formatDate(content.guaranteePeriod.end)} まで
        </td>
      </tr>
      <tr>
        <th scope="row">預託金融機関</th>
        <td>{formatBank(content.depositBank)}</td>
      </tr>
      <tr>
        <th scope="row">保証契約締結日</th>
        <td>{formatDate(content.contractDate)}</td>
      </tr>
      <tr>
        <th scope="row">備考</th>
        <td>{content.remarks ?? '―'}</td>
      </tr>
      {status ? (
        <tr>
          <th scope="row">状態</th>
          <td>
            <StatusText status={status.status} />
            {status.terminatedAt !== null
              ? `（解約の電子保証発行日時 ${formatJst(status.terminatedAt)}）`
              : null}
          </td>
        </tr>
      ) : null}
    </tbody>
  </table>
);

/** The 解約 event behind a 解約 row (its own terms: 解約日 and 備考), or null for any other row. */
export function terminationOf(
  events: readonly StoredEvent[],
  row: HistoryRow,
): { terminationDate: string; remarks: string | null; issuedAt: number } | null {
  const e = events[row.version - 1];
  if (row.event !== 'termination' || e?.payload.event !== 'termination') return null;
  return {
    terminationDate: e.payload.terminationDate,
    remarks: e.payload.remarks ?? null,
    issuedAt: e.issuedAt,
  };
}

/** What a 解約 event itself says (the content above it is the content in force when it ended). */
export const TerminationTable: FC<{
  termination: { terminationDate: string; remarks: string | null; issuedAt: number };
}> = ({ termination }) => (
  <table class="cert-content cert-termination">
    <caption>解約の内容</caption>
    <tbody>
      <tr>
        <th scope="row">解約日</th>
        <td>{formatDate(termination.terminationDate)}</td>
      </tr>
      <tr>
        <th scope="row">解約の電子保証発行日時</th>
        <td>{formatJst(termination.issuedAt)}</td>
      </tr>
      <tr>
        <th scope="row">備考（解約）</th>
        <td>{termination.remarks ?? '―'}</td>
      </tr>
    </tbody>
  </table>
);

/** 有効 / 解約 as words (never colour alone); the class only adds the frame. */
export const StatusText: FC<{ status: 'active' | 'terminated' }> = ({ status }) => (
  <span class={`cert-status cert-status--${status}`}>{statusLabel(status)}</span>
);

/** The two sentences the seed prints above the history table, kept word for word. */
export const HistoryNotes: FC = () => (
  <>
    <p class="cert-note">※訂正、変更取消された履歴は表示されません。</p>
    <p class="cert-note">
      電子保証発行日時とは、発注者が保証証書を確認するシステム(プラットフォーム)に保証証書が到着した日時のことです。
    </p>
  </>
);

/**
 * 電子保証情報(履歴情報): No · 電子保証発行日時 · 対象 · 選択, visible rows only (domain/history.ts applies the
 * display rule). Rows that arrived after this organisation last looked say so in words.
 */
export const HistoryTable: FC<{
  contractNumber: string;
  rows: HistoryRow[];
  newSince: number | null;
  currentVersion?: number;
}> = ({ contractNumber, rows, newSince, currentVersion }) => (
  <table class="table cert-history">
    <Caption text="電子保証情報(履歴情報)" hidden />
    <thead>
      <tr>
        <th scope="col">No.</th>
        <th scope="col">電子保証発行日時</th>
        <th scope="col">対象</th>
        <th scope="col">選択</th>
      </tr>
    </thead>
    <tbody>
      {rows.map((r) => (
        <tr aria-current={r.version === currentVersion ? 'true' : undefined}>
          <td class="cert-history__no">{r.no}</td>
          <td>{formatJst(r.issuedAt)}</td>
          <td>
            {EVENT_LABELS[r.event]}
            {newSince !== null && r.shownVersion > newSince ? <Badge kind="warning">前回表示後</Badge> : null}
            {r.version === currentVersion ? <span class="cert-history__here">（表示中）</span> : null}
          </td>
          <td>
            <a class="button button--secondary button--small" href={versionPath(contractNumber, r.version)}>
              選択
              <span class="visually-hidden">
                （No.{r.no} {EVENT_LABELS[r.event]}を表示）
              </span>
            </a>
          </td>
        </tr>
      ))}
    </tbody>
  </table>
);

/** Where this version sits in the public certificate log, and how anyone can check it. */
export const LogEntry: FC<{
  logIndex: number;
  checkpoint: { size: number; note: string };
  leafHash?: string;
}> = ({ logIndex, checkpoint, leafHash }) => (
  <dl class="cert-log">
    <div>
      <dt>ログ上の位置（インデックス）</dt>
      <dd>
        <code>{logIndex}</code>
      </dd>
    </div>
    {leafHash ? (
      <div>
        <dt>リーフハッシュ（base64）</dt>
        <dd>
          <code class="cert-hash">{leafHash}</code>
        </dd>
      </div>
    ) : null}
    <div>
      <dt>包含証明</dt>
      <dd>
        <a href={inclusionProofPath(logIndex, checkpoint.size)}>
          ログの大きさ {checkpoint.size} の木での包含証明（JSON）
        </a>
      </dd>
    </div>
    <div>
      <dt>署名付きチェックポイント</dt>
      <dd>
        <pre class="cert-checkpoint">{checkpoint.note}</pre>
      </dd>
    </div>
  </dl>
);
