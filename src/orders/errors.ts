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
