import { z } from 'zod';
import { ApiError, invalidRequest, notFound, renderError, validationFailed } from '../../src/api/errors';

describe('error envelope', () => {
  const failure = z.object({ billingInterval: z.string() }).safeParse({});
  const validation = validationFailed((failure as { error: z.ZodError }).error, 'body');

  it('renders the Sell envelope with 400 for validation on Sell routes', () => {
    const { status, body } = renderError(validation, 'sell');
    expect(status).toBe(400);
    expect(body.error).toEqual({
      type: 'invalid_request',
      code: 'missing_field',
      message: expect.stringContaining('billingInterval'),
      param: 'billingInterval',
    });
    expect(body.errors).toBeUndefined();
  });

  it('renders SellApp’s 422, message and errors beside the envelope on SellApp routes', () => {
    const { status, body } = renderError(validation, 'sellapp');
    expect(status).toBe(422);
    expect(body.message).toBe('The given data was invalid.');
    expect(body.errors).toEqual({ billingInterval: [expect.any(String)] });
    expect(body.error.param).toBe('billingInterval');
  });

  it('keeps each type’s status', () => {
    expect(renderError(notFound('Product'), 'sellapp')).toMatchObject({ status: 404, body: { message: 'Product not found.' } });
    expect(renderError(new ApiError('conflict', 'duplicate_external_id', 'taken'), 'sell').status).toBe(409);
    expect(renderError(new ApiError('internal_error', 'internal_error', 'oops'), 'sell').status).toBe(500);
    expect(renderError(invalidRequest('bad', 'no', 'x'), 'sell')).toMatchObject({ status: 400, body: { error: { param: 'x' } } });
  });
});
