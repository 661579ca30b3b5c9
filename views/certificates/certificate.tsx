// 保証証書 page: 電子保証概要 as in the seed, the full 電子証書 content, the "changed since you last looked" notice,
// 電子保証情報(履歴情報) under the display rule, the log entry, 受領/返戻 (page + the htmx fragment) and the 写し link.
import type { FC } from 'hono/jsx';
import type { AcknowledgementWithUser } from '../../src/repos/acknowledgements.ts';
import { REASON_MAX } from '../../src/services/acknowledge.ts';
import type { CertificateDetail } from '../../src/services/certificate-view.ts';
import type { SessionUser } from '../../src/services/sessions.ts';
import { CsrfField } from '../components/csrf-field.tsx';
import { ErrorSummary } from '../components/error-summary.tsx';
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
  StatusText,
  SummaryTable,
} from './parts.tsx';

export interface AckFormState {
  /** The reason as typed, kept on a 422 re-render. */
  reason: string;
  error: string | null;
  /** Set right after a mark was recorded (the htmx response; the no-JS flow shows it via ?ack=…). */
  recorded: 'received' | 'returned' | null;
}

export const EMPTY_ACK_FORM: AckFormState = { reason: '', error: null, recorded: null };

const KIND_LABEL = { received: '受領', returned: '返戻' } as const;

function who(a: AcknowledgementWithUser): string {
  return a.user_name ?? a.user_login;
}

/** 受領 / 返戻: the latest mark, the two forms (clerk and admin only), and earlier marks as a history table. */
export const AckPanel: FC<{
  contractNumber: string;
  acknowledgements: AcknowledgementWithUser[];
  canAcknowledge: boolean;
  form: AckFormState;
  csrfToken: string;
}> = ({ contractNumber, acknowledgements, canAcknowledge, form, csrfToken }) => {
  const latest = acknowledgements[0];
  const action = `${certificatePath(contractNumber)}/acknowledgements`;
  return (
    <section id="ack-panel" class="cert-section cert-ack" aria-labelledby="ack-title">
      <h2 id="ack-title">受領・返戻</h2>
      {form.recorded ? (
        <Notice kind="success" title={`${KIND_LABEL[form.recorded]}を記録しました`} live>
          <p>この記録は、保証事業会社が確認できます。</p>
        </Notice>
      ) : null}
      {form.error ? <ErrorSummary errors={[{ field: 'ack-reason', message: form.error }]} /> : null}
      <p class="cert-ack__latest">
        現在の状態：
        {latest ? (
          <>
            <strong>{KIND_LABEL[latest.kind]}</strong>（{formatJst(latest.at)}、{who(latest)}
            {latest.reason !== null ? `、理由：${latest.reason}` : ''}）
          </>
        ) : (
          <strong>未記録</strong>
        )}
      </p>
      {canAcknowledge ? (
        <div class="cert-ack__forms">
          <form
            class="cert-ack__form"
            method="post"
            action={action}
            hx-post={action}
            hx-target="#ack-panel"
            hx-swap="outerHTML"
            hx-disable="find button"
          >
            <CsrfField token={csrfToken} />
            <input type="hidden" name="kind" value="received" />
            <h3>受領する</h3>
            <p class="field__hint">内容を確認し、保証証書として受け取る場合に記録します。</p>
            <button class="button" type="submit">
              受領を記録する
            </button>
          </form>
          <form
            class="cert-ack__form"
            method="post"
            action={action}
            hx-post={action}
            hx-target="#ack-panel"
            hx-swap="outerHTML"
            hx-disable="find button"
            novalidate
          >
            <CsrfField token={csrfToken} />
            <input type="hidden" name="kind" value="returned" />
            <h3>返戻する</h3>
            <div class={form.error ? 'field field--error' : 'field'}>
              <label class="field__label" for="ack-reason">
                返戻の理由<span class="field__required">必須</span>
              </label>
              <p class="field__hint" id="ack-reason-hint">
                受注者と保証事業会社に伝わります。{REASON_MAX}文字以内・改行なしで入力してください。
              </p>
              {form.error ? (
                <p class="field__error" id="ack-reason-error">
                  <span class="visually-hidden">エラー：</span>
                  {form.error}
                </p>
              ) : null}
              <input
                class="input input--long"
                id="ack-reason"
                name="reason"
                type="text"
                value={form.reason}
                maxlength={REASON_MAX}
                required
                aria-describedby={form.error ? 'ack-reason-hint ack-reason-error' : 'ack-reason-hint'}
                aria-invalid={form.error ? 'true' : undefined}
              />
            </div>
            <button class="button button--secondary" type="submit">
              返戻を記録する
            </button>
          </form>
        </div>
      ) : (
        <p class="cert-note">受領・返戻の記録は、担当者または管理者の権限で行えます。</p>
      )}
      {acknowledgements.length > 1 ? (
        <table class="table cert-ack__history">
          <caption>受領・返戻の記録（新しい順）</caption>
          <thead>
            <tr>
              <th scope="col">日時</th>
              <th scope="col">区分</th>
              <th scope="col">理由</th>
              <th scope="col">記録した人</th>
            </tr>
          </thead>
          <tbody>
            {acknowledgements.map((a) => (
              <tr>
                <td class="cert-nowrap">{formatJst(a.at)}</td>
                <td>{KIND_LABEL[a.kind]}</td>
                <td>{a.reason ?? '―'}</td>
                <td>{who(a)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
};

export interface CertificatePageProps {
  user: SessionUser;
  csrfToken: string;
  detail: CertificateDetail;
  canAcknowledge: boolean;
  ackForm: AckFormState;
  /** Rendered as a 保証確認's answer (htmx swaps it in): focus moves to the certificate. */
  focusMain?: boolean;
}

export const CertificatePage: FC<CertificatePageProps> = ({
  user,
  csrfToken,
  detail,
  canAcknowledge,
  ackForm,
  focusMain,
}) => {
  const { certificate: cert, projection: view } = detail;
  const no = cert.contract_number;
  const title = certificateTitle(cert.product);
  const currentRow = view.rows.find((r) => r.shownVersion === view.currentVersion) ?? view.rows[0];
  const lastRow = view.rows[view.rows.length - 1];
  const currentEvent = detail.events[view.currentVersion - 1];
  return (
    <Layout
      title={`${title} ${no}`}
      user={user}
      csrfToken={csrfToken}
      current="/certificates"
      focusMain={focusMain ?? false}
    >
      <CertificateStyles />
      <nav class="breadcrumbs" aria-label="現在の位置">
        <ol>
          <li>
            <a href="/certificates">確認済み保証一覧</a>
          </li>
          <li aria-current="page">{no}</li>
        </ol>
      </nav>
      <div class="cert-heading">
        <h1>{title}</h1>
        <p class="cert-heading__meta">
          保証契約番号 <span class="cert-number">{no}</span>　状態：
          <StatusText status={view.status} />
        </p>
      </div>
      {detail.changedSinceLastView ? (
        <Notice kind="warning" title="前回の表示以降に、この保証の内容が更新されました">
          <p>
            前回 {detail.previouslyViewedAt !== null ? formatJst(detail.previouslyViewedAt) : ''}
            に表示した後に、保証事業会社から新しい電子保証が届いています。下の電子保証概要（最新の情報）と、電子保証情報(履歴情報)の「前回表示後」の行を確認してください。
          </p>
        </Notice>
      ) : null}
      {view.status === 'terminated' ? (
        <Notice kind="warning" title="この保証は解約されています">
          <p>
            解約の電子保証発行日時：{view.terminatedAt !== null ? formatJst(view.terminatedAt) : ''}
            。以下は解約時点の内容です。
          </p>
        </Notice>
      ) : null}

      <section class="cert-section" aria-labelledby="summary-title">
        <h2 id="summary-title">電子保証概要（{productLabel(cert.product)}）</h2>
        <p class="cert-note">※最新の情報を表示しています。</p>
        <SummaryTable
          contractNumber={no}
          content={view.current}
          caption={`電子保証概要（${no}）`}
          hideCaption
        />
      </section>

      <section class="cert-section" aria-labelledby="content-title">
        <h2 id="content-title">電子証書の内容</h2>
        <ContentTable
          contractNumber={no}
          content={view.current}
          suretyName={cert.surety_name}
          caption="電子証書の内容（最新）"
          hideCaption
          status={{ status: view.status, terminatedAt: view.terminatedAt }}
        />
      </section>

      <section class="cert-section" aria-labelledby="history-title">
        <h2 id="history-title">電子保証情報(履歴情報)</h2>
        <HistoryNotes />
        <HistoryTable
          contractNumber={no}
          rows={view.rows}
          newSince={detail.changedSinceLastView ? detail.previouslyViewedVersion : null}
        />
      </section>

      <section class="cert-section" aria-labelledby="log-title">
        <h2 id="log-title">公開ログでの記録</h2>
        <p>
          最新の内容（No.{currentRow?.no ?? 1}）は、電子保証発行日時
          {currentEvent ? ` ${formatJst(currentEvent.issuedAt)} ` : ''}
          に公開の証明書ログへ記録されました。誰でも、署名付きチェックポイントと包含証明で、記録が後から書き換えられていないことを確かめられます。
        </p>
        {currentEvent ? <LogEntry logIndex={currentEvent.logIndex} checkpoint={detail.checkpoint} /> : null}
      </section>

      <AckPanel
        contractNumber={no}
        acknowledgements={detail.acknowledgements}
        canAcknowledge={canAcknowledge}
        csrfToken={csrfToken}
        form={ackForm}
      />

      <section class="cert-section" aria-labelledby="copy-title">
        <h2 id="copy-title">写し（印刷用）</h2>
        <p>
          添付書類として印刷が必要な場合は、写しを印刷してください。写しは保証証書の原本ではありません。原本は、この画面に表示されている電子保証です。
        </p>
        {lastRow ? (
          <p>
            <a class="button button--secondary" href={copyPath(no, lastRow.version)}>
              写しを表示する（No.{lastRow.no}）
            </a>
          </p>
        ) : null}
      </section>
    </Layout>
  );
};
