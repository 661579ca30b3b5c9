// ログの完全性 (/audit/integrity): the latest signed checkpoint of both logs; a form to paste or upload an earlier
// checkpoint (our signature? today's tree an extension of it?); the full recompute of either log as a background
// job, whose progress panel polls with htmx every second and has a plain refresh link without JS.
import type { FC } from 'hono/jsx';
import type {
  CheckpointCheck,
  IntegrityJob,
  LatestJobs,
  LogName,
} from '../../src/services/audit-integrity.ts';
import { LOG_LABELS, LOG_NAMES } from '../../src/services/audit-integrity.ts';
import type { SessionUser } from '../../src/services/sessions.ts';
import { CsrfField } from '../components/csrf-field.tsx';
import { Notice } from '../components/notice.tsx';
import { Layout } from '../layout.tsx';
import { AuditNav, AuditStyles, Check, formatJst } from './parts.tsx';

export const INTEGRITY_TITLE = 'ログの完全性';

export interface LogCheckpointView {
  log: LogName;
  size: number;
  root: string;
  note: string;
  signedAt: number | null;
  vkey: string;
  origin: string;
}

export function jobHref(id: string): string {
  return `/audit/integrity/jobs/${id}`;
}

const n = (v: number) => v.toLocaleString('ja-JP');

/** The check of an earlier checkpoint, as the htmx fragment and inside the page. */
export const CheckpointResult: FC<{ result: CheckpointCheck | null; error?: string | null }> = ({
  result,
  error,
}) => (
  <div id="checkpoint-result" class="audit-result" aria-live="polite">
    {error ? (
      <Notice kind="error" title="確認できませんでした">
        <p>{error}</p>
      </Notice>
    ) : result === null ? null : result.kind === 'consistent' ? (
      <div class="audit-result__box">
        <h3>結果：{LOG_LABELS[result.log]}</h3>
        <Check ok>このチェックポイントは、このログの検証鍵で署名されています。</Check>
        <Check ok>
          {result.size === result.latestSize
            ? `現在の木（大きさ ${n(result.latestSize)}）と同じです。`
            : `大きさ ${n(result.size)} の木から現在の木（大きさ ${n(result.latestSize)}）への整合性証明（${result.proof.length} 個のハッシュ）を検証できました。ログは追記だけで、過去の記録は書き換えられていません。`}
        </Check>
        {result.storedMatches === false ? (
          <Check ok={false}>
            当方に保存されている同じ大きさのチェックポイントと root が異なります。運営者に連絡してください。
          </Check>
        ) : null}
        <dl class="summary-list">
          <div class="summary-list__row">
            <dt>お持ちの root</dt>
            <dd>
              <code class="audit-break">{result.root}</code>
            </dd>
          </div>
          <div class="summary-list__row">
            <dt>現在の root</dt>
            <dd>
              <code class="audit-break">{result.latestRoot}</code>
            </dd>
          </div>
        </dl>
      </div>
    ) : (
      <div class="audit-result__box">
        <h3>結果</h3>
        {result.kind === 'malformed' ? (
          <Check ok={false}>チェックポイントの形式ではありません（{result.message}）。</Check>
        ) : result.kind === 'unknown-origin' ? (
          <Check ok={false}>
            このプラットフォームのログではありません（origin「{result.origin}」）。certs または access
            のチェックポイントを貼り付けてください。
          </Check>
        ) : result.kind === 'bad-signature' ? (
          <Check ok={false}>
            {LOG_LABELS[result.log]}
            の検証鍵で署名を検証できません。改ざんされたか、偽造されたチェックポイントです（
            {result.message}）。
          </Check>
        ) : result.kind === 'beyond' ? (
          <Check ok={false}>
            署名は正しいのに、大きさ {n(result.size)} は現在のログ（大きさ {n(result.latestSize)}
            ）より大きい値です。ログが巻き戻されたか分岐した証拠の可能性があります。このチェックポイントを保存し、運営者に連絡してください。
          </Check>
        ) : (
          <Check ok={false}>
            署名は正しいのに、現在の木（大きさ {n(result.latestSize)}）と整合しません：{result.reason}
            過去の記録が書き換えられた証拠の可能性があります。このチェックポイントを保存し、運営者に連絡してください。
          </Check>
        )}
      </div>
    )}
  </div>
);

function jobText(job: IntegrityJob): string {
  if (job.status === 'running') return `${n(job.done)} / ${n(job.total)} 件を確認しました`;
  if (job.status === 'error') return `検証を完了できませんでした：${job.error ?? ''}`;
  return `${n(job.report?.leaves ?? 0)} 件のリーフ、${n(job.report?.tiles ?? 0)} 個のタイル、${n(job.report?.checkpoints ?? 0)} 個のチェックポイントを確認しました（${((job.report?.ms ?? 0) / 1000).toFixed(1)} 秒）`;
}

/** The progress panel: polls itself every second while the job runs; the finished panel stops polling. */
export const JobProgress: FC<{ job: IntegrityJob }> = ({ job }) => {
  const running = job.status === 'running';
  const finding = job.report?.finding ?? null;
  return (
    <div
      id={`job-${job.id}`}
      class="audit-job"
      hx-get={running ? jobHref(job.id) : undefined}
      hx-trigger={running ? 'every 1s' : undefined}
      hx-swap={running ? 'outerHTML' : undefined}
    >
      <h3 class="audit-job__title">
        {LOG_LABELS[job.log]}の全件再計算（{formatJst(job.startedAt)} 開始）
      </h3>
      <p role="status">
        <progress max={Math.max(1, job.total)} value={running ? job.done : Math.max(1, job.total)}>
          {job.total === 0 ? 100 : Math.floor((job.done / job.total) * 100)}%
        </progress>{' '}
        {jobText(job)}
      </p>
      {running ? (
        <p>
          <a href={jobHref(job.id)}>最新の状態に更新する</a>
        </p>
      ) : job.status === 'done' && job.report ? (
        finding ? (
          <div class="audit-finding">
            <Check ok={false}>
              改ざんまたは破損を検出しました（
              {finding.kind === 'tile'
                ? `タイル ${finding.where}`
                : finding.kind === 'checkpoint'
                  ? `木の大きさ ${finding.where} のチェックポイント`
                  : `ログ番号 ${finding.where}`}
              ）。
            </Check>
            <p class="audit-finding__message">{finding.message}</p>
            <p>データベースを触らずに、バックアップと照合できるよう運営者に連絡してください。</p>
          </div>
        ) : (
          <Check ok>
            大きさ {n(job.report.size)}
            の木をリーフから計算し直し、すべてのタイル・チェックポイントの root
            と署名、記録との一致を確認しました。
          </Check>
        )
      ) : null}
    </div>
  );
};

export const JobPage: FC<{ user: SessionUser; csrfToken: string; job: IntegrityJob }> = ({
  user,
  csrfToken,
  job,
}) => (
  <Layout
    title={`${INTEGRITY_TITLE}：全件再計算`}
    user={user}
    csrfToken={csrfToken}
    current="/audit/integrity"
  >
    <AuditStyles />
    <h1>{INTEGRITY_TITLE}：全件再計算</h1>
    <AuditNav current="/audit/integrity" user={user} />
    <JobProgress job={job} />
    <p>
      <a href="/audit/integrity">ログの完全性へ戻る</a>
    </p>
  </Layout>
);

const CheckpointForm: FC<{ csrfToken: string }> = ({ csrfToken }) => (
  <form
    class="form audit-check-form"
    method="post"
    action="/audit/integrity/check"
    enctype="multipart/form-data"
    hx-post="/audit/integrity/check"
    hx-target="#checkpoint-result"
    hx-swap="outerHTML"
  >
    <CsrfField token={csrfToken} />
    <div class="field">
      <label class="field__label" for="note">
        チェックポイント（貼り付け）
      </label>
      <p class="field__hint" id="note-hint">
        以前に保存した署名付きチェックポイントを、署名行（— で始まる行）まで全部貼り付けてください。
      </p>
      <textarea
        class="input audit-textarea"
        id="note"
        name="note"
        rows={6}
        aria-describedby="note-hint"
        spellcheck={false}
      />
    </div>
    <div class="field">
      <label class="field__label" for="file">
        またはファイルを選択
      </label>
      <input class="audit-file" id="file" name="file" type="file" accept=".txt,text/plain" />
    </div>
    <button class="button" type="submit">
      確認する
    </button>
  </form>
);

export const IntegrityBody: FC<{
  checkpoints: LogCheckpointView[];
  jobs: LatestJobs;
  canRecompute: boolean;
  result: CheckpointCheck | null;
  error: string | null;
  csrfToken: string;
}> = ({ checkpoints, jobs, canRecompute, result, error, csrfToken }) => (
  <div id="audit-integrity" class="audit-integrity">
    <section class="section" aria-labelledby="int-latest-h">
      <h2 id="int-latest-h">最新のチェックポイント</h2>
      {checkpoints.map((cp) => (
        <div class="audit-cp">
          <h3>{LOG_LABELS[cp.log]}</h3>
          <dl class="summary-list">
            <div class="summary-list__row">
              <dt>木の大きさ</dt>
              <dd>{n(cp.size)}</dd>
            </div>
            <div class="summary-list__row">
              <dt>署名日時</dt>
              <dd>{cp.signedAt === null ? '―' : formatJst(cp.signedAt)}</dd>
            </div>
            <div class="summary-list__row">
              <dt>root</dt>
              <dd>
                <code class="audit-break">{cp.root}</code>
              </dd>
            </div>
            <div class="summary-list__row">
              <dt>検証鍵（vkey）</dt>
              <dd>
                <code class="audit-break">{cp.vkey}</code>
              </dd>
            </div>
          </dl>
          <h4 class="audit-cp__note">署名付きチェックポイント</h4>
          <pre class="audit-code audit-break">{cp.note}</pre>
        </div>
      ))}
      <p>
        チェックポイントを保存しておけば、次回この画面で「ログが追記だけで書き換えられていないこと」を確かめられます。
      </p>
    </section>

    <section class="section" aria-labelledby="int-check-h">
      <h2 id="int-check-h">以前のチェックポイントとの整合性を確認する</h2>
      <CheckpointForm csrfToken={csrfToken} />
      <CheckpointResult result={result} error={error} />
    </section>

    <section class="section" aria-labelledby="int-recompute-h">
      <h2 id="int-recompute-h">全件の再計算</h2>
      <p>
        ログのすべてのリーフを記録と照合し、ハッシュタイル・すべてのチェックポイントの root
        と署名を計算し直します。
        サーバーの処理を妨げないよう少しずつ進めます。結果はアクセスログに記録されます。
      </p>
      {LOG_NAMES.map((log) => {
        const job = jobs[log];
        return (
          <div class="audit-recompute">
            {job ? (
              <JobProgress job={job} />
            ) : (
              <p>{LOG_LABELS[log]}：このサーバーの起動後はまだ実行していません。</p>
            )}
            {canRecompute && job?.status !== 'running' ? (
              <form method="post" action="/audit/integrity/recompute">
                <CsrfField token={csrfToken} />
                <input type="hidden" name="log" value={log} />
                <button class="button button--secondary" type="submit">
                  {LOG_LABELS[log]}を再計算する
                </button>
              </form>
            ) : null}
          </div>
        );
      })}
      {canRecompute ? null : (
        <p class="muted">
          全件の再計算は、サーバー全体の処理になるため、プラットフォームの監査担当者が実行します。
        </p>
      )}
    </section>
  </div>
);

export const IntegrityPage: FC<{
  user: SessionUser;
  csrfToken: string;
  checkpoints: LogCheckpointView[];
  jobs: LatestJobs;
  canRecompute: boolean;
  result: CheckpointCheck | null;
  error: string | null;
}> = ({ user, csrfToken, ...body }) => (
  <Layout title={INTEGRITY_TITLE} user={user} csrfToken={csrfToken} current="/audit/integrity">
    <AuditStyles />
    <h1>{INTEGRITY_TITLE}</h1>
    <AuditNav current="/audit/integrity" user={user} />
    <p class="lead">
      電証の2つのログ（保証ログとアクセスログ）は、追記だけができる署名付きの Merkle
      ログです。ここでは、その署名と整合性をこの画面で確かめられます。手順は「ログを自分で検証する方法」（docs/auditing.md）にもあります。
    </p>
    <IntegrityBody csrfToken={csrfToken} {...body} />
  </Layout>
);
