/** A cancellation the request cannot have (422): refund flags with a scheduled cancel, nothing to refund. */
export class SubscriptionRuleError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/** The subscription's state forbids it (409): already ended, or a cancellation under way. */
export class SubscriptionConflictError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
