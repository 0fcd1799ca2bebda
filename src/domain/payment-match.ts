import { type InvoiceStatus, isAwaitingPayment, isPaidStatus } from './invoice-status';

/**
 * Every payment is matched before it pays. The rule, for every gateway: the payment's mode
 * equals the invoice's, it came through the session / payment our checkout created for that
 * invoice, in the invoice's currency, for at least its total. Anything else pays nothing and
 * waits for a person; an under-payment in the right currency is a partial payment. Money for
 * an invoice that is no longer waiting for it (voided, already paid by other means) is flagged,
 * never delivered twice.
 */

/** What the invoice expects. */
export interface ExpectedPayment {
  livemode: boolean;
  currency: string;
  totalCents: number;
  status: InvoiceStatus;
  /** The payment that already paid it (a checkout session, a subscription), when one did. */
  paidBy: string | null;
}

/** What arrived. */
export interface ArrivedPayment {
  livemode: boolean;
  /** Whether it came through what our checkout created for this invoice. */
  ours: boolean;
  /** Identifies the payment itself: the same payment reported twice is applied once. */
  reference: string;
  /** Where it came from, for people: "Checkout Session cs_…". */
  source: string;
  currency: string | null;
  amountCents: number | null;
}

export type MismatchCode =
  'mode' | 'foreign_session' | 'currency' | 'amount' | 'underpaid' | 'invoice_voided' | 'already_paid' | 'not_payable';

export type PaymentVerdict =
  | { kind: 'pay' }
  /** The payment that already paid this invoice, reported again: nothing to do. */
  | { kind: 'same_payment' }
  /** Right currency, less than the total: recorded as a partial payment, and flagged. */
  | { kind: 'partial'; code: 'underpaid'; reason: string }
  /** Pays nothing; flagged with the reason. */
  | { kind: 'mismatch'; code: Exclude<MismatchCode, 'underpaid'>; reason: string };

const modeName = (livemode: boolean) => (livemode ? 'live' : 'test');

export function matchPayment(expected: ExpectedPayment, arrived: ArrivedPayment): PaymentVerdict {
  if (expected.paidBy !== null && expected.paidBy === arrived.reference) return { kind: 'same_payment' };
  if (arrived.livemode !== expected.livemode) {
    const reason = `a ${modeName(arrived.livemode)}-mode payment for a ${modeName(expected.livemode)}-mode invoice`;
    return { kind: 'mismatch', code: 'mode', reason };
  }
  if (!arrived.ours) {
    return { kind: 'mismatch', code: 'foreign_session', reason: `${arrived.source} is not the checkout this invoice opened` };
  }
  const currency = arrived.currency?.toUpperCase() ?? null;
  const invoiceCurrency = expected.currency.toUpperCase();
  if (currency !== invoiceCurrency) {
    const reason = `paid in ${currency ?? 'an unknown currency'}, the invoice is in ${invoiceCurrency}`;
    return { kind: 'mismatch', code: 'currency', reason };
  }
  const amount = arrived.amountCents;
  const paid = `${amount ?? 'an unknown amount'} of ${expected.totalCents} ${currency} (minor units)`;
  if (amount === null || amount <= 0) return { kind: 'mismatch', code: 'amount', reason: `paid ${paid}` };
  const status = expected.status;
  if (isAwaitingPayment(status)) {
    if (amount < expected.totalCents) return { kind: 'partial', code: 'underpaid', reason: `partial payment: ${paid} received` };
    return { kind: 'pay' };
  }
  if (status === 'VOIDED') return { kind: 'mismatch', code: 'invoice_voided', reason: 'paid after the invoice was voided' };
  if (isPaidStatus(status)) {
    return { kind: 'mismatch', code: 'already_paid', reason: `a second payment for an invoice already ${status.toLowerCase()}` };
  }
  return { kind: 'mismatch', code: 'not_payable', reason: `paid while the invoice is ${status.toLowerCase()}` };
}
