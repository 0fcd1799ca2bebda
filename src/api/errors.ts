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
 * Which seed's conventions a route family follows. Both get the same body; SellApp routes
 * (/api/v2, SellApp's /api/v1) answer validation with 422 and SellApp's fixed `message` wording,
 * the Sell publishing API with 400 and the detailed message. `embed` (fast checkout) is SellApp's,
 * with `errors` always there for the embed to show beside its fields (empty when no field is at fault).
 */
export type ErrorDialect = 'sell' | 'sellapp' | 'embed';

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

/** The official SellApp spec's error `type` enum, which its SDKs decode. */
export const SPEC_ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'authorization_error',
  'not_found_error',
  'conflict_error',
  'validation_error',
  'rate_limit_error',
  'api_error',
] as const;
export type SpecErrorType = (typeof SPEC_ERROR_TYPES)[number];

const SPEC_TYPE: Record<ErrorType, SpecErrorType> = {
  authentication_required: 'authentication_error',
  permission_denied: 'authorization_error',
  not_found: 'not_found_error',
  conflict: 'conflict_error',
  invalid_request: 'invalid_request_error',
  rate_limited: 'rate_limit_error',
  internal_error: 'api_error',
  bad_gateway: 'api_error',
  service_unavailable: 'api_error',
};

/** Where the error codes are described: the OpenAPI document's error schema. */
export function errorDocsUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl.replace(/\/$/, '')}/api/openapi.json#/components/schemas/Error`;
}

/**
 * Both generations read the same body: the official spec's top-level fields (`type`, `code`,
 * `message`, `status`, `param`, `request_id`, `docs_url`, `errors`) and, beside them, the Sell
 * seed's nested `error` object.
 */
export interface ErrorBody {
  type: SpecErrorType;
  code: string;
  message: string;
  status: number;
  param: string | null;
  request_id: string;
  docs_url: string;
  errors?: Record<string, string[]>;
  error: { type: ErrorType; code: string; message: string; param: string | null };
  [extra: string]: unknown;
}

export interface ErrorContext {
  /** The response's X-Request-Id (a uuid). */
  requestId: string;
  docsUrl: string;
}

export function renderError(error: ApiError, dialect: ErrorDialect, context: ErrorContext): { status: number; body: ErrorBody } {
  const isValidation = error.type === 'invalid_request' && error.options.fieldErrors !== undefined;
  const status = dialect !== 'sell' && isValidation && error.status === 400 ? 422 : error.status;
  const param = error.options.param ?? null;
  const body: ErrorBody = {
    ...error.options.extra,
    type: isValidation ? 'validation_error' : SPEC_TYPE[error.type],
    code: error.code,
    message: dialect !== 'sell' ? (error.options.sellappMessage ?? error.message) : error.message,
    status,
    param,
    request_id: context.requestId,
    docs_url: context.docsUrl,
    error: { type: error.type, code: error.code, message: error.message, param },
  };
  if (error.options.fieldErrors) body.errors = error.options.fieldErrors;
  else if (dialect === 'embed') body.errors = param ? { [param]: [error.message] } : {};
  return { status, body };
}
