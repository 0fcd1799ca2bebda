import { sql } from 'kysely';
import { type AbandonedCartSettings, incentiveCouponId, remindsCheckout } from '../domain/abandoned-cart';
import { priceCoupon } from '../coupons/apply-coupon';
import { type InvoiceStatus, isAwaitingPayment } from '../domain/invoice-status';
import type { Db, DbExecutor } from '../db/schema';
import { recordIntent } from '../outbox/record-intent';
import { checkAbandoned } from './checkout-reminder-eligibility';
import { type BuyerEmailDependencies, type BuyerEmailOutcome, sendBuyerEmailOnce } from './buyer-email';
import type { SecretBox } from '../security/secret-box';
import { formatAmount, renderCheckoutReminder } from './checkout-reminder-template';
import { invoiceCheckoutUrl } from './invoice-checkout-link';

/** The send key of reminder `number` in delivery_emails: one e-mail per invoice and reminder, whatever retries. */
export const checkoutReminderKey = (number: number) => `checkout-reminder-${number}`;

/** How long "an hour" of a reminder schedule lasts (CHECKOUT_REMINDER_HOUR_SECONDS; tests shorten it). */
export interface CheckoutReminderTiming {
  hourMs: number;
}

/**
 * In the new invoice's own transaction: a store that reminds abandoned checkouts, and this
 * checkout among those it reminds, gets its reminder workflow started through the engine
 * outbox. Elsewhere nothing is recorded and nothing runs: an unpaid invoice stays a row.
 *
 * A reminder links to a checkout that must still be open: the invoice does not expire before
 * its last reminder has had the store's invoice lifetime to work (a 48 h reminder in a store
 * whose invoices last 24 h keeps the invoice open 72 h).
 */
export async function scheduleCheckoutReminders(trx: DbExecutor, invoiceId: number, timing: CheckoutReminderTiming): Promise<boolean> {
  const row = await trx
    .selectFrom('invoices as i')
    .innerJoin('stores as s', 's.id', 'i.store_id')
    .select(['i.total_cents', 'i.currency', 'i.customer_email', 's.abandoned_cart', 's.currency as store_currency'])
    .where('i.id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  const invoice = { totalCents: row.total_cents, currency: row.currency, customerEmail: row.customer_email };
  if (!remindsCheckout(row.abandoned_cart, invoice, row.store_currency)) return false;
  const lastReminderSeconds = (row.abandoned_cart!.reminders.at(-1)!.after_hours * timing.hourMs) / 1000;
  await trx
    .updateTable('invoices')
    .set({
      expires_at: sql<Date>`greatest(expires_at, created_at
        + make_interval(secs => ${lastReminderSeconds}::double precision)
        + make_interval(secs => (select invoice_ttl_seconds from stores where id = invoices.store_id)))`,
    })
    .where('id', '=', invoiceId)
    .execute();
  await recordIntent(trx, { kind: 'checkout_reminders.start', subjectId: invoiceId });
  return true;
}

/**
 * The invoice stopped waiting for payment (paid, voided, expired): its reminder workflow, if it
 * has one, is cancelled through the outbox. The reminder activity checks the invoice itself
 * too, so a reminder racing this finds it paid and sends nothing.
 */
export async function stopCheckoutReminders(trx: DbExecutor, invoiceId: number): Promise<void> {
  const started = await trx
    .selectFrom('engine_intents')
    .select('id')
    .where('kind', '=', 'checkout_reminders.start')
    .where('subject_id', '=', invoiceId)
    .executeTakeFirst();
  if (started) await recordIntent(trx, { kind: 'checkout_reminders.stop', subjectId: invoiceId });
}

export interface PlannedReminder {
  number: number;
  /** ISO time: the checkout's start plus the reminder's hours. */
  dueAt: string;
}

/** When each reminder is due, from the store's schedule as it is now; none for a checkout no longer waiting. */
export async function planCheckoutReminders(db: DbExecutor, invoiceId: number, hourMs: number): Promise<PlannedReminder[]> {
  const row = await db
    .selectFrom('invoices as i')
    .innerJoin('stores as s', 's.id', 'i.store_id')
    .select([
      'i.status',
      'i.created_at',
      'i.total_cents',
      'i.currency',
      'i.customer_email',
      's.abandoned_cart',
      's.currency as store_currency',
    ])
    .where('i.id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  if (!isAwaitingPayment(row.status as InvoiceStatus)) return [];
  const invoice = { totalCents: row.total_cents, currency: row.currency, customerEmail: row.customer_email };
  if (!remindsCheckout(row.abandoned_cart, invoice, row.store_currency)) return [];
  return row.abandoned_cart!.reminders.map((r, i) => ({
    number: i + 1,
    dueAt: new Date(row.created_at.getTime() + r.after_hours * hourMs).toISOString(),
  }));
}

export interface CheckoutReminderDependencies extends BuyerEmailDependencies {
  db: Db;
  /** Where the invoice's own hosted checkout page lives (PUBLIC_BASE_URL), signed with `secrets`. */
  publicBaseUrl: string;
  secrets: SecretBox;
}

export type CheckoutReminderOutcome =
  | BuyerEmailOutcome
  /** The invoice no longer waits for payment: no reminder now or later. */
  | { status: 'settled'; invoiceStatus: InvoiceStatus }
  /** The seller turned reminders off since: none now or later. */
  | { status: 'stopped'; reason: string }
  /**
   * The buyer did something toward paying it (a proof, crypto money seen, a PayPal approval, part
   * paid) or paid another checkout of the same goods: none now or later from the abandoned-cart path.
   */
  | { status: 'paying'; reason: string };

/** The store's coupon, when it is still one a buyer can use on these lines (not deleted, expired, used up or inapplicable). */
async function usableCoupon(
  db: DbExecutor,
  storeId: number,
  couponId: number,
  invoiceId: number,
): Promise<{ code: string; discountCents: number; expiresAt: Date | null } | null> {
  const coupon = await db
    .selectFrom('coupons')
    .selectAll()
    .where('id', '=', couponId)
    .where('store_id', '=', storeId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!coupon) return null;
  const lines = await db.selectFrom('invoice_lines').select(['product_id', 'total_cents']).where('invoice_id', '=', invoiceId).execute();
  const outcome = await priceCoupon(
    db,
    coupon,
    lines.map((l) => ({ productId: l.product_id, netCents: l.total_cents })),
  );
  if ('problem' in outcome) return null;
  return { code: coupon.code, discountCents: outcome.discountCents, expiresAt: coupon.expires_at };
}

/**
 * Reminder `number` of an unpaid checkout, sent once (delivery_emails, key checkout-reminder-N),
 * only while the checkout is abandoned (checkout-reminder-eligibility.ts): PENDING, nothing done
 * toward paying it, no sibling paid. Those facts are read under share locks held until the send
 * is settled: a payment, approval or proof (which locks the rows to change them) waits for this
 * send, or this send sees it and sends nothing. A buyer who paid is never reminded.
 */
export async function sendCheckoutReminder(
  deps: CheckoutReminderDependencies,
  invoiceId: number,
  number: number,
): Promise<CheckoutReminderOutcome> {
  const result = await deps.db.transaction().execute(async (trx): Promise<{ outcome: CheckoutReminderOutcome } | { error: unknown }> => {
    const { invoice, notAbandoned } = await checkAbandoned(trx, invoiceId);
    if (!isAwaitingPayment(invoice.status as InvoiceStatus))
      return { outcome: { status: 'settled', invoiceStatus: invoice.status as InvoiceStatus } };
    if (notAbandoned !== null) return { outcome: { status: 'paying', reason: notAbandoned } };
    const store = await trx
      .selectFrom('stores')
      .select(['name', 'slug', 'reply_to_email', 'abandoned_cart'])
      .where('id', '=', invoice.store_id)
      .executeTakeFirstOrThrow();
    const settings: AbandonedCartSettings | null = store.abandoned_cart;
    if (!settings?.enabled) return { outcome: { status: 'stopped', reason: 'The store turned abandoned cart reminders off' } };
    try {
      const outcome = await sendBuyerEmailOnce(
        { db: trx, mail: deps.mail },
        invoiceId,
        checkoutReminderKey(number),
        invoice.customer_email,
        async () => {
          const couponId = incentiveCouponId(settings, number, invoice.coupon_id !== null);
          const coupon = couponId === null ? null : await usableCoupon(trx, invoice.store_id, couponId, invoiceId);
          const lines = await trx
            .selectFrom('invoice_lines')
            .select(['title', 'quantity'])
            .where('invoice_id', '=', invoiceId)
            .orderBy('id')
            .execute();
          const rendered = renderCheckoutReminder({
            storeName: store.name,
            invoiceId,
            number,
            lines,
            total: formatAmount(invoice.total_cents, invoice.currency),
            payUrl: invoiceCheckoutUrl(deps.publicBaseUrl, deps.secrets, store, invoiceId),
            coupon: coupon && {
              code: coupon.code,
              expiresAt: coupon.expiresAt,
              discount: formatAmount(coupon.discountCents, invoice.currency),
            },
          });
          return { ...rendered, storeName: store.name, replyTo: store.reply_to_email };
        },
      );
      return { outcome };
    } catch (error) {
      // The failure is recorded (committed with this transaction); the activity retries.
      return { error };
    }
  });
  if ('error' in result) throw result.error;
  return result.outcome;
}

/** How many reminders an invoice was sent (for views and tests). */
export async function checkoutRemindersSent(db: DbExecutor, invoiceId: number): Promise<number> {
  const row = await db
    .selectFrom('delivery_emails')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('invoice_id', '=', invoiceId)
    .where('send_key', 'like', sql<string>`'checkout-reminder-%'`)
    .where('status', '=', 'sent')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
