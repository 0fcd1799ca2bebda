/** A customer field the request got wrong (422, naming the field). */
export class CustomerRuleError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/** A customer identity already taken or fixed (409). */
export class CustomerConflictError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export class CustomerNotFoundError extends Error {
  constructor(readonly resource = 'Customer') {
    super(`${resource} not found.`);
  }
}
