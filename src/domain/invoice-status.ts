/** SellApp v2's invoice statuses. PAID: the money is in. COMPLETED: every line delivered. */
export const INVOICE_STATUSES = [
  'PENDING',
  'REVERSED',
  'PARTIAL',
  'VOIDED',
  'REFUNDED',
  'PAID',
  'COMPLETED',
  'DISPUTING',
  'REVIEW',
  'FAILED',
] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** The one table of allowed transitions; anything else is refused with the current status. */
const TRANSITIONS: Record<InvoiceStatus, readonly InvoiceStatus[]> = {
  PENDING: ['PAID', 'PARTIAL', 'VOIDED', 'REVIEW', 'FAILED'],
  REVIEW: ['PAID', 'VOIDED'],
  PARTIAL: ['PAID', 'VOIDED'],
  PAID: ['COMPLETED', 'REFUNDED', 'DISPUTING', 'VOIDED'],
  COMPLETED: ['REFUNDED', 'DISPUTING'],
  DISPUTING: ['COMPLETED', 'PAID', 'REVERSED', 'REFUNDED'],
  REFUNDED: [],
  REVERSED: [],
  VOIDED: [],
  FAILED: [],
};

/**
 * DISPUTING → PAID only gives back the status a won dispute took from an order still delivering
 * (`disputeWon`): a payment never moves a disputed invoice, so a late or repeated payment report
 * (or a seller's mark-completed) cannot end a dispute.
 */
export function canTransition(from: InvoiceStatus, to: InvoiceStatus, options: { disputeWon?: boolean } = {}): boolean {
  if (from === 'DISPUTING' && to === 'PAID' && !options.disputeWon) return false;
  return TRANSITIONS[from].includes(to);
}

/** Statuses in which the money has arrived (delivery may run). */
export function isPaidStatus(status: InvoiceStatus): boolean {
  return status === 'PAID' || status === 'COMPLETED';
}

/** Statuses that undo a sale: the money went back or is contested, or the order was voided. */
export const SALE_UNDOING_STATUSES = ['REFUNDED', 'REVERSED', 'DISPUTING', 'VOIDED'] as const;
export type SaleUndoingStatus = (typeof SALE_UNDOING_STATUSES)[number];

export function undoesSale(status: InvoiceStatus): status is SaleUndoingStatus {
  return (SALE_UNDOING_STATUSES as readonly InvoiceStatus[]).includes(status);
}

/** Statuses in which an invoice still waits for its money (and its window can close). */
export const AWAITING_PAYMENT_STATUSES = ['PENDING', 'REVIEW', 'PARTIAL'] as const;

export function isAwaitingPayment(status: InvoiceStatus): boolean {
  return (AWAITING_PAYMENT_STATUSES as readonly InvoiceStatus[]).includes(status);
}
