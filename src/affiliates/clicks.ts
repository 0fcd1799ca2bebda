import type { Db } from '../db/schema';
import { activeAffiliateByCode } from './affiliates';
import { AffiliateRuleError } from './errors';

export interface ClickReport {
  /** The referral link's `?affiliate=` code. */
  affiliate: string;
  visitor_id?: string;
  customer_email?: string;
}

/** A referral-link visit the storefront reports: it opens the tracking window that first/last attribution reads. */
export async function recordClick(db: Db, storeId: number, click: ClickReport) {
  const affiliate = await activeAffiliateByCode(db, storeId, click.affiliate);
  if (!affiliate) throw new AffiliateRuleError('affiliate_not_found', `No active affiliate with code "${click.affiliate}"`, 'affiliate');
  return db
    .insertInto('affiliate_clicks')
    .values({
      store_id: storeId,
      affiliate_id: affiliate.id,
      visitor_id: click.visitor_id ?? null,
      customer_email: click.customer_email?.toLowerCase() ?? null,
    })
    .returning(['id', 'affiliate_id', 'clicked_at'])
    .executeTakeFirstOrThrow();
}
