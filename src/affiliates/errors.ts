/** A rule of the affiliate program the request broke (422, with the field named). */
export class AffiliateRuleError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/** The resource's current state forbids the change (409). */
export class AffiliateConflictError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export class AffiliateNotFoundError extends Error {
  constructor(readonly resource: string) {
    super(`${resource} not found.`);
  }
}
