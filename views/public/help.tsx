// ヘルプ・よくある質問: how to sign in, how to enter the 認証キー, and the seed leaflet's FAQ (Q1–Q7) rewritten
// for the orderer's clerk.
import type { FC } from 'hono/jsx';
import type { SessionUser } from '../../src/services/sessions.ts';
import { Layout } from '../layout.tsx';

const FAQ: { q: string; a: string[] }[] = [
  {
    q: 'すべての工事・業務で電子保証を受け付けなければなりませんか？',
    a: [
      '電子保証は受注者の選択肢を広げるものです。受注者は、これまでどおり紙の保証証書を選ぶこともできます。',
      'どの工事・業務で電子保証を認めるかは、発注者としてあらかじめ定め、受注者にお知らせください。',
    ],
  },
  {
    q: '保証料の領収証や計算書も電子で届きますか？',
    a: [
      '保証料の計算書・領収証は、保証会社と受注者の間でやり取りされる書類で、電証では扱いません。',
      '保証会社によっては計算書を電子化していますが、領収証は引き続き書面で受注者に渡されます。',
    ],
  },
  {
    q: '電子保証を選んだ受注者に、保証料以外の費用はかかりますか？',
    a: ['保証料以外の追加費用は発生しません。'],
  },
  {
    q: '保証証書が提出されるまでの日数は短くなりますか？',
    a: [
      '保証証書の受取り・提出のための郵送や移動がなくなるため、保証の申込みから発注者への提出までを、最短で当日中に行えます。',
      '保証会社から電証にデータが届いた時点（電子保証発行日時）から、保証確認ができます。',
    ],
  },
  {
    q: '電子保証の工事で、変更後の保証証書を紙で受け取ることはできますか？',
    a: [
      'できません。同じ保証契約の中で、電子の保証証書と紙の保証証書は混在できません。',
      '変更契約による保証の変更は、電証に新しい内容として届きます。確認済み保証一覧から、認証キーを入力し直さずに最新の内容と履歴を確認できます。',
    ],
  },
  {
    q: '同じ工事で、前払金保証は電子、契約保証は紙ということはありますか？',
    a: [
      'あります。受注者は商品（前払金保証・契約保証など）ごとに保証証書の形式を選べます。',
      '提出された書類が電子か紙かを、商品ごとにご確認ください。',
    ],
  },
  {
    q: 'ほかにどの発注者が電子保証を受け付けていますか？',
    a: ['電証で電子保証を受け付けている発注者は、「電子保証対応の発注者一覧」でご覧いただけます。'],
  },
];

export const HelpPage: FC<{ user: SessionUser | null; csrfToken: string }> = ({ user, csrfToken }) => (
  <Layout title="ヘルプ・よくある質問" user={user} csrfToken={csrfToken} current="/help">
    <h1>ヘルプ・よくある質問</h1>
    <p class="lead">発注者の担当者の方向けに、電証の使い方とよくある質問をまとめています。</p>

    <nav class="toc" aria-labelledby="toc-h">
      <h2 id="toc-h" class="toc__title">
        このページの内容
      </h2>
      <ul>
        <li>
          <a href="#login">ログインについて</a>
        </li>
        <li>
          <a href="#verify">保証確認のしかた</a>
        </li>
        <li>
          <a href="#auth-key">認証キーの入力方法</a>
        </li>
        <li>
          <a href="#not-found">保証が表示されない場合</a>
        </li>
        <li>
          <a href="#print">印刷（写し）について</a>
        </li>
        <li>
          <a href="#faq">よくある質問</a>
        </li>
      </ul>
    </nav>

    <section class="section" id="login" aria-labelledby="login-h">
      <h2 id="login-h">ログインについて</h2>
      <ul>
        <li>ログインIDとパスワードは、所属する組織の管理者（または電証の運営者）が発行します。</li>
        <li>
          パスワードを5回続けて間違えると、安全のため15分間ログインできなくなります。時間をおいてからお試しください。
        </li>
        <li>
          30分間操作がないと、自動的にログアウトします。また、ログインから12時間たつと、もう一度ログインが必要になります。
        </li>
        <li>共用のパソコンでは、使い終わったら必ず画面右上の「ログアウト」を押してください。</li>
        <li>パスワードを忘れた場合は、組織の管理者にお問い合わせください。</li>
      </ul>
    </section>

    <section class="section" id="verify" aria-labelledby="verify-h">
      <h2 id="verify-h">保証確認のしかた</h2>
      <ol class="steps">
        <li>受注者から提出された「電子保証にかかる「認証キー」のお知らせ」（PDF）を開きます。</li>
        <li>電証にログインし、メニューの「保証確認」を開きます。</li>
        <li>
          お知らせに記載された「保証契約番号」（例：31074-00001M）と「認証キー」を入力し、確認のボタンを押します。
        </li>
        <li>
          表示された保証証書の内容（工事名・請負契約者・保証金額など）が、契約の内容と合っているかご確認ください。
        </li>
      </ol>
      <p>
        「電子保証発行日時」は、保証証書が保証会社から電証に到着した日時です。訂正・変更取消された履歴は、履歴の一覧には表示されません。
      </p>
    </section>

    <section class="section" id="auth-key" aria-labelledby="auth-key-h">
      <h2 id="auth-key-h">認証キーの入力方法</h2>
      <p>
        認証キーは16文字の英字と数字で、<span class="code">ABCD-EFGH-JKMN-PQRS</span>{' '}
        のように4文字ずつ区切って表示されています。入力するときは、次の点を気にする必要はありません。
      </p>
      <ul>
        <li>ハイフン（-）やスペースの有無：入れても入れなくても構いません。</li>
        <li>大文字・小文字の違い：どちらで入力しても同じです。</li>
        <li>全角・半角の違い：全角で入力しても自動的に半角として扱います。</li>
        <li>
          見間違えやすい文字：英字の O（オー）は数字の 0（ゼロ）、英字の I（アイ）と L（エル）は数字の
          1（イチ）として扱います。
        </li>
      </ul>
      <p>PDF から認証キーをコピーして貼り付けることもできます。</p>
    </section>

    <section class="section" id="not-found" aria-labelledby="not-found-h">
      <h2 id="not-found-h">保証が表示されない場合</h2>
      <p>
        保証契約番号と認証キーのどちらが違っているかは、安全のためお知らせしていません。次の点をご確認ください。
      </p>
      <ul>
        <li>保証契約番号・認証キーを、お知らせ（PDF）のとおりに入力しているか。</li>
        <li>
          その保証の発注者が、ログインしている組織になっているか（ほかの発注者あての保証は確認できません）。
        </li>
        <li>
          それでも表示されない場合は、受注者にお知らせ（PDF）の再送を依頼するか、保証会社にお問い合わせください。
        </li>
      </ul>
      <p>
        続けて何度も間違えると、安全のため一時的に保証確認ができなくなります。時間をおいてからお試しください。
      </p>
    </section>

    <section class="section" id="print" aria-labelledby="print-h">
      <h2 id="print-h">印刷（写し）について</h2>
      <p>
        保証証書の原本は電証上のデータです。画面を印刷したものは「写し」であり、保証証書そのものではありません。写しには、電証で内容を再確認するための情報が印字されます。
      </p>
    </section>

    <section class="section" id="faq" aria-labelledby="faq-h">
      <h2 id="faq-h">よくある質問</h2>
      <dl class="faq">
        {FAQ.map((item, i) => (
          <div class="faq__item">
            <dt class="faq__q">
              <span class="faq__no">Q{i + 1}.</span> {item.q}
            </dt>
            <dd class="faq__a">
              {item.a.map((p) => (
                <p>{p}</p>
              ))}
              {i === FAQ.length - 1 ? (
                <p>
                  <a href="/orderers">電子保証対応の発注者一覧を見る</a>
                </p>
              ) : null}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  </Layout>
);
