import { money } from '../../src/hosted-checkout/form';

describe('the hosted checkout’s amounts', () => {
  it('shows minor units in the currency’s own digits', () => {
    expect([money(1500, 'USD'), money('1500', 'JPY'), money(1500, 'KWD')]).toEqual(['15.00 USD', '1500 JPY', '1.500 KWD']);
  });
});
