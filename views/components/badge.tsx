// <Badge>: a short status label (新規, 変更, 解約, 受領済み …). Colour is never the only signal: the text is.
import type { Child, FC } from 'hono/jsx';

export type BadgeKind = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

export const Badge: FC<{ kind?: BadgeKind; children?: Child }> = ({ kind = 'neutral', children }) => (
  <span class={`badge badge--${kind}`}>{children}</span>
);
