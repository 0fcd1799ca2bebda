import { z } from 'zod';
import { loadAffiliate } from '../../../affiliates/affiliates';
import { affiliateCoupon } from '../../../affiliates/affiliate-coupon';
import { PORTAL_PAYOUT_COLUMNS, portalPayouts, portalRecent, portalReferrals, publicVariants } from '../../../affiliates/affiliate-portal';
import { referralCount } from '../../../affiliates/store-payouts';
import {
  affiliateLink,
  affiliateReferralView,
  decimalMoney,
  earningsOf,
  type LinkContext,
  payoutTimeline,
} from '../../../affiliates/affiliate-views';
import { commissionRules, loadProgram, rateView } from '../../../affiliates/program';
import { commissionFor, isPromotable, rateFor } from '../../../domain/commission';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import { type Page, type PageQuery, pageQuery, pageUrl } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter, RouteContext } from '../../route';
import { rowId } from '../../schemas/common';

const affiliateParams = z.object({ affiliate: rowId });
const portalResponse = z.object({ data: z.object({}).passthrough() });

/**
 * What the affiliate sees in the store's customer portal: earnings, link and coupon, their
 * referrals and payouts, and the products they may promote with their rates. The portal is
 * the store's front end, calling with the store's key; these views never carry customer data.
 */
export function registerAffiliatePortalRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const links = (auth: RequestAuth): LinkContext => ({ storefrontBase: deps.config.api.publicBaseUrl, storeSlug: auth.store.slug });
  type PortalPayout = Awaited<ReturnType<typeof portalRecent>>['payouts'][number];
  const payoutView = (p: PortalPayout) => ({
    id: p.id,
    status: p.status,
    amount: decimalMoney(p.amount_cents),
    amount_cents: p.amount_cents,
    currency: p.currency,
    payout_method: p.payout_method,
    cycle_date: p.cycle_date,
    referrals: Number(p.referrals),
    timeline: payoutTimeline(p),
  });
  /** The affiliate's own rows, a page at a time, newest first. */
  const ownList = {
    method: 'get' as const,
    tags: ['Affiliate portal'],
    scope: 'affiliates:read' as const,
    params: affiliateParams,
    query: pageQuery,
    response: z.object({ data: z.array(z.object({}).passthrough()) }).passthrough(),
  };
  const ownPage =
    (page: (auth: RequestAuth, affiliateId: number, at: { page: PageQuery; path: string }) => Promise<Page<unknown>>) =>
    async ({ auth, params, query, req }: RouteContext<z.infer<typeof affiliateParams>, PageQuery, undefined>) => {
      const affiliate = await loadAffiliate(deps.db, auth.store.id, params.affiliate);
      return page(auth, affiliate.id, { page: query, path: pageUrl(deps.config.api.publicBaseUrl, req) });
    };

  router
    .route({
      method: 'get',
      path: '/affiliates/:affiliate/portal',
      summary: "The affiliate's overview: paid and unpaid earnings, referral count, link, coupon, recent referrals and payouts",
      tags: ['Affiliate portal'],
      scope: 'affiliates:read',
      params: affiliateParams,
      response: portalResponse,
      handler: async ({ auth, params }) => {
        const affiliate = await loadAffiliate(deps.db, auth.store.id, params.affiliate);
        const recent = await portalRecent(deps.db, auth.store.id, auth.livemode, affiliate.id);
        const coupon = await affiliateCoupon(deps.db, affiliate.id);
        return {
          data: {
            code: affiliate.code,
            status: affiliate.status,
            link: affiliateLink(links(auth), affiliate.code),
            coupon: coupon
              ? {
                  code: coupon.code,
                  type: coupon.type,
                  discount: String(coupon.discount / 100),
                  store_wide: coupon.store_wide,
                  products: coupon.products,
                  expires_at: coupon.expires_at?.toISOString() ?? null,
                }
              : null,
            earnings: await earningsOf(deps.db, affiliate.id, auth.livemode),
            referral_count: recent.referralCount,
            recent_referrals: recent.referrals.map(affiliateReferralView),
            recent_payouts: recent.payouts.map(payoutView),
          },
        };
      },
    })
    .route({
      ...ownList,
      path: '/affiliates/:affiliate/portal/referrals',
      summary: "The affiliate's referrals: date, status, commission and its calculation, timeline (no customer data)",
      handler: ownPage((auth, affiliateId, at) =>
        pagedSearch({
          from: portalReferrals(deps.db, auth.store.id, auth.livemode, affiliateId),
          rows: (q) => q.selectAll(),
          order: [['id', 'desc']],
          ...at,
          view: (rows) => rows.map(affiliateReferralView),
        }),
      ),
    })
    .route({
      ...ownList,
      path: '/affiliates/:affiliate/portal/payouts',
      summary: "The affiliate's payouts: date, status, amount, referral count, timeline",
      handler: ownPage((auth, affiliateId, at) =>
        pagedSearch({
          from: portalPayouts(deps.db, auth.livemode, affiliateId),
          rows: (q) => q.select(PORTAL_PAYOUT_COLUMNS).select(referralCount),
          order: [['p.id', 'desc']],
          ...at,
          view: (rows) => rows.map(payoutView),
        }),
      ),
    })
    .route({
      method: 'get',
      path: '/affiliates/:affiliate/portal/products',
      summary: 'The products this affiliate may promote: price, their commission rate and what one sale earns, and a product link',
      tags: ['Affiliate portal'],
      scope: 'affiliates:read',
      params: affiliateParams,
      response: z.object({ data: z.array(z.object({}).passthrough()) }),
      handler: async ({ auth, params }) => {
        const affiliate = await loadAffiliate(deps.db, auth.store.id, params.affiliate);
        const rules = commissionRules(await loadProgram(deps.db, auth.store.id), affiliate);
        const variants = await publicVariants(deps.db, auth.store.id);
        const ctx = links(auth);
        return {
          data: variants
            .filter((v) => isPromotable(rules, v.product_id))
            .map((v) => ({
              product_id: v.product_id,
              product_title: v.product_title,
              variant_id: v.variant_id,
              variant_title: v.variant_title,
              price: decimalMoney(v.price_cents),
              currency: v.currency,
              commission: rateView(rateFor(rules, v.product_id).rate),
              commission_per_sale: decimalMoney(
                commissionFor(rules, [{ productId: v.product_id, paidCents: v.price_cents }]).commissionCents,
              ),
              link: affiliate.code
                ? `${ctx.storefrontBase}/stores/${ctx.storeSlug}/product/${v.slug}?affiliate=${encodeURIComponent(affiliate.code)}`
                : null,
            })),
        };
      },
    });
}
