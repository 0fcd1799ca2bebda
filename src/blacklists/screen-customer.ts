import type { DbExecutor } from '../db/schema';
import { type Customer, matches } from '../domain/blacklist';
import { recordEvent } from '../events/record';
import type { AsnLookup } from './asn-lookup';

export class BlacklistedCustomerError extends Error {
  constructor(
    readonly ruleId: number,
    readonly ruleType: string,
  ) {
    super(`The customer matches this store's ${ruleType} blacklist rule #${ruleId}; the purchase is refused`);
  }
}

/**
 * Refuses a checkout whose customer matches one of the store's rules. The refusal is
 * recorded (blocked_checkouts + checkout.blocked event) in its own write, since the
 * invoice transaction it stops will roll back.
 */
export async function screenCustomer(
  db: DbExecutor,
  storeId: number,
  livemode: boolean,
  input: Omit<Customer, 'asn'>,
  asn: AsnLookup,
): Promise<void> {
  const rules = await db.selectFrom('blacklists').select(['id', 'type', 'data']).where('store_id', '=', storeId).orderBy('id').execute();
  if (rules.length === 0) return;
  const customer: Customer = { ...input, asn: rules.some((r) => r.type === 'ASN') && input.ip ? await asn.asnOf(input.ip) : null };
  const hit = rules.find((rule) => matches(rule, customer));
  if (!hit) return;
  await db
    .insertInto('blocked_checkouts')
    .values({
      store_id: storeId,
      blacklist_id: hit.id,
      rule_type: hit.type,
      rule_data: hit.data,
      customer_email: customer.email?.toLowerCase() ?? null,
      customer_ip: customer.ip,
      country: customer.country,
    })
    .execute();
  await recordEvent(db, {
    storeId,
    livemode,
    type: 'checkout.blocked',
    data: { blacklist_id: hit.id, rule_type: hit.type, customer_email: customer.email?.toLowerCase() ?? null },
  });
  throw new BlacklistedCustomerError(hit.id, hit.type);
}
