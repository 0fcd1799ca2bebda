import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { commissionFor, eligibleAt, paidPerLine } from '../domain/commission';
import { CRYPTO_PAYMENT_METHODS } from '../domain/payment-methods';
import { canMoveReferral, type ReferralStatus } from '../domain/referral-status';
import { recordEvent } from '../events/record';
import { AffiliateConflictError, AffiliateNotFoundError } from './errors';
import { commissionRules, loadProgram } from './program';

/** Coins, and the processors that settle in coins (BTCPay Server, Coinbase Commerce): final money. */
const CRYPTO_SETTLED = new Set<string>([...CRYPTO_PAYMENT_METHODS, 'BTCPAY', 'COINBASE']);

const timelineEntry = (status: string, at: Date, note?: string) =>
  JSON.stringify([{ status, at: at.toISOString(), ...(note ? { note } : {}) }]);

/**
 * A paid invoice credited to an affiliate becomes a referral, once per invoice however often
 * the payment is reported. The commission is fixed now, from what the customer paid for the
 * lines the affiliate may earn on; crypto money is final, so it is payable at once.
 */
export async function recordReferral(trx: DbExecutor, invoiceId: number, paidAt: Date): Promise<void> {
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

/**
 * Takes a referral out of its payout while that payout is still DUE (the store has not sent
 * the money): the payout shrinks by the commission, or goes when nothing is left. A PAID
 * payout cannot be changed: false.
 */
async function releaseFromDuePayout(
  trx: DbExecutor,
  referral: { id: number; payout_id: number | null; commission_cents: number },
): Promise<boolean> {
  if (referral.payout_id === null) return true;
  const payout = await trx
    .selectFrom('affiliate_payouts')
    .select(['id', 'status', 'amount_cents'])
    .where('id', '=', referral.payout_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (payout.status !== 'DUE') return false;
  const now = new Date();
  await trx
    .updateTable('affiliate_referrals')
    .set({
      payout_id: null,
      timeline: sql`timeline || ${timelineEntry('NOTE', now, `taken out of payout ${payout.id}`)}::jsonb`,
      updated_at: now,
    })
    .where('id', '=', referral.id)
    .execute();
  const left = payout.amount_cents - referral.commission_cents;
  if (left > 0) await trx.updateTable('affiliate_payouts').set({ amount_cents: left }).where('id', '=', payout.id).execute();
  else await trx.deleteFrom('affiliate_payouts').where('id', '=', payout.id).execute();
  return true;
}

/**
 * Money that goes back (refund, reversal, dispute, void) takes the commission with it, also out
 * of a payout not sent yet; after a payout was paid it can only be noted.
 */
export async function voidReferral(trx: DbExecutor, invoiceId: number, reason: string): Promise<void> {
  const referral = await trx
    .selectFrom('affiliate_referrals')
    .select(['id', 'payout_id', 'voided_at', 'commission_cents'])
    .where('invoice_id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirst();
  if (!referral || referral.voided_at) return;
  const now = new Date();
  if (!(await releaseFromDuePayout(trx, referral))) {
    await trx
      .updateTable('affiliate_referrals')
      .set({ timeline: sql`timeline || ${timelineEntry('NOTE', now, `${reason} after the payout`)}::jsonb`, updated_at: now })
      .where('id', '=', referral.id)
      .execute();
    return;
  }
  await trx
    .updateTable('affiliate_referrals')
    .set({
      voided_at: now,
      void_reason: reason,
      timeline: sql`timeline || ${timelineEntry('VOIDED', now, reason)}::jsonb`,
      updated_at: now,
    })
    .where('id', '=', referral.id)
    .execute();
}

/**
 * A partial refund leaves the order paid but the commission too high: an accepted referral not
 * yet paid out goes back to IN_REVIEW (and out of a due payout) for the seller to decide.
 */
export async function reviewPartiallyRefundedReferral(trx: DbExecutor, invoiceId: number, refundedCents: number): Promise<void> {
  const referral = await trx
    .selectFrom('affiliate_referrals')
    .select(['id', 'status', 'payout_id', 'voided_at', 'commission_cents'])
    .where('invoice_id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirst();
  if (!referral || referral.voided_at || referral.status !== 'ACCEPTED') return;
  if (!(await releaseFromDuePayout(trx, referral))) return;
  const now = new Date();
  await trx
    .updateTable('affiliate_referrals')
    .set({
      status: 'IN_REVIEW',
      timeline: sql`timeline || ${timelineEntry('IN_REVIEW', now, `order partially refunded (${refundedCents} cents)`)}::jsonb`,
      updated_at: now,
    })
    .where('id', '=', referral.id)
    .execute();
}

/** A dispute the seller won gives the commission back, unless it was voided for another reason. */
export async function restoreReferral(trx: DbExecutor, invoiceId: number): Promise<void> {
  const now = new Date();
  await trx
    .updateTable('affiliate_referrals')
    .set({
      voided_at: null,
      void_reason: null,
      timeline: sql`timeline || ${timelineEntry('RESTORED', now, 'dispute won')}::jsonb`,
      updated_at: now,
    })
    .where('invoice_id', '=', invoiceId)
    .where('void_reason', '=', 'disputed')
    .where('payout_id', 'is', null)
    .execute();
}

export async function loadReferral(db: DbExecutor, storeId: number, id: number, options: { lock?: boolean } = {}) {
  let query = db.selectFrom('affiliate_referrals').selectAll().where('store_id', '=', storeId).where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new AffiliateNotFoundError('Referral');
  return row;
}

/** The seller accepts, reviews or rejects; a rejected or paid-out referral stays as it is. */
export async function moveReferral(trx: DbExecutor, storeId: number, id: number, to: ReferralStatus) {
  const referral = await loadReferral(trx, storeId, id, { lock: true });
  if (referral.status === to) return referral;
  if (!canMoveReferral(referral.status, to))
    throw new AffiliateConflictError('invalid_status', `A ${referral.status} referral cannot become ${to}`, 'status');
  if (to === 'ACCEPTED' && referral.voided_at)
    throw new AffiliateConflictError(
      'referral_voided',
      `This referral's order was ${referral.void_reason}; it cannot be accepted`,
      'status',
    );
  // Reviewing or rejecting an accepted referral takes it out of a payout the store has not paid.
  if (!(await releaseFromDuePayout(trx, referral)))
    throw new AffiliateConflictError('referral_paid_out', 'This referral was paid out; its status is final', 'status');
  const now = new Date();
  return trx
    .updateTable('affiliate_referrals')
    .set({ status: to, timeline: sql`timeline || ${timelineEntry(to, now)}::jsonb`, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
