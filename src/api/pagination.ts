import { z } from 'zod';

/** SellApp list pages: `page` from 1, `limit` 15 by default, at most 100. */
export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(15),
});

export type PageQuery = z.infer<typeof pageQuery>;

export function offsetOf(query: PageQuery): number {
  return (query.page - 1) * query.limit;
}

export interface PageLink {
  url: string | null;
  label: string;
  active: boolean;
}

export interface Page<T> {
  data: T[];
  links: { first: string; last: string; prev: string | null; next: string | null };
  meta: {
    current_page: number;
    from: number | null;
    last_page: number;
    links: PageLink[];
    path: string;
    per_page: number;
    to: number | null;
    total: number;
  };
}

/** The numbered links around the current page (Laravel shows three on each side). */
function pageWindow(current: number, last: number): number[] {
  const start = Math.max(1, Math.min(current, last) - 3);
  const end = Math.min(last, current + 3);
  return Array.from({ length: Math.max(0, end - start + 1) }, (_, i) => start + i);
}

/** The absolute URL of the list being paged, for its links. */
export function pageUrl(publicBaseUrl: string, req: { baseUrl: string; path: string }): string {
  return `${publicBaseUrl}${req.baseUrl}${req.path}`;
}

/** Builds the Laravel-style `{data, links, meta}` envelope SellApp clients read. */
export function toPage<T>(items: T[], total: number, query: PageQuery, path: string): Page<T> {
  const lastPage = Math.max(1, Math.ceil(total / query.limit));
  const url = (page: number) => `${path}?page=${page}&limit=${query.limit}`;
  const from = items.length > 0 ? offsetOf(query) + 1 : null;
  const links: PageLink[] = [
    { url: query.page > 1 ? url(query.page - 1) : null, label: '&laquo; Previous', active: false },
    ...pageWindow(query.page, lastPage).map((n) => ({ url: url(n), label: String(n), active: n === query.page })),
    { url: query.page < lastPage ? url(query.page + 1) : null, label: 'Next &raquo;', active: false },
  ];
  return {
    data: items,
    links: {
      first: url(1),
      last: url(lastPage),
      prev: query.page > 1 ? url(query.page - 1) : null,
      next: query.page < lastPage ? url(query.page + 1) : null,
    },
    meta: {
      current_page: query.page,
      from,
      last_page: lastPage,
      links,
      path,
      per_page: query.limit,
      to: from === null ? null : from + items.length - 1,
      total,
    },
  };
}
