import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { type Attribution, attributeOrder, type ReferralTouch } from '../domain/attribution';
import { activeAffiliateByCode } from './affiliates';
import { attributionSettings } from './program';

export interface InvoiceReferralHints {
  /** The referral code the storefront carried (`?affiliate=` / `data-sell-affiliate`). */
  affiliateCode: string | null | undefined;
  /** The storefront's visitor id, matching clicks it reported. */
  visitorId: string | null | undefined;
  /** Null when the buyer gave none: only the link and the visitor id can attribute. */
  customerEmail: string | null;
  /** The affiliate whose coupon this invoice uses. */
  couponAffiliateId: number | null;
}

/**
 * Credits a new invoice to an affiliate: their coupon, or the first or last referral link the
 * customer followed inside the tracking window. A code that is unknown or not active is
 * ignored (an old link must not block a checkout), and nobody earns on their own purchase.
 */
export async function attributeInvoice(
  trx: DbExecutor,
  storeId: number,
  hints: InvoiceReferralHints,
  now = new Date(),
): Promise<Attribution | null> {
  const program = await attributionSettings(trx, storeId);
  if (!program.enabled) return null;
  const email = hints.customerEmail?.trim().toLowerCase() || null;
  const since = new Date(now.getTime() - program.tracking_days * 86_400_000);

  const clicks = await trx
    .selectFrom('affiliate_clicks as c')
    .innerJoin('affiliates as a', 'a.id', 'c.affiliate_id')
    .select(['c.affiliate_id', 'c.clicked_at'])
    .where('c.store_id', '=', storeId)
    .where('a.status', '=', 'ACTIVE')
    .where('c.clicked_at', '>=', since)
    .where((eb) =>
      eb.or([
        ...(email ? [eb('c.customer_email', '=', email)] : []),
        ...(hints.visitorId ? [eb('c.visitor_id', '=', hints.visitorId)] : []),
      ]),
    )
    .execute();
  const touches: ReferralTouch[] = clicks.map((c) => ({ affiliateId: c.affiliate_id, at: c.clicked_at }));
  if (hints.affiliateCode) {
    // The link this checkout came through was followed last, whatever was reported before.
    const carried = await activeAffiliateByCode(trx, storeId, hints.affiliateCode);
    if (carried) touches.push({ affiliateId: carried.id, at: now });
  }
  let couponAffiliateId = hints.couponAffiliateId;
  if (couponAffiliateId !== null) {
    const owner = await trx.selectFrom('affiliates').select('status').where('id', '=', couponAffiliateId).executeTakeFirst();
    if (owner?.status !== 'ACTIVE') couponAffiliateId = null;
  }
  // The buyer's own affiliate account earns nothing on this order; another referrer still may.
  const own = email
    ? await trx
        .selectFrom('affiliates')
        .select('id')
        .where('store_id', '=', storeId)
        .where(sql`lower(email)`, '=', email)
        .executeTakeFirst()
    : undefined;
  return attributeOrder({
    touches: own ? touches.filter((t) => t.affiliateId !== own.id) : touches,
    now,
    trackingDays: program.tracking_days,
    order: program.referrer_order,
    couponAffiliateId: own && couponAffiliateId === own.id ? null : couponAffiliateId,
  });
}
