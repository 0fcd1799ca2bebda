import { sql, type SelectQueryBuilder } from 'kysely';
import { offsetOf, type Page, type PageQuery, toPage } from './pagination';
import type { SearchBody, SearchTranslator } from './search';

export interface PagedSearch<DB, TB extends keyof DB, Row, Item> {
  /** The rows the caller may see (store, mode, trash), nothing selected yet. */
  from: SelectQueryBuilder<DB, TB, object>;
  /** What to select of each row. */
  rows: (query: SelectQueryBuilder<DB, TB, object>) => SelectQueryBuilder<DB, TB, Row>;
  search?: SearchBody;
  translator?: SearchTranslator;
  /** The list's own order, after the search's sort; it ends in a unique column so pages never overlap. */
  order: ReadonlyArray<readonly [column: string, direction: 'asc' | 'desc', nulls?: 'nulls last']>;
  page: PageQuery;
  /** The list's absolute URL, for the page links. */
  path: string;
  view: (rows: Row[]) => Item[] | Promise<Item[]>;
}

/**
 * One page of a list or of a search (`POST …/search` filters and sorts), in SellApp's
 * `{data, links, meta}`: every list and search route pages through here.
 */
export async function pagedSearch<DB, TB extends keyof DB, Row, Item>(spec: PagedSearch<DB, TB, Row, Item>): Promise<Page<Item>> {
  const condition = spec.search && spec.translator ? spec.translator.where(spec.search) : null;
  const matching = condition ? spec.from.where(condition) : spec.from;
  const { total } = await matching
    .select(sql<string>`count(*)`.as('total'))
    .$castTo<{ total: string }>()
    .executeTakeFirstOrThrow();
  const sorts = spec.search && spec.translator ? spec.translator.orderBy(spec.search) : [];
  let ordered = spec.rows(matching);
  for (const { column, direction } of sorts) ordered = ordered.orderBy(sql.ref(column), direction);
  for (const [column, direction, nulls] of spec.order)
    ordered = nulls
      ? ordered.orderBy(sql`${sql.ref(column)} ${sql.raw(direction)} nulls last`)
      : ordered.orderBy(sql.ref(column), direction);
  const rows = await ordered.limit(spec.page.limit).offset(offsetOf(spec.page)).execute();
  return toPage(await spec.view(rows), Number(total), spec.page, spec.path);
}

/**
 * One page of a catalog list (products, variants, listings): in the seller's order, each row
 * rendered from its id by the catalog's own view.
 */
export function pagedInSellerOrder<DB, TB extends keyof DB, Item>(
  spec: Omit<PagedSearch<DB, TB, { id: number }, Item>, 'rows' | 'order' | 'view'> & { render: (ids: number[]) => Promise<Item[]> },
): Promise<Page<Item>> {
  return pagedSearch({
    ...spec,
    rows: (query) => query.select(sql.ref('id').as('id')).$castTo<{ id: number }>(),
    order: [
      ['order', 'asc'],
      ['id', 'asc'],
    ],
    view: (rows) => spec.render(rows.map((row) => row.id)),
  });
}
