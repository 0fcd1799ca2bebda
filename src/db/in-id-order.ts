/**
 * Rows read by `where id in (…)` come back in no order; a page asked for them in its own.
 * This puts them in the order of `ids`, leaving out an id that found no row.
 */
export function inIdOrder<Row extends { id: number }>(ids: readonly number[], rows: readonly Row[]): Row[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [row] : [];
  });
}
