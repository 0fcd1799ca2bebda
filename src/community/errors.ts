/** Community setup the request itself got wrong (400/422). */
export class CommunityRuleError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/** The request conflicts with what exists (a space still sold, a revoked grant). */
export class CommunityConflictError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export class CommunityNotFoundError extends Error {
  constructor(readonly resource: string) {
    super(`${resource} not found.`);
  }
}
