import type { InvoiceStatus } from '../domain/invoice-status';
import type { FulfillmentRefusal } from '../temporal/contracts/order';

/** A transition the status table does not allow; the API answers 409 naming the status. */
export class InvoiceStatusConflictError extends Error {
  constructor(
    readonly current: InvoiceStatus,
    readonly wanted: InvoiceStatus,
  ) {
    super(`The invoice is ${current} and cannot become ${wanted}`);
  }
}

/**
 * A void or a payment marked by hand, refused while PayPal may be taking the invoice's money (our
 * capture call is under way): asked again in a few seconds, it finds the capture's outcome.
 */
export class PaypalCaptureInFlightError extends Error {
  readonly retryAfterSeconds = 5;

  constructor(readonly invoiceId: number) {
    super(`A PayPal capture of invoice ${invoiceId} is under way; try again in a few seconds`);
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

/**
 * The order (its workflow, or its record once the workflow is over) refused a fulfillment action:
 * 422 when the request names what the order does not have, 409 otherwise.
 */
export class FulfillmentRefusedError extends Error {
  constructor(
    readonly refusal: FulfillmentRefusal,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }

  get unprocessable(): boolean {
    return this.refusal === 'no_such_step' || this.refusal === 'no_such_line';
  }
}

/** The caller's `expected_status` is not the invoice's status any more: someone changed it first. */
export class InvoiceStatusChangedError extends Error {
  constructor(
    readonly current: InvoiceStatus,
    readonly expected: InvoiceStatus,
  ) {
    super(`The invoice is ${current}, not ${expected} as expected`);
  }
}
