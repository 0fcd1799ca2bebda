import type { z } from 'zod';

/** The Sell API's error types, each with its HTTP status. */
export const ERROR_STATUS = {
  authentication_required: 401,
  permission_denied: 403,
  not_found: 404,
  conflict: 409,
  invalid_request: 400,
  rate_limited: 429,
  internal_error: 500,
  /** A provider we depend on (payment gateway) failed or could not be reached: retry later. */
  bad_gateway: 502,
  /** A provider we depend on is busy or down for now: retry after Retry-After. */
  service_unavailable: 503,
} as const;

export type ErrorType = keyof typeof ERROR_STATUS;

/**
 * Which seed's conventions a route family follows. Both get the Sell envelope; SellApp
 * routes (/api/v2, /api/v1/listings) also get its 422 for validation and its
 * `message` / `errors` fields.
 */
export type ErrorDialect = 'sell' | 'sellapp';

export interface ApiErrorOptions {
  param?: string | null;
  status?: number;
  /** Field → messages, for validation failures (SellApp's `errors`). */
  fieldErrors?: Record<string, string[]>;
  /** SellApp's fixed wording for this failure, when it documents one. */
  sellappMessage?: string;
  headers?: Record<string, string>;
  /** Extra top-level fields (e.g. retry_after on 429). */
  extra?: Record<string, unknown>;
}

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly options: ApiErrorOptions = {},
  ) {
    super(message);
    this.status = options.status ?? ERROR_STATUS[type];
  }
}

export const unauthenticated = (message = 'Missing or invalid API key') =>
  new ApiError('authentication_required', 'invalid_api_key', message, { sellappMessage: 'Unauthenticated.' });

export const permissionDenied = (code: string, message: string) =>
  new ApiError('permission_denied', code, message, { sellappMessage: 'This action is unauthorized.' });

export const notFound = (resource: string, message = `${resource} not found.`) =>
  new ApiError('not_found', 'resource_missing', message, { sellappMessage: `${resource} not found.` });

export const conflict = (code: string, message: string, param?: string) => new ApiError('conflict', code, message, { param });

export const invalidRequest = (code: string, message: string, param?: string) =>
  new ApiError('invalid_request', code, message, { param, fieldErrors: param ? { [param]: [message] } : undefined });

function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.map(String).join('.');
}

/** A failed zod parse: the first problem is the headline, every field is listed. */
export function validationFailed(error: z.ZodError, location: 'body' | 'query' | 'params'): ApiError {
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issuePath(issue) || location;
    (fieldErrors[key] ??= []).push(issue.message);
  }
  const first = error.issues[0];
  const param = first ? issuePath(first) || null : null;
  const code = first?.code === 'invalid_type' && first.input === undefined ? 'missing_field' : 'invalid_field';
  const message = first ? (param ? `${param}: ${first.message}` : first.message) : 'Invalid request';
  return new ApiError('invalid_request', code, message, {
    param,
    fieldErrors,
    sellappMessage: 'The given data was invalid.',
  });
}

export interface ErrorBody {
  error: { type: ErrorType; code: string; message: string; param: string | null };
  message: string;
  errors?: Record<string, string[]>;
  [extra: string]: unknown;
}

export function renderError(error: ApiError, dialect: ErrorDialect): { status: number; body: ErrorBody } {
  const isValidation = error.type === 'invalid_request' && error.options.fieldErrors !== undefined;
  const status = dialect === 'sellapp' && isValidation && error.status === 400 ? 422 : error.status;
  const body: ErrorBody = {
    ...error.options.extra,
    error: { type: error.type, code: error.code, message: error.message, param: error.options.param ?? null },
    message: dialect === 'sellapp' ? (error.options.sellappMessage ?? error.message) : error.message,
  };
  if (dialect === 'sellapp' && error.options.fieldErrors) body.errors = error.options.fieldErrors;
  return { status, body };
}
