import { z } from 'zod';
import { ApiError, invalidRequest, notFound, renderError, validationFailed } from '../../src/api/errors';

describe('error body', () => {
  const failure = z.object({ billingInterval: z.string() }).safeParse({});
  const validation = validationFailed((failure as { error: z.ZodError }).error, 'body');
  const context = {
    requestId: '0b8a4c1e-3f0d-4a7e-9a51-2f6b1f0c9d11',
    docsUrl: 'http://localhost/api/openapi.json#/components/schemas/Error',
  };
  const render = (error: ApiError, dialect: 'sell' | 'sellapp' = 'sell') => renderError(error, dialect, context);

  it('renders the Sell envelope with 400 for validation on Sell routes', () => {
    const { status, body } = render(validation);
    expect(status).toBe(400);
    expect(body.error).toEqual({
      type: 'invalid_request',
      code: 'missing_field',
      message: expect.stringContaining('billingInterval'),
      param: 'billingInterval',
    });
    expect(body).toMatchObject({ type: 'validation_error', status: 400, param: 'billingInterval', request_id: context.requestId });
  });

  it('renders SellApp’s 422, message and errors beside the envelope on SellApp routes', () => {
    const { status, body } = render(validation, 'sellapp');
    expect(status).toBe(422);
    expect(body.message).toBe('The given data was invalid.');
    expect(body.errors).toEqual({ billingInterval: [expect.any(String)] });
    expect(body.error.param).toBe('billingInterval');
  });

  it('carries the official spec’s top-level fields on every error', () => {
    const { body } = render(notFound('Product'), 'sellapp');
    expect(body).toMatchObject({
      type: 'not_found_error',
      code: 'resource_missing',
      message: 'Product not found.',
      status: 404,
      param: null,
      request_id: context.requestId,
      docs_url: context.docsUrl,
    });
    expect(render(new ApiError('rate_limited', 'rate_limited', 'slow down')).body.type).toBe('rate_limit_error');
    expect(render(new ApiError('bad_gateway', 'gateway_unavailable', 'down')).body.type).toBe('api_error');
  });

  it('keeps each type’s status', () => {
    expect(render(notFound('Product'), 'sellapp')).toMatchObject({ status: 404, body: { message: 'Product not found.' } });
    expect(render(new ApiError('conflict', 'duplicate_external_id', 'taken')).status).toBe(409);
    expect(render(new ApiError('internal_error', 'internal_error', 'oops')).status).toBe(500);
    expect(render(invalidRequest('bad', 'no', 'x'))).toMatchObject({ status: 400, body: { error: { param: 'x' } } });
  });
});
