import type { DbExecutor } from '../db/schema';
import { commissionFor, eligibleAt, paidPerLine } from '../domain/commission';
import { CRYPTO_PAYMENT_METHODS } from '../domain/payment-methods';
import type { ReferralStatus } from '../domain/referral-status';
import { recordEvent } from '../events/record';
import { commissionRules, loadProgram } from './program';

/** Coins, and the processors that settle in coins (BTCPay Server, Coinbase Commerce): final money. */
const CRYPTO_SETTLED = new Set<string>([...CRYPTO_PAYMENT_METHODS, 'BTCPAY', 'COINBASE']);

/**
 * A paid invoice credited to an affiliate becomes a referral, once per invoice however often
 * the payment is reported. The commission is fixed now, from what the customer paid for the
 * lines the affiliate may earn on; crypto money is final, so it is payable at once.
 */
export async function bookReferral(trx: DbExecutor, invoiceId: number, paidAt: Date): Promise<void> {
  const invoice = await trx
    .selectFrom('invoices')
    .select([
      'id',
      'store_id',
      'livemode',
      'affiliate_id',
      'affiliate_source',
      'coupon_id',
      'coupon_discount_cents',
      'payment_method',
      'currency',
    ])
    .where('id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  if (invoice.affiliate_id === null) return;
  const existing = await trx.selectFrom('affiliate_referrals').select('id').where('invoice_id', '=', invoiceId).executeTakeFirst();
  if (existing) return;
  const affiliate = await trx.selectFrom('affiliates').selectAll().where('id', '=', invoice.affiliate_id).executeTakeFirstOrThrow();
  const program = await loadProgram(trx, invoice.store_id);
  // Switched off between checkout and payment: nobody earns.
  if (!program.enabled || affiliate.status !== 'ACTIVE') return;

  const lines = await trx
    .selectFrom('invoice_lines')
    .select(['product_id', 'total_cents'])
    .where('invoice_id', '=', invoiceId)
    .orderBy('id')
    .execute();
  const coupon = invoice.coupon_id
    ? await trx.selectFrom('coupons').select(['store_wide', 'products']).where('id', '=', invoice.coupon_id).executeTakeFirst()
    : undefined;
  const paid = paidPerLine(
    lines.map((l) => ({ productId: l.product_id, totalCents: l.total_cents })),
    invoice.coupon_discount_cents,
    coupon && !coupon.store_wide ? coupon.products : null,
  );
  const commission = commissionFor(commissionRules(program, affiliate), paid);
  if (commission.eligiblePaidCents === 0) return;

  const crypto = CRYPTO_SETTLED.has(invoice.payment_method);
  const status: ReferralStatus = program.auto_accept_referrals ? 'ACCEPTED' : 'PENDING';
  const timeline = [
    { status: 'CREATED', at: paidAt.toISOString() },
    ...(status === 'ACCEPTED' ? [{ status: 'ACCEPTED', at: paidAt.toISOString(), note: 'accepted automatically' }] : []),
  ];
  const inserted = await trx
    .insertInto('affiliate_referrals')
    .values({
      store_id: invoice.store_id,
      affiliate_id: affiliate.id,
      invoice_id: invoiceId,
      livemode: invoice.livemode,
      status,
      source: invoice.affiliate_source ?? 'LINK',
      paid_amount_cents: paid.reduce((sum, l) => sum + l.paidCents, 0),
      commission_cents: commission.commissionCents,
      currency: invoice.currency,
      calculation: JSON.stringify({ lines: commission.lines, eligible_paid_cents: commission.eligiblePaidCents, paid_with_crypto: crypto }),
      payment_method: invoice.payment_method,
      purchased_at: paidAt,
      eligible_at: eligibleAt(paidAt, crypto),
      timeline: JSON.stringify(timeline),
    })
    .onConflict((oc) => oc.column('invoice_id').doNothing())
    .returning(['id', 'commission_cents'])
    .executeTakeFirst();
  if (inserted) {
    await recordEvent(trx, {
      storeId: invoice.store_id,
      livemode: invoice.livemode,
      type: 'referral.created',
      data: { id: inserted.id, affiliate_id: affiliate.id, invoice_id: invoiceId, commission_cents: inserted.commission_cents, status },
    });
  }
}
