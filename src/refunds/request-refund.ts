import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import type { InvoiceStatus } from '../domain/invoice-status';
import { parseMajorAmount, refundableCents } from '../domain/refund-amount';
import type { EngineIntent } from '../outbox/record-intent';
import type { StripeGatewayRecord } from '../orders/stripe-checkout-record';
import type { PaypalGatewayRecord } from '../orders/paypal-order-record';
import { RefundConflictError, RefundedOrderNotFoundError, RefundRuleError } from './errors';

export interface RefundRequest {
  /** Major units in the order's currency ("12.50"); absent: everything still refundable. */
  amount?: string | null;
  /** Invoice line ids refunded whole: their goods are taken back. */
  lineIds?: number[];
  reason?: string | null;
  /** The request's Idempotency-Key: a retry after a lost answer finds the same refund. */
  requestKey?: string;
}

/** Only money that is in can go back; a disputed payment is the dispute's to settle. */
const REFUNDABLE: readonly InvoiceStatus[] = ['PAID', 'COMPLETED'];

/** Money the invoice's refunds took or are taking (failed ones gave nothing back). */
export async function refundedCents(trx: DbExecutor, invoiceId: number, exceptRefundId?: number): Promise<number> {
  let query = trx
    .selectFrom('refunds')
    .select(sql<string>`coalesce(sum(amount_cents), 0)`.as('cents'))
    .where('invoice_id', '=', invoiceId)
    .where('status', '!=', 'failed');
  if (exceptRefundId !== undefined) query = query.where('id', '!=', exceptRefundId);
  return Number((await query.executeTakeFirstOrThrow()).cents);
}

/**
 * Records a refund of a paid order, pending, under the invoice's row lock so two refunds at
 * once can never take more than was paid; the refund workflow (started from the intent after
 * commit) asks the gateway and then runs the consequences.
 */
export async function requestRefund(
  trx: DbExecutor,
  scope: { storeId: number; livemode: boolean; invoiceId: number },
  request: RefundRequest,
): Promise<{ refundId: number; intents: EngineIntent[] }> {
  if (request.requestKey) {
    const earlier = await trx
      .selectFrom('refunds')
      .select('id')
      .where('store_id', '=', scope.storeId)
      .where('request_key', '=', request.requestKey)
      .executeTakeFirst();
    if (earlier) return { refundId: earlier.id, intents: [{ kind: 'refund.start', subjectId: earlier.id }] };
  }
  const invoice = await trx
    .selectFrom('invoices')
    .select(['id', 'status', 'total_cents', 'currency', 'payment_method', 'gateway'])
    .where('id', '=', scope.invoiceId)
    .where('store_id', '=', scope.storeId)
    .where('livemode', '=', scope.livemode)
    // A charge shares the invoices table but is no order: the order and invoice routes do not know it.
    .where('kind', '=', 'INVOICE')
    .forUpdate()
    .executeTakeFirst();
  if (!invoice) throw new RefundedOrderNotFoundError();
  if (!REFUNDABLE.includes(invoice.status as InvoiceStatus)) {
    throw new RefundConflictError('invalid_status', `The order is ${invoice.status}: only a PAID or COMPLETED order can be refunded`);
  }
  const left = refundableCents(invoice.total_cents, await refundedCents(trx, invoice.id));
  if (left === 0) throw new RefundRuleError('nothing_to_refund', 'Nothing is left to refund on this order', 'amount');

  const lineIds = [...new Set(request.lineIds ?? [])];
  // Absent, null or empty: everything still refundable (the spec's wording).
  const amountText = request.amount ? request.amount : null;
  if (amountText !== null && lineIds.length > 0) {
    throw new RefundRuleError('amount_and_line_items', 'Refund either an amount or line items, not both', 'amount');
  }
  let amount: number;
  if (lineIds.length > 0) {
    amount = Math.min(left, await lineShare(trx, invoice, lineIds));
  } else if (amountText !== null) {
    const parsed = parseMajorAmount(amountText, invoice.currency);
    if (parsed === null) {
      throw new RefundRuleError('invalid_amount', `amount must be a positive ${invoice.currency} amount, like "12.50"`, 'amount');
    }
    amount = parsed;
  } else {
    amount = left;
  }
  if (amount <= 0) throw new RefundRuleError('nothing_to_refund', 'The named line items cost nothing to refund', 'line_items');
  if (amount > left) {
    throw new RefundRuleError(
      'amount_exceeds_refundable',
      `A refund of ${amount} cents is more than the ${left} ${invoice.currency} cents left to refund on this order`,
      'amount',
    );
  }
  // Stripe and PayPal refund through their APIs (the Stripe PaymentIntent, the PayPal capture that
  // paid it); a PAYPAL order the seller marked paid by hand is refunded by hand too.
  const paidThroughPaypal =
    invoice.payment_method === 'PAYPAL' && typeof (invoice.gateway as PaypalGatewayRecord | null)?.paid_by === 'string';
  const provider = invoice.payment_method === 'STRIPE' ? 'stripe' : paidThroughPaypal ? 'paypal' : 'manual';
  const row = await trx
    .insertInto('refunds')
    .values({
      store_id: scope.storeId,
      livemode: scope.livemode,
      invoice_id: invoice.id,
      source: 'api',
      // Crypto, custom and manual methods have no refund call: the seller pays it out by hand.
      provider,
      manual: provider === 'manual',
      amount_cents: amount,
      currency: invoice.currency,
      reason: request.reason ?? null,
      line_ids: JSON.stringify(lineIds),
      provider_payment_id: provider === 'manual' ? null : ((invoice.gateway as StripeGatewayRecord).data?.transaction_id ?? null),
      provider_refund_id: null,
      failure_reason: null,
      request_key: request.requestKey ?? null,
      consequences_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { refundId: row.id, intents: [{ kind: 'refund.start', subjectId: row.id }] };
}

/**
 * What the named lines cost of the invoice total: each line's share of what was paid (a coupon
 * or method adjustment spreads over the lines). A line already refunded whole cannot be again.
 */
async function lineShare(trx: DbExecutor, invoice: { id: number; total_cents: number }, lineIds: number[]): Promise<number> {
  const lines = await trx.selectFrom('invoice_lines').select(['id', 'total_cents']).where('invoice_id', '=', invoice.id).execute();
  const unknown = lineIds.find((id) => !lines.some((l) => l.id === id));
  if (unknown !== undefined) throw new RefundRuleError('unknown_line_item', `Line item ${unknown} is not on this order`, 'line_items');
  const earlier = await trx
    .selectFrom('refunds')
    .select('line_ids')
    .where('invoice_id', '=', invoice.id)
    .where('status', '!=', 'failed')
    .execute();
  const refunded = new Set(earlier.flatMap((r) => r.line_ids));
  const again = lineIds.find((id) => refunded.has(id));
  if (again !== undefined) throw new RefundRuleError('line_item_already_refunded', `Line item ${again} was already refunded`, 'line_items');
  const linesTotal = lines.reduce((sum, l) => sum + l.total_cents, 0);
  const named = lines.filter((l) => lineIds.includes(l.id)).reduce((sum, l) => sum + l.total_cents, 0);
  if (linesTotal <= 0) return 0;
  return Math.round((named * invoice.total_cents) / linesTotal);
}
