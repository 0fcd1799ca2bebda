import { stringify } from 'csv-stringify/sync';
import { decimalMoney } from './affiliate-views';
import { AffiliateRuleError } from './errors';

const PAYPAL_MAX_ROWS = 5000;
const EMAIL = /^[^\s@",]+@[^\s@",]+\.[^\s@",]+$/;

/** Text an affiliate typed never runs as a spreadsheet formula when the CSV is opened. */
const inert = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

export const PAYOUT_EXPORT_FORMATS = ['paypal', 'generic'] as const;
export type PayoutExportFormat = (typeof PAYOUT_EXPORT_FORMATS)[number];

export interface ExportedPayout {
  id: number;
  affiliateCode: string | null;
  affiliateEmail: string;
  payoutMethod: string | null;
  payoutDetails: string | null;
  amountCents: number;
  currency: string;
  status: string;
  referrals: number;
  cycleDate: string | null;
  createdAt: Date;
  paidAt: Date | null;
}

/**
 * Payouts as CSV. `paypal` is PayPal Payouts' upload file: no header, one recipient per row
 * (recipient, amount, currency, customer id, note, wallet), one currency per file, so it
 * only takes PayPal payouts in one currency. `generic` has a header and every field.
 */
export function payoutsCsv(payouts: readonly ExportedPayout[], format: PayoutExportFormat): string {
  if (format === 'paypal') {
    const notPaypal = payouts.find((p) => p.payoutMethod !== 'PAYPAL');
    if (notPaypal)
      throw new AffiliateRuleError(
        'invalid_field',
        `Payout ${notPaypal.id} is paid with ${notPaypal.payoutMethod}, not PayPal; filter on payout_method=PAYPAL`,
        'format',
      );
    const currencies = new Set(payouts.map((p) => p.currency));
    if (currencies.size > 1)
      throw new AffiliateRuleError(
        'mixed_currencies',
        `PayPal takes one currency per file; these payouts are in ${[...currencies].join(', ')}`,
        'currency',
      );
    const notEmail = payouts.find((p) => !p.payoutDetails || !EMAIL.test(p.payoutDetails));
    if (notEmail)
      throw new AffiliateRuleError(
        'invalid_payout_details',
        `Payout ${notEmail.id}'s PayPal recipient is not an e-mail address; fix the affiliate's payout details`,
        'format',
      );
    if (payouts.length > PAYPAL_MAX_ROWS)
      throw new AffiliateRuleError(
        'too_many_payouts',
        `PayPal takes at most ${PAYPAL_MAX_ROWS} payouts per file; filter by affiliate_id`,
        'format',
      );
    return stringify(
      payouts.map((p) => [
        p.payoutDetails,
        decimalMoney(p.amountCents),
        p.currency,
        `payout-${p.id}`,
        p.cycleDate ? `Affiliate commission, cycle ${p.cycleDate}` : `Affiliate commission, payout ${p.id}`,
        'PAYPAL',
      ]),
    );
  }
  return stringify(
    payouts.map((p) => ({
      payout_id: p.id,
      affiliate_code: p.affiliateCode === null ? null : inert(p.affiliateCode),
      affiliate_email: p.affiliateEmail,
      payout_method: p.payoutMethod,
      payout_details: p.payoutDetails === null ? null : inert(p.payoutDetails),
      amount: decimalMoney(p.amountCents),
      currency: p.currency,
      status: p.status,
      referrals: p.referrals,
      cycle_date: p.cycleDate,
      created_at: p.createdAt.toISOString(),
      paid_at: p.paidAt?.toISOString() ?? '',
    })),
    {
      header: true,
      columns: [
        'payout_id',
        'affiliate_code',
        'affiliate_email',
        'payout_method',
        'payout_details',
        'amount',
        'currency',
        'status',
        'referrals',
        'cycle_date',
        'created_at',
        'paid_at',
      ],
    },
  );
}
