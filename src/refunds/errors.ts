/** A refund the order's money or lines do not allow (more than is left, an unknown line): 422. */
export class RefundRuleError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/** An order in a status that cannot be refunded (unpaid, voided, already refunded): 409. */
export class RefundConflictError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** No order by that id in the key's store and mode: 404. */
export class RefundedOrderNotFoundError extends Error {
  constructor() {
    super('Order not found.');
  }
}
