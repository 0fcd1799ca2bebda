import { redactQuery, redactRequest, redactUrl } from '../../src/api/log-redaction';

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
