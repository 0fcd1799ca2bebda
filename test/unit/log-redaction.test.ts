import { redactQuery, redactRequest, redactResponse, redactUrl } from '../../src/api/log-redaction';

describe('request URLs in logs', () => {
  it('replaces the values of secret parameters and keeps the rest as sent', () => {
    expect(redactUrl('/files/a/b.zip?expires=1&content_type=application%2Fzip&signature=abc123')).toBe(
      '/files/a/b.zip?expires=1&content_type=application%2Fzip&signature=[redacted]',
    );
    const callback = '/community/discord/callback';
    expect(redactUrl(`${callback}?code=c0de&state=5tate`)).toBe(`${callback}?code=[redacted]&state=[redacted]`);
    // S3's presigned form, names in any case, the extended parser's array forms, an encoded name.
    expect(redactUrl('/o?X-Amz-Credential=AK%2F1&X-Amz-Signature=ff&X-Amz-Expires=60')).toBe(
      '/o?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Expires=60',
    );
    expect(redactUrl('/x?Token=t&signature[]=a&signature[0]=b&%73ignature=c&api_key')).toBe(
      '/x?Token=[redacted]&signature[]=[redacted]&signature[0]=[redacted]&%73ignature=[redacted]&api_key=[redacted]',
    );
    expect(redactUrl('/api/v2/invoices?status[]=PAID&page=2')).toBe('/api/v2/invoices?status[]=PAID&page=2');
    expect(redactUrl('/health')).toBe('/health');
  });

  it("replaces a buyer's order token and an invoice page's signature in the path", () => {
    const token = `fco_${'a1_-'.repeat(8)}`;
    expect(redactUrl(`/checkout/shop/orders/${token}/live`)).toBe('/checkout/shop/orders/fco_[redacted]/live');
    expect(redactUrl(`/api/v2/fast-checkout/7/orders/${token}`)).toBe('/api/v2/fast-checkout/7/orders/fco_[redacted]');
    expect(redactUrl('/checkout/shop/invoices/42/Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eHh4?checkout=success')).toBe(
      '/checkout/shop/invoices/42/[redacted]?checkout=success',
    );
    expect(redactUrl('/checkout/shop/invoices/42/c2lnbmF0dXJl/live')).toBe('/checkout/shop/invoices/42/[redacted]/live');
    // The redirect to the order page, in the response line.
    expect(redactResponse({ statusCode: 303, headers: { location: `/checkout/shop/orders/${token}`, 'x-request-id': 'r' } })).toEqual({
      statusCode: 303,
      headers: { location: '/checkout/shop/orders/fco_[redacted]', 'x-request-id': 'r' },
    });
    // The product page has nothing secret in its path.
    expect(redactUrl('/checkout/shop/rare-skin?email=a%40b.co')).toBe('/checkout/shop/rare-skin?email=a%40b.co');
  });

  it('redacts the parsed query as a copy, leaving the request itself alone', () => {
    const query = { signature: 'abc', page: '2', code: ['x'] };
    expect(redactQuery(query)).toEqual({ signature: '[redacted]', page: '2', code: '[redacted]' });
    expect(query.signature).toBe('abc');
    const serialized = { url: '/files/k?signature=abc', query };
    expect(redactRequest(serialized)).toEqual({
      url: '/files/k?signature=[redacted]',
      query: { signature: '[redacted]', page: '2', code: '[redacted]' },
    });
  });
});
