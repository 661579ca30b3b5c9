// トップページ: what 電子保証 is, how 保証確認 works, and that every issuance time sits in a public signed log.
import type { FC } from 'hono/jsx';
import type { SessionUser } from '../../src/services/sessions.ts';
import { Layout } from '../layout.tsx';

export const HomePage: FC<{ user: SessionUser | null; csrfToken: string }> = ({ user, csrfToken }) => (
  <Layout title="電子保証の確認サービス" user={user} csrfToken={csrfToken} current="/">
    <div class="hero">
      <h1 class="hero__title">電子保証の確認サービス「電証」</h1>
      <p class="lead">
        電証は、保証事業会社・損害保険会社が発行する公共工事の電子保証（前払金保証・契約保証など）を、発注者の皆さまがインターネット上で確認するためのサービスです。
      </p>
      {user?.orgKind === 'orderer' ? (
        <div class="hero__actions">
          <p>{user.orgName}としてログインしています。</p>
          <p class="button-group">
            <a class="button" href="/verify">
              保証確認へ進む
            </a>
            <a class="button button--secondary" href="/certificates">
              確認済み保証一覧を見る
            </a>
          </p>
        </div>
      ) : user ? null : (
        <div class="hero__actions">
          <p class="button-group">
            <a class="button" href="/login">
              発注者の方のログイン
            </a>
            <a class="button button--secondary" href="/help">
              使い方を見る
            </a>
          </p>
        </div>
      )}
    </div>

    <section class="section" aria-labelledby="what-h">
      <h2 id="what-h">電子保証とは</h2>
      <p>
        公共工事では、受注者が前払金を受け取る前や契約を結ぶ際に、保証会社の「保証証書」を発注者に提出します。電子保証は、この保証証書を紙ではなく電子データで受け渡す仕組みです。令和4年3月の公共工事標準請負契約約款の改正により、データの真正性が確保される場合には、発注者は紙の保証証書に代えて電子的な方法で保証を受け付けられるようになりました。
      </p>
      <p>
        受注者は保証証書を郵送・持参する代わりに、保証会社から受け取った「保証契約番号」と「認証キー」を発注者に提出します。郵送や移動が不要になるため、保証の申込みから発注者への提出までを最短で当日中に行えます。
      </p>
    </section>

    <section class="section" aria-labelledby="how-h">
      <h2 id="how-h">保証確認の流れ</h2>
      <ol class="steps">
        <li>
          <strong>保証会社が電子保証を送信します。</strong>
          保証のデータが電証に届いた日時が「電子保証発行日時」になります。
        </li>
        <li>
          <strong>受注者が発注者に「認証キーのお知らせ」を提出します。</strong>
          保証会社が発行した「電子保証にかかる「認証キー」のお知らせ」（PDF）を、電子メールなどで発注者に送ります。
        </li>
        <li>
          <strong>発注者の担当者が保証を確認します。</strong>
          電証にログインし、保証契約番号と認証キーを入力すると、保証証書の内容が表示されます。
        </li>
        <li>
          <strong>確認した保証は一覧に残ります。</strong>
          一度確認した保証は「確認済み保証一覧」から何度でも開けます。変更があった場合も、認証キーを入力し直さずに最新の内容を確認できます。
        </li>
      </ol>
    </section>

    <section class="section" aria-labelledby="log-h">
      <h2 id="log-h">発行日時は、誰でも検証できる公開ログに記録されます</h2>
      <p>
        電子保証が電証に届いた日時は、後から書き換えることのできない公開ログ（署名付きの Merkle
        ログ）に記録されます。ログの最新の状態は電証の鍵で署名されて公開されており、どなたでも、電証を信用することなく、記録が後から変更・削除されていないことを確かめられます。
      </p>
      <ul class="link-list">
        <li>
          <a href="/log/certs/checkpoint">公開ログの最新の署名付きチェックポイント</a>
        </li>
        <li>
          <a href="/api/docs">検証の方法と保証会社向け API 仕様</a>
        </li>
      </ul>
    </section>

    <section class="section" aria-labelledby="others-h">
      <h2 id="others-h">受注者・保証会社の方へ</h2>
      <ul>
        <li>
          電子保証のお申込みは、各保証会社の窓口またはインターネットサービスで行ってください。電証での手続きは不要です。
        </li>
        <li>
          電子保証を受け付けている発注者は、<a href="/orderers">電子保証対応の発注者一覧</a>で確認できます。
        </li>
        <li>
          保証会社のシステムから電子保証を送信する方法は、<a href="/api/docs">API 仕様</a>をご覧ください。
        </li>
      </ul>
    </section>
  </Layout>
);
