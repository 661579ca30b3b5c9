// One row of 電子保証情報(履歴情報) as its own page (「選択」): that version's content, its issuance time, where it
// sits in the public log, and its 写し link. A corrected row shows the corrected content (the display rule).
import type { FC } from 'hono/jsx';
import { EVENT_LABELS } from '../../src/domain/certificate.ts';
import type { HistoryRow } from '../../src/domain/history.ts';
import type { CertificateDetail, LogEntryInfo } from '../../src/services/certificate-view.ts';
import type { SessionUser } from '../../src/services/sessions.ts';
import { Notice } from '../components/notice.tsx';
import { Layout } from '../layout.tsx';
import { certificatePath, copyPath, formatJst, productLabel } from './format.ts';
import {
  CertificateStyles,
  ContentTable,
  certificateTitle,
  HistoryNotes,
  HistoryTable,
  LogEntry,
  SummaryTable,
  TerminationTable,
  terminationOf,
} from './parts.tsx';

export const VersionPage: FC<{
  user: SessionUser;
  csrfToken: string;
  detail: CertificateDetail;
  row: HistoryRow;
  entry: LogEntryInfo;
}> = ({ user, csrfToken, detail, row, entry }) => {
  const cert = detail.certificate;
  const no = cert.contract_number;
  const label = EVENT_LABELS[row.event];
  const title = `${certificateTitle(cert.product)} No.${row.no} ${label}`;
  const isLatest = row.no === detail.projection.rows.length;
  const termination = terminationOf(detail.events, row);
  return (
    <Layout title={`${title} ${no}`} user={user} csrfToken={csrfToken} current="/certificates">
      <CertificateStyles />
      <nav class="breadcrumbs" aria-label="現在の位置">
        <ol>
          <li>
            <a href="/certificates">確認済み保証一覧</a>
          </li>
          <li>
            <a href={certificatePath(no)}>{no}</a>
          </li>
          <li aria-current="page">
            No.{row.no} {label}
          </li>
        </ol>
      </nav>
      <div class="cert-heading">
        <h1>{title}</h1>
        <p class="cert-heading__meta">
          保証契約番号 <span class="cert-number">{no}</span>　電子保証発行日時 {formatJst(row.issuedAt)}
        </p>
      </div>
      {isLatest ? null : (
        <Notice kind="info" title="過去の履歴を表示しています">
          <p>
            この画面は電子保証情報(履歴情報)の No.{row.no}（{label}）です。最新の内容は
            <a href={certificatePath(no)}>保証証書の画面</a>で確認してください。
          </p>
        </Notice>
      )}
      {row.event === 'termination' ? (
        <Notice kind="warning" title="解約">
          <p>この保証は {formatJst(row.issuedAt)} に解約されました。以下は解約時点の内容です。</p>
        </Notice>
      ) : null}

      <section class="cert-section" aria-labelledby="summary-title">
        <h2 id="summary-title">電子保証概要（{productLabel(cert.product)}）</h2>
        <SummaryTable
          contractNumber={no}
          content={row.content}
          caption={`電子保証概要（No.${row.no} ${label}）`}
          hideCaption
        />
      </section>

      <section class="cert-section" aria-labelledby="content-title">
        <h2 id="content-title">電子証書の内容</h2>
        <ContentTable
          contractNumber={no}
          content={row.content}
          suretyName={cert.surety_name}
          caption={`電子証書の内容（No.${row.no} ${label}）`}
          hideCaption
        />
        {termination ? <TerminationTable termination={termination} /> : null}
      </section>

      <section class="cert-section" aria-labelledby="log-title">
        <h2 id="log-title">公開ログでの記録</h2>
        <LogEntry logIndex={entry.logIndex} checkpoint={detail.checkpoint} leafHash={entry.leafHash} />
        <p>
          <a class="button button--secondary" href={copyPath(no, row.version)}>
            この履歴の写しを表示する
          </a>
        </p>
      </section>

      <section class="cert-section" aria-labelledby="history-title">
        <h2 id="history-title">電子保証情報(履歴情報)</h2>
        <HistoryNotes />
        <HistoryTable
          contractNumber={no}
          rows={detail.projection.rows}
          newSince={null}
          currentVersion={row.version}
        />
      </section>
    </Layout>
  );
};
