import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';

/** Serial stock: one row per serial, AVAILABLE until an order claims it (then SOLD). */

export async function availableCount(db: DbExecutor, variantId: number): Promise<number> {
  const row = await db
    .selectFrom('variant_serials')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('variant_id', '=', variantId)
    .where('status', '=', 'AVAILABLE')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function availableCounts(db: DbExecutor, variantIds: number[]): Promise<Map<number, number>> {
  if (variantIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('variant_serials')
    .select(['variant_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('variant_id', 'in', variantIds)
    .where('status', '=', 'AVAILABLE')
    .groupBy('variant_id')
    .execute();
  return new Map(rows.map((r) => [r.variant_id, Number(r.n)]));
}

export async function availableSerials(db: DbExecutor, variantId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('variant_serials')
    .select('value')
    .where('variant_id', '=', variantId)
    .where('status', '=', 'AVAILABLE')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.value);
}

/** Every value this variant has ever held, sold or not: duplicate removal checks against it. */
export async function knownSerials(db: DbExecutor, variantId: number, status?: 'AVAILABLE' | 'SOLD'): Promise<Set<string>> {
  let query = db.selectFrom('variant_serials').select('value').where('variant_id', '=', variantId);
  if (status) query = query.where('status', '=', status);
  return new Set((await query.execute()).map((r) => r.value));
}

export async function appendSerials(db: DbExecutor, input: { storeId: number; variantId: number; serials: string[] }): Promise<void> {
  // Chunked so a large paste stays under the protocol's parameter limit.
  for (let i = 0; i < input.serials.length; i += 1000) {
    await db
      .insertInto('variant_serials')
      .values(
        input.serials
          .slice(i, i + 1000)
          .map((value) => ({ store_id: input.storeId, variant_id: input.variantId, value, claim_key: null, sold_at: null })),
      )
      .execute();
  }
}

/** The seller's list is the new unsold stock: unsold rows are replaced, sold ones stay as history. */
export async function replaceAvailableSerials(
  db: DbExecutor,
  input: { storeId: number; variantId: number; serials: string[] },
): Promise<void> {
  await db.deleteFrom('variant_serials').where('variant_id', '=', input.variantId).where('status', '=', 'AVAILABLE').execute();
  await appendSerials(db, input);
}

export class OutOfStockError extends Error {
  constructor(
    readonly variantId: number,
    readonly requested: number,
    readonly available: number,
  ) {
    super(`Variant ${variantId} has ${available} serial(s) in stock, ${requested} requested`);
  }
}

/**
 * Claims `quantity` serials for one order step, exactly once: the claim key (derived from
 * the order and step) makes a retry return the serials it already claimed, and
 * `for update skip locked` keeps concurrent orders from ever taking the same row.
 * Run inside a transaction; all or nothing.
 */
export async function claimSerials(trx: DbExecutor, input: { variantId: number; quantity: number; claimKey: string }): Promise<string[]> {
  const already = await trx
    .selectFrom('variant_serials')
    .select('value')
    .where('variant_id', '=', input.variantId)
    .where('claim_key', '=', input.claimKey)
    .orderBy('id')
    .execute();
  if (already.length > 0) return already.map((r) => r.value);
  const claimed = await sql<{ id: number; value: string }>`
    update variant_serials set status = 'SOLD', claim_key = ${input.claimKey}, sold_at = now()
    where id in (
      select id from variant_serials
      where variant_id = ${input.variantId} and status = 'AVAILABLE'
      order by id
      limit ${input.quantity}
      for update skip locked
    )
    returning id, value`.execute(trx);
  if (claimed.rows.length < input.quantity) {
    throw new OutOfStockError(input.variantId, input.quantity, claimed.rows.length);
  }
  // RETURNING follows no order: hand serials over in stock order, as a retry (ordered by id) returns them.
  return claimed.rows.sort((a, b) => a.id - b.id).map((r) => r.value);
}
