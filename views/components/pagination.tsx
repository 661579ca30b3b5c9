// <Pagination>: plain links (work without JavaScript, can be opened in a new tab, and print as text).
import type { FC } from 'hono/jsx';

export interface PaginationProps {
  page: number;
  totalPages: number;
  /** The URL of a page, keeping the current filters. */
  href: (page: number) => string;
  label?: string;
}

/** First, last, and two pages either side of the current one; gaps shown as "…". */
function pageNumbers(page: number, total: number): (number | null)[] {
  const out: (number | null)[] = [];
  for (let p = 1; p <= total; p++) {
    if (p === 1 || p === total || Math.abs(p - page) <= 2) out.push(p);
    else if (out[out.length - 1] !== null) out.push(null);
  }
  return out;
}

export const Pagination: FC<PaginationProps> = ({ page, totalPages, href, label }) => {
  if (totalPages <= 1) return null;
  return (
    <nav class="pagination" aria-label={label ?? 'ページ送り'}>
      <ul class="pagination__list">
        {page > 1 ? (
          <li>
            <a class="pagination__link" href={href(page - 1)} rel="prev">
              前のページ
            </a>
          </li>
        ) : null}
        {pageNumbers(page, totalPages).map((p) =>
          p === null ? (
            <li class="pagination__gap" aria-hidden="true">
              …
            </li>
          ) : (
            <li>
              <a
                class="pagination__link"
                href={href(p)}
                aria-current={p === page ? 'page' : undefined}
                aria-label={`${p}ページ目`}
              >
                {p}
              </a>
            </li>
          ),
        )}
        {page < totalPages ? (
          <li>
            <a class="pagination__link" href={href(page + 1)} rel="next">
              次のページ
            </a>
          </li>
        ) : null}
      </ul>
    </nav>
  );
};
