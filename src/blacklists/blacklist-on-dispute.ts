import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { type BlacklistType, normaliseRule } from '../domain/blacklist';

/**
 * "Blacklist On Dispute": when the store has it on, a dispute opened on an order adds the
 * customer's e-mail and IP to the store's blacklist. A rule the store already has is not added
 * again, so a redelivered dispute event or a second disputed order leaves one rule of each.
 */
export async function blacklistDisputingCustomer(trx: DbExecutor, invoiceId: number): Promise<void> {
  const invoice = await trx
    .selectFrom('invoices as i')
    .innerJoin('stores as s', 's.id', 'i.store_id')
    .select(['i.store_id', 'i.customer_email', 'i.customer_ip', 's.blacklist_on_dispute'])
    .where('i.id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  if (!invoice.blacklist_on_dispute) return;
  const candidates: [BlacklistType, string | null][] = [
    ['EMAIL', invoice.customer_email],
    ['IP', invoice.customer_ip],
  ];
  for (const [type, raw] of candidates) {
    if (!raw) continue;
    const rule = normaliseRule(type, raw);
    if (!('data' in rule)) continue;
    const existing = await trx
      .selectFrom('blacklists')
      .select('id')
      .where('store_id', '=', invoice.store_id)
      .where('type', '=', type)
      .where(sql`lower(data)`, '=', rule.data.toLowerCase())
      .executeTakeFirst();
    if (existing) continue;
    await trx
      .insertInto('blacklists')
      .values({ store_id: invoice.store_id, type, data: rule.data, description: `Dispute opened on order #${invoiceId}` })
      .execute();
  }
}
