// <Notice>: a boxed message (information, success, warning, error) with the right live-region role.
import type { Child, FC } from 'hono/jsx';

export type NoticeKind = 'info' | 'success' | 'warning' | 'error';

const LABEL: Record<NoticeKind, string> = {
  info: 'お知らせ',
  success: '完了',
  warning: 'ご注意',
  error: 'エラー',
};

export const Notice: FC<{ kind?: NoticeKind; title?: string; children?: Child; live?: boolean }> = ({
  kind = 'info',
  title,
  children,
  live = false,
}) => {
  // Errors interrupt (alert); other notices are announced politely only when they appear as a result (live).
  const role = kind === 'error' ? 'alert' : live ? 'status' : undefined;
  return (
    <div class={`notice notice--${kind}`} role={role}>
      <p class="notice__label">
        <span class="visually-hidden">{LABEL[kind]}：</span>
        {title ?? LABEL[kind]}
      </p>
      {children ? <div class="notice__body">{children}</div> : null}
    </div>
  );
};
