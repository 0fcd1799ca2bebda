import { type ArrivedPayment, type ExpectedPayment, matchPayment } from '../../src/domain/payment-match';

/** The rule every gateway's payment goes through before it pays an invoice. */
const invoice: ExpectedPayment = { livemode: true, currency: 'USD', totalCents: 200_000, status: 'PENDING', paidBy: null };
const payment: ArrivedPayment = {
  livemode: true,
  ours: true,
  reference: 'cs_1',
  source: 'Checkout Session cs_1',
  currency: 'usd',
  amountCents: 200_000,
};

describe('matchPayment', () => {
  it('pays when mode, session, currency and amount match an invoice waiting for its money (more than the total too)', () => {
    expect(matchPayment(invoice, payment)).toEqual({ kind: 'pay' });
    expect(matchPayment(invoice, { ...payment, amountCents: 200_001 })).toEqual({ kind: 'pay' });
    expect(matchPayment({ ...invoice, status: 'PARTIAL' }, payment)).toEqual({ kind: 'pay' });
  });

  it.each([
    ['another mode', { livemode: false }, 'mode'],
    ['a session our checkout did not open', { ours: false }, 'foreign_session'],
    ['another currency', { currency: 'eur' }, 'currency'],
    ['no currency', { currency: null }, 'currency'],
    ['no amount', { amountCents: null }, 'amount'],
    ['nothing paid', { amountCents: 0 }, 'amount'],
  ] as const)('pays nothing for %s', (_name, change, code) => {
    expect(matchPayment(invoice, { ...payment, ...change })).toMatchObject({ kind: 'mismatch', code });
  });

  it('checks the mode before the session, the currency before the amount: the 1 EUR link for a 2,000 USD invoice', () => {
    const link = { ...payment, ours: false, currency: 'eur', amountCents: 1 };
    expect(matchPayment(invoice, link)).toMatchObject({ kind: 'mismatch', code: 'foreign_session' });
    expect(matchPayment(invoice, { ...link, livemode: false })).toMatchObject({ kind: 'mismatch', code: 'mode' });
    expect(matchPayment(invoice, { ...link, ours: true })).toMatchObject({ kind: 'mismatch', code: 'currency' });
  });

  it('takes less in the right currency as a partial payment', () => {
    expect(matchPayment(invoice, { ...payment, amountCents: 150_000 })).toEqual({
      kind: 'partial',
      code: 'underpaid',
      reason: 'partial payment: 150000 of 200000 USD (minor units) received',
    });
  });

  it('flags money for a voided or already paid invoice, and recognises the payment that paid it', () => {
    expect(matchPayment({ ...invoice, status: 'VOIDED' }, payment)).toMatchObject({ kind: 'mismatch', code: 'invoice_voided' });
    expect(matchPayment({ ...invoice, status: 'VOIDED' }, { ...payment, amountCents: 5 })).toMatchObject({ code: 'invoice_voided' });
    expect(matchPayment({ ...invoice, status: 'COMPLETED' }, payment)).toMatchObject({ kind: 'mismatch', code: 'already_paid' });
    expect(matchPayment({ ...invoice, status: 'PAID', paidBy: 'cs_other' }, payment)).toMatchObject({ code: 'already_paid' });
    expect(matchPayment({ ...invoice, status: 'REFUNDED' }, payment)).toMatchObject({ kind: 'mismatch', code: 'not_payable' });
    expect(matchPayment({ ...invoice, status: 'COMPLETED', paidBy: 'cs_1' }, payment)).toEqual({ kind: 'same_payment' });
  });
});
