// 写し: an A4 print layout of one visible version, marked 「写し」 so a printout is never mistaken for the certificate
// (domain.md: "a printed copy must say it is a copy (写し) and carry a way to re-verify it"): issuance time, log
// index, leaf hash, a QR code and the URL back to the certificate page, and how to re-check.

import { raw } from 'hono/html';
import type { FC } from 'hono/jsx';
import { renderSVG } from 'uqr';
import { EVENT_LABELS } from '../../src/domain/certificate.ts';
import type { HistoryRow } from '../../src/domain/history.ts';
import type { CertificateDetail, LogEntryInfo } from '../../src/services/certificate-view.ts';
import type { SessionUser } from '../../src/services/sessions.ts';
import { Layout } from '../layout.tsx';
import { certificatePath, formatJst, inclusionProofPath, versionPath } from './format.ts';
import {
  CertificateStyles,
  ContentTable,
  certificateTitle,
  TerminationTable,
  terminationOf,
} from './parts.tsx';

/**
 * uqr's renderSVG emits exactly `<svg xmlns=… viewBox="0 0 N N"><rect fill="white" …/><path fill="black"
 * d="M…"/></svg>`: geometry only — the encoded URL never appears as text, and there is no script, style, link
 * or event attribute. We still refuse anything that does not have that exact shape before handing it to raw(),
 * so a future uqr change cannot smuggle markup into the page.
 */
const QR_SHAPE =
  /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+"><rect fill="white" width="\d+" height="\d+"\/><path fill="black" d="[MLHVhvz0-9,. -]*"\/><\/svg>$/;

export function qrSvg(url: string): string {
  const svg = renderSVG(url, { ecc: 'M', border: 2 });
  if (!QR_SHAPE.test(svg))
    throw new Error('uqr.renderSVG returned an unexpected shape; refusing to embed it');
  return svg;
}

/** The QR code, inline (no image request, prints crisply); the wrapper carries the accessible name. */
const QrCode: FC<{ url: string }> = ({ url }) => (
  <div class="cert-copy__qr" role="img" aria-label={`保証証書の画面のURLを表すQRコード：${url}`}>
    {/* Safe: qrSvg() only returns uqr output that matched QR_SHAPE (numbers and path commands only). */}
    {raw(qrSvg(url))}
  </div>
);

export const CopyPage: FC<{
  user: SessionUser;
  csrfToken: string;
  detail: CertificateDetail;
  row: HistoryRow;
  entry: LogEntryInfo;
  origin: string;
  printedAt: number;
}> = ({ user, csrfToken, detail, row, entry, origin, printedAt }) => {
  const cert = detail.certificate;
  const no = cert.contract_number;
  const label = EVENT_LABELS[row.event];
  const termination = terminationOf(detail.events, row);
  const pageUrl = `${origin}${certificatePath(no)}`;
  const proofUrl = `${origin}${inclusionProofPath(entry.logIndex, detail.checkpoint.size)}`;
  return (
    <Layout title={`写し ${certificateTitle(cert.product)} ${no}`} user={user} csrfToken={csrfToken}>
      <CertificateStyles />
      <div class="cert-copy-toolbar">
        <p>
          A4 縦で印刷できます。ブラウザの印刷機能（Ctrl + P）でも印刷できます。
          <a href={versionPath(no, row.version)}>履歴の画面に戻る</a>
        </p>
        <button class="button" type="button" data-print hidden>
          印刷する
        </button>
      </div>
      <article class="cert-copy" aria-labelledby="copy-title">
        <header class="cert-copy__header">
          <p class="cert-copy__mark">
            写し<span class="visually-hidden">（この書面は写しです）</span>
          </p>
          <h1 id="copy-title">{certificateTitle(cert.product)}</h1>
          <p class="cert-copy__statement">
            この書面は、電証に登録された電子保証の内容を印刷した<strong>写し</strong>
            です。保証証書の原本ではありません。原本は電証に登録された電子保証です。
          </p>
        </header>

        <table class="cert-copy__facts">
          <caption>記録の情報</caption>
          <tbody>
            <tr>
              <th scope="row">保証契約番号</th>
              <td class="cert-number">{no}</td>
            </tr>
            <tr>
              <th scope="row">電子保証発行日時</th>
              <td>{formatJst(row.issuedAt)}</td>
            </tr>
            <tr>
              <th scope="row">対象</th>
              <td>
                No.{row.no} {label}
              </td>
            </tr>
            <tr>
              <th scope="row">ログ上の位置（インデックス）</th>
              <td>{entry.logIndex}</td>
            </tr>
            <tr>
              <th scope="row">リーフハッシュ（base64）</th>
              <td>
                <code class="cert-hash">{entry.leafHash}</code>
              </td>
            </tr>
          </tbody>
        </table>

        <ContentTable
          contractNumber={no}
          content={row.content}
          suretyName={cert.surety_name}
          caption={`電子証書の内容（No.${row.no} ${label}）`}
        />
        {termination ? <TerminationTable termination={termination} /> : null}

        <section class="cert-copy__verify" aria-labelledby="recheck-title">
          <QrCode url={pageUrl} />
          <div class="cert-copy__verify-text">
            <h2 id="recheck-title">内容の確認方法</h2>
            <p>
              この写しの内容は、電証にログインして次の URL（左の QR
              コード）を開くと確認できます。一覧にない場合は、保証契約番号と認証キーで「保証確認」を行ってください。
            </p>
            <p class="cert-copy__url">{pageUrl}</p>
            <p>
              記録が書き換えられていないことは、公開ログの包含証明（{proofUrl}
              ）とリーフハッシュを照合して、誰でも確かめられます。
            </p>
          </div>
        </section>

        <footer class="cert-copy__footer">
          <p>
            印刷日時：{formatJst(printedAt)}　印刷した組織：{user.orgName}
          </p>
          <p>
            電子保証発行日時とは、保証証書が電証（発注者が保証証書を確認するプラットフォーム）に到着した日時です。
          </p>
        </footer>
      </article>
      {/* A string: <script> holds raw text, which the JSX runtime does not write (views/jsx/jsx-runtime.ts). */}
      {raw('<script src="/static/certificate-print.js" defer=""></script>')}
    </Layout>
  );
};
