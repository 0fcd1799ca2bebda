import { fillRedirectUrl, unknownRedirectVariables } from '../../src/domain/custom-payment-method';

describe('custom payment method redirect URLs', () => {
  const values = {
    id: '42',
    invoice_id: '42',
    customer_email: 'buyer+vip@example.com',
    currency: 'EUR',
    price: '19.99',
    price_usd: '21.50',
    product_name: 'Pro plan & more',
    quantity: '2',
  };

  it('fills every variable, URL-encoded', () => {
    expect(
      fillRedirectUrl(
        'https://pay.example.com/p?o={id}&i={invoice_id}&e={customer_email}&c={currency}&a={price}&u={price_usd}&n={product_name}&q={quantity}',
        values,
      ),
    ).toBe('https://pay.example.com/p?o=42&i=42&e=buyer%2Bvip%40example.com&c=EUR&a=19.99&u=21.50&n=Pro%20plan%20%26%20more&q=2');
  });

  it('leaves what is not a variable alone and names unknown ones', () => {
    expect(fillRedirectUrl('https://x.test/{nope}/{price}', values)).toBe('https://x.test/{nope}/19.99');
    expect(unknownRedirectVariables('https://x.test/{nope}/{price}/{Price}')).toEqual(['nope', 'Price']);
  });
});
