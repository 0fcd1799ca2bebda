import type { InvoiceStatus } from '../domain/invoice-status';

/** A transition the status table does not allow; the API answers 409 naming the status. */
export class InvoiceStatusConflictError extends Error {
  constructor(
    readonly current: InvoiceStatus,
    readonly wanted: InvoiceStatus,
  ) {
    super(`The invoice is ${current} and cannot become ${wanted}`);
  }
}

/** A rule of invoice creation the request broke (stock, quantity, method…). */
export class InvoiceRuleError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/**
 * A checkout that cannot go ahead: the invoice is not payable (`conflict`), no gateway can take
 * it (`unprocessable`), or a rate source or chain is away for now (`unavailable`, try again).
 */
export class CheckoutError extends Error {
  constructor(
    readonly kind: 'conflict' | 'unprocessable' | 'unavailable',
    readonly code: string,
    message: string,
    readonly param: 'status' | 'payment_method',
  ) {
    super(message);
  }
}
