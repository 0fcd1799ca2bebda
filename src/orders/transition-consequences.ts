import { bookReferral } from '../affiliates/book-referral';
import { clawBackReferral, restoreReferral } from '../affiliates/referral-clawback';
import { blacklistDisputingCustomer } from '../blacklists/blacklist-on-dispute';
import { restoreCommunityGrants } from '../community/grant-records';
import { revokeGrantsOfUndoneSale } from '../community/revoke-on-undone-sale';
import { redeemCoupon } from '../coupons/redeem-on-paid';
import { stopCheckoutReminders } from './checkout-reminders';
import { disableLicenseKeys, endSubscriptionOfUndoneSale } from '../refunds/revoke-goods';
import type { DbExecutor } from '../db/schema';
import { clearReviewFlag } from './custom-payment-review';
import { tellOrderOfSale } from './order-sale-news';
import { type InvoiceStatus, isAwaitingPayment, isPaidStatus, type SaleUndoingStatus, undoesSale } from '../domain/invoice-status';

/** One invoice status change, seen from inside the transaction that makes it. */
export interface Transition {
  trx: DbExecutor;
  invoice: { id: number; coupon_id: number | null; coupon_discount_cents: number };
  from: InvoiceStatus;
  to: InvoiceStatus;
  /** When the money came in (the transition's paid_at, else now). */
  paidAt: Date;
}

type SaleUndone = Transition & { to: SaleUndoingStatus };
type Consequence = (transition: Transition) => Promise<void>;

const moneyIn = (t: Transition) => isPaidStatus(t.to);
/** Not again when delivery completes or a dispute is won. */
const firstPayment = (t: Transition) => moneyIn(t) && !isPaidStatus(t.from) && t.from !== 'DISPUTING';
const saleUndone = (t: Transition): t is SaleUndone => undoesSale(t.to);
/** Back to what the dispute took: COMPLETED, or PAID for an order still delivering. */
const disputeWon = (t: Transition) => t.from === 'DISPUTING' && isPaidStatus(t.to);
const disputeOpened = (t: Transition) => t.to === 'DISPUTING';
/** Paid, voided or expired: the checkout waits no more. */
const checkoutSettled = (t: Transition) => isAwaitingPayment(t.from) && !isAwaitingPayment(t.to);
/** The seller decided a custom payment's review (completed or voided it). */
const reviewClosed = (t: Transition) => t.from === 'REVIEW';
/** The money went back for good (refunded, or a dispute lost): unlike an open dispute, nothing will return it. */
const moneyGone = (t: Transition) => t.to === 'REFUNDED' || t.to === 'REVERSED';
/** What a paid order's running workflow must hear (a void tells it itself). */
const saleNews = (t: Transition) => moneyGone(t) || disputeOpened(t) || disputeWon(t);

function on<T extends Transition>(when: (t: Transition) => t is T, run: (t: T) => Promise<unknown>): Consequence;
function on(when: (t: Transition) => boolean, run: (t: Transition) => Promise<unknown>): Consequence;
function on(when: (t: Transition) => boolean, run: (t: Transition) => Promise<unknown>): Consequence {
  return async (t) => {
    if (when(t)) await run(t);
  };
}

/**
 * Everything an invoice status change sets off besides the status and its event, in the order
 * it runs. Each runs in the transition's own transaction, so it happens exactly when the status
 * changes and never twice; what a workflow must hear of goes through an outbox from there.
 */
const CONSEQUENCES: Record<string, Consequence> = {
  'coupon redeemed': on(moneyIn, ({ trx, invoice }) => redeemCoupon(trx, invoice)),
  'referral booked': on(firstPayment, ({ trx, invoice, paidAt }) => bookReferral(trx, invoice.id, paidAt)),
  'referral clawed back': on(saleUndone, ({ trx, invoice, to }) => clawBackReferral(trx, invoice.id, to)),
  'community access revoked': on(saleUndone, ({ trx, invoice, to }) => revokeGrantsOfUndoneSale(trx, invoice.id, to)),
  'license keys disabled': on(moneyGone, ({ trx, invoice }) => disableLicenseKeys(trx, invoice.id)),
  'subscription ended': on(moneyGone, ({ trx, invoice }) => endSubscriptionOfUndoneSale(trx, invoice.id)),
  'referral restored': on(disputeWon, ({ trx, invoice }) => restoreReferral(trx, invoice.id)),
  'community access restored': on(disputeWon, ({ trx, invoice }) => restoreCommunityGrants(trx, invoice.id)),
  'customer blacklisted on dispute': on(disputeOpened, ({ trx, invoice }) => blacklistDisputingCustomer(trx, invoice.id)),
  'checkout reminders stopped': on(checkoutSettled, ({ trx, invoice }) => stopCheckoutReminders(trx, invoice.id)),
  'custom payment review closed': on(reviewClosed, ({ trx, invoice }) => clearReviewFlag(trx, invoice.id)),
  'order workflow told': on(saleNews, ({ trx, invoice, to }) => tellOrderOfSale(trx, invoice.id, to)),
};

export async function runTransitionConsequences(transition: Transition): Promise<void> {
  for (const consequence of Object.values(CONSEQUENCES)) await consequence(transition);
}
