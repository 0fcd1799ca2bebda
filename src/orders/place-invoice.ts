import type { AsnLookup } from '../blacklists/asn-lookup';
import { screenCustomer } from '../blacklists/screen-customer';
import type { CatalogActor } from '../catalog/actor';
import type { Db } from '../db/schema';
import { countCheckoutAttempt } from './checkout-attempts';
import { type CheckoutReminderTiming, scheduleCheckoutReminders } from './checkout-reminders';
import { checkoutScreen } from './checkout-settings';
import { createInvoice, type CreateInvoiceInput } from './create-invoice';
import { InvoiceRuleError } from './errors';

export interface PlaceInvoiceInput extends CreateInvoiceInput {
  /** The buyer's checkout session fingerprint, counted by the store's fingerprint limit. */
  fingerprint?: string | null;
}

/**
 * The one way a buyer's invoice is made, whoever asks (a key, fast checkout, the hosted page):
 * the e-mail required unless the store disabled the checkout e-mail, the attempt counted
 * against the store's limits, the customer screened against its blacklist (both kept even when
 * the invoice is refused; without an e-mail its IP, country and fingerprint still count), then
 * the invoice created with every rule of the catalogue. No workflow yet: an unpaid invoice costs the engine nothing, unless the
 * store reminds abandoned checkouts (then its reminder timers start through the outbox, and the
 * invoice stays open until its last reminder has had time to work).
 */
export async function placeInvoice(
  db: Db,
  actor: CatalogActor,
  input: PlaceInvoiceInput,
  asn: AsnLookup,
  reminders: CheckoutReminderTiming,
): Promise<number> {
  const { fingerprint, ...invoice } = input;
  const screen = await checkoutScreen(db, actor.storeId);
  // Refused before it counts as an attempt, as the request schemas refused it before the switch existed.
  if (!invoice.customerEmail?.trim() && !screen.checkoutEmailDisabled)
    throw new InvoiceRuleError('missing_field', 'customer_email is required', 'customer_email');
  await countCheckoutAttempt(db, actor.storeId, { email: invoice.customerEmail, ip: invoice.customerIp, fingerprint }, screen.limits);
  if (screen.hasBlacklist) {
    await screenCustomer(
      db,
      actor.storeId,
      actor.livemode,
      { email: invoice.customerEmail, ip: invoice.customerIp ?? null, country: invoice.country ?? null },
      asn,
    );
  }
  return db.transaction().execute(async (trx) => {
    const id = await createInvoice(trx, actor, invoice);
    await scheduleCheckoutReminders(trx, id, reminders);
    return id;
  });
}
