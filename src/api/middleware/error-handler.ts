import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { isDatabaseUnavailable } from '../../db/unavailable';
import { toApiError } from '../domain-errors';
import { ApiError, type ErrorDialect, errorDocsUrl, renderError } from '../errors';

export function dialect(name: ErrorDialect): RequestHandler {
  return (_req, res, next) => {
    res.locals.errorDialect = name;
    next();
  };
}

/** Errors from body-parser carry a `type`; map the ones a client can cause. */
function fromBodyParser(error: { type?: string; status?: number; message?: string }): ApiError | null {
  switch (error.type) {
    case 'entity.parse.failed':
      return new ApiError('invalid_request', 'invalid_json', 'Request body is not valid JSON', {
        sellappMessage: 'Malformed JSON in request body.',
      });
    case 'entity.too.large':
      return new ApiError('invalid_request', 'payload_too_large', 'Request body is too large', { status: 413 });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('invalid_request', 'unsupported_encoding', error.message ?? 'Unsupported body encoding', { status: 415 });
    default:
      return error.status && error.status >= 400 && error.status < 500
        ? new ApiError('invalid_request', 'bad_request', error.message ?? 'Bad request', { status: error.status })
        : null;
  }
}

export function notFoundRoute(): RequestHandler {
  return (req) => {
    throw new ApiError('not_found', 'route_not_found', `No route ${req.method} ${req.path}`, { sellappMessage: 'Not found.' });
  };
}

/** Every error of every route leaves in the envelope; unexpected ones are logged, never shown. */
export function errorHandler(publicBaseUrl: string): ErrorRequestHandler {
  const docsUrl = errorDocsUrl(publicBaseUrl);
  return (err: unknown, req: Request, res: Response, _next) => {
    const apiError =
      toApiError(err) ??
      fromBodyParser(err as { type?: string }) ??
      (isDatabaseUnavailable(err)
        ? // Nothing was accepted: the client may retry the same request once the database is back.
          new ApiError('service_unavailable', 'service_unavailable', 'The database cannot be reached right now; retry after Retry-After', {
            headers: { 'Retry-After': '5' },
            extra: { retry_after: 5 },
          })
        : new ApiError('internal_error', 'internal_error', 'Something went wrong on our side; retry with backoff'));
    if (apiError.type === 'internal_error') req.log?.error({ err }, 'unhandled error');
    if (apiError.code === 'service_unavailable') req.log?.warn({ err }, 'database unavailable');
    const { status, body } = renderError(apiError, (res.locals.errorDialect as ErrorDialect | undefined) ?? 'sell', {
      requestId: String(res.getHeader('X-Request-Id') ?? req.id),
      docsUrl,
    });
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(apiError.options.headers ?? {})) res.setHeader(name, value);
    res.status(status).json(body);
  };
}
