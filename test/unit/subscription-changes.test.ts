import { checkRenewalDate } from '../../src/subscriptions/subscription-changes';
import { SubscriptionRuleError } from '../../src/subscriptions/errors';

/** The renewal-date rule a change-renewal-date preview is checked against before the workflow is asked. */
describe('checkRenewalDate', () => {
  const now = new Date('2026-12-07T00:00:00Z');
  const row = { id: 1, store_id: 1, product_variant_id: 1, current_period_end: new Date('2027-01-07T00:00:00Z') };
  const codeOf = (date: string) => {
    try {
      checkRenewalDate(row, new Date(date), now);
      return null;
    } catch (error) {
      expect(error).toBeInstanceOf(SubscriptionRuleError);
      return { code: (error as SubscriptionRuleError).code, param: (error as SubscriptionRuleError).param };
    }
  };

  it('takes a future date within a year that is not the current renewal', () => {
    expect(codeOf('2026-12-20T12:00:00Z')).toBeNull();
    expect(codeOf('2027-12-07T00:00:00Z')).toBeNull();
  });

  it('refuses a past date, one more than a year out, and the renewal it already has (to the second)', () => {
    expect(codeOf('2026-12-06T23:59:59Z')).toEqual({ code: 'invalid_renewal_date', param: 'renewal_date' });
    expect(codeOf('2026-12-07T00:00:00Z')).toEqual({ code: 'invalid_renewal_date', param: 'renewal_date' });
    expect(codeOf('2027-12-07T00:00:01Z')).toEqual({ code: 'invalid_renewal_date', param: 'renewal_date' });
    expect(codeOf('2027-01-07T00:00:00.400Z')).toEqual({ code: 'invalid_renewal_date', param: 'renewal_date' });
  });
});
