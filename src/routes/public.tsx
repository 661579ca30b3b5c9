// Public pages (no sign-in): the top page, 電子保証対応の発注者一覧 (with an htmx-filtered results fragment) and
// ヘルプ・よくある質問.
import { Hono } from 'hono';
import { HelpPage } from '../../views/public/help.tsx';
import { HomePage } from '../../views/public/home.tsx';
import { type OrdererListProps, OrdererResults, OrderersPage } from '../../views/public/orderers.tsx';
import type { AppDeps } from '../app.ts';
import { render, renderPage } from '../middleware/htmx.ts';
import type { WebEnv } from '../middleware/session.ts';
import { listAcceptingOrderers } from '../repos/organisations.ts';

export const ORDERERS_PER_PAGE = 50;

/** What people type into the filter: full-width characters from an IME fold to their ASCII forms. */
function fold(s: string): string {
  return s.normalize('NFKC').trim().toLowerCase();
}

export function publicRoutes(deps: AppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/', (c) => renderPage(c, <HomePage user={c.get('user')} csrfToken={c.get('csrfToken')} />));

  app.get('/help', (c) => renderPage(c, <HelpPage user={c.get('user')} csrfToken={c.get('csrfToken')} />));

  app.get('/orderers', async (c) => {
    const q = (c.req.query('q') ?? '').normalize('NFKC').trim().slice(0, 100);
    const all = await listAcceptingOrderers(deps.db);
    const needle = fold(q);
    const matched = needle
      ? all.filter((o) => fold(o.name).includes(needle) || o.code.startsWith(needle))
      : all;
    const totalPages = Math.max(1, Math.ceil(matched.length / ORDERERS_PER_PAGE));
    const requested = Number.parseInt(c.req.query('page') ?? '1', 10);
    const page = Number.isFinite(requested) ? Math.min(Math.max(requested, 1), totalPages) : 1;
    const props: OrdererListProps = {
      q,
      page,
      totalPages,
      total: matched.length,
      all: all.length,
      rows: matched
        .slice((page - 1) * ORDERERS_PER_PAGE, page * ORDERERS_PER_PAGE)
        .map((o) => ({ code: o.code, name: o.name, acceptsSince: o.accepts_since })),
    };
    return render(c, {
      page: <OrderersPage {...props} user={c.get('user')} csrfToken={c.get('csrfToken')} />,
      fragment: <OrdererResults {...props} />,
    });
  });

  return app;
}
