import type { DbExecutor } from '../db/schema';

/** Invoice lines with their product's and variant's titles now (the line's own title is the snapshot): what every order view lists. */
export function titledLines(db: DbExecutor) {
  return db
    .selectFrom('invoice_lines as l')
    .leftJoin('products as p', 'p.id', 'l.product_id')
    .leftJoin('product_variants as v', 'v.id', 'l.variant_id')
    .select([
      'l.id',
      'l.invoice_id',
      'l.product_id',
      'l.variant_id',
      'l.title',
      'l.quantity',
      'l.unit_price_cents',
      'l.total_cents',
      'p.title as product_title',
      'v.title as variant_title',
    ]);
}
