import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { CatalogNotFoundError, CatalogRuleError } from './errors';

/**
 * The spec's optimistic concurrency: `expected_updated_at` is the `updated_at` a client last
 * read; a write carrying an older one is refused (422) instead of overwriting a change the
 * client never saw. The row is locked first, so two writers holding the same snapshot cannot
 * both pass.
 */
export async function checkSnapshot(
  trx: DbExecutor,
  target: { table: 'products' | 'product_variants'; id: number; storeId: number; resource: string },
  expected: string | undefined,
): Promise<void> {
  if (expected === undefined) return;
  const at = Date.parse(expected);
  if (Number.isNaN(at))
    throw new CatalogRuleError('invalid_field', 'expected_updated_at must be an ISO 8601 timestamp', 'expected_updated_at');
  const row = await sql<{ updated_at: Date }>`
    select updated_at from ${sql.table(target.table)} where id = ${target.id} and store_id = ${target.storeId} for update`.execute(trx);
  const current = row.rows[0];
  if (!current) throw new CatalogNotFoundError(target.resource);
  if (new Date(current.updated_at).getTime() !== at) {
    throw new CatalogRuleError(
      'stale_snapshot',
      `The ${target.resource.toLowerCase()} changed after expected_updated_at; retrieve it again and retry`,
      'expected_updated_at',
    );
  }
}
