/** A catalog rule the request broke; the API maps it to invalid_request with `param`. */
export class CatalogRuleError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export class CatalogConflictError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export class CatalogNotFoundError extends Error {
  constructor(readonly resource: string) {
    super(`${resource} not found.`);
  }
}

/** Test-mode keys may not touch what live customers can buy. */
export class LivemodeForbiddenError extends Error {}
