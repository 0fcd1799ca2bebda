import request from 'supertest';
import { waitFor } from './catalog-fixtures';
import type { Harness } from './harness';

/** A completed order of the variant referred by the affiliate `code`: its referral's id and commission. */
export async function referredSale(h: Harness, key: string, variantId: number, code: string) {
  const api = (method: 'post' | 'patch', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
  const res = await api('post', '/invoices', {
    customer_email: 'buyer@e.co',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
    affiliate: code,
  });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  await api('patch', `/invoices/${res.body.data.id}/mark-completed`).expect(200);
  const referral = await waitFor(
    () =>
      h.db
        .selectFrom('affiliate_referrals')
        .select(['id', 'commission_cents'])
        .where('invoice_id', '=', res.body.data.id)
        .executeTakeFirst(),
    (r) => r !== undefined,
  );
  return referral!;
}

/** Ends a referral's hold (the fiat refund window) now: the next payout may book it. */
export async function dueNow(h: Harness, referralId: number): Promise<void> {
  await h.db
    .updateTable('affiliate_referrals')
    .set({ eligible_at: new Date(Date.now() - 1000) })
    .where('id', '=', referralId)
    .execute();
}

/** The official SDKs' affiliate program settings: percentage commission, PayPal payouts, the hub on, approval by review. */
export const officialProgramSettings = {
  auto_approve_affiliates: false,
  minimum_payout: '0',
  commission: { type: 'percentage', amount: '10' },
  referrer_type: 'last_referrer',
  tracking_length: 30,
  subscription_commission: false,
  enabled_specific_products: false,
  payout_methods: ['PAYPAL'],
  enable_hub: true,
};
