import { fillRedirectUrl, modifierAdjustment, unknownRedirectVariables } from '../../src/domain/custom-payment-method';

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

describe('custom payment method modifiers', () => {
  it('takes the fixed part in the invoice currency’s own minor units', () => {
    const fee = { percentage: '-2.50', fixed: '-5.00' };
    expect(modifierAdjustment(fee, 'USD')).toEqual({ percent: -2.5, fixedCents: -500 });
    expect(modifierAdjustment(fee, 'JPY')).toEqual({ percent: -2.5, fixedCents: -5 });
    expect(modifierAdjustment(fee, 'KWD')).toEqual({ percent: -2.5, fixedCents: -5000 });
    expect(modifierAdjustment({ percentage: null, fixed: '1.25' }, 'KWD')).toEqual({ percent: 0, fixedCents: 1250 });
  });

  it('is nothing without a modifier or a fixed part', () => {
    expect(modifierAdjustment(null, 'JPY')).toEqual({ percent: 0, fixedCents: 0 });
    expect(modifierAdjustment({ percentage: '10.00', fixed: null }, 'USD')).toEqual({ percent: 10, fixedCents: 0 });
  });
});
