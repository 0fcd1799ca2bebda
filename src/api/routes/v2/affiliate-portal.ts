import { z } from 'zod';
import { loadAffiliate } from '../../../affiliates/affiliates';
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
import { offsetOf, pageQuery, pageUrl, toPage } from '../../pagination';
import type { DocumentedRouter } from '../../route';
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
  const referralsOf = (auth: RequestAuth, affiliateId: number) =>
    deps.db
      .selectFrom('affiliate_referrals')
      .where('affiliate_id', '=', affiliateId)
      .where('store_id', '=', auth.store.id)
      .where('livemode', '=', auth.livemode);
  const payoutsOf = (auth: RequestAuth, affiliateId: number) =>
    deps.db
      .selectFrom('affiliate_payouts as p')
      .innerJoin('affiliate_payout_cycles as c', 'c.id', 'p.cycle_id')
      .select(['p.id', 'p.status', 'p.amount_cents', 'p.currency', 'p.payout_method', 'p.created_at', 'p.paid_at', 'c.cycle_date'])
      .select((eb) =>
        eb
          .selectFrom('affiliate_referrals as r')
          .whereRef('r.payout_id', '=', 'p.id')
          .select((e) => e.fn.countAll<string>().as('n'))
          .as('referrals'),
      )
      .where('p.affiliate_id', '=', affiliateId)
      .where('p.livemode', '=', auth.livemode);
  type PortalPayout = Awaited<ReturnType<ReturnType<typeof payoutsOf>['execute']>>[number];
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
        const count = await referralsOf(auth, affiliate.id)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow();
        const recent = await referralsOf(auth, affiliate.id).selectAll().orderBy('id', 'desc').limit(5).execute();
        const payouts = await payoutsOf(auth, affiliate.id).orderBy('p.id', 'desc').limit(5).execute();
        const coupon = await deps.db
          .selectFrom('coupons')
          .select(['code', 'type', 'discount', 'store_wide', 'products', 'expires_at'])
          .where('affiliate_id', '=', affiliate.id)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
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
            referral_count: Number(count.n),
            recent_referrals: recent.map(affiliateReferralView),
            recent_payouts: payouts.map(payoutView),
          },
        };
      },
    })
    .route({
      method: 'get',
      path: '/affiliates/:affiliate/portal/referrals',
      summary: "The affiliate's referrals: date, status, commission and its calculation, timeline (no customer data)",
      tags: ['Affiliate portal'],
      scope: 'affiliates:read',
      params: affiliateParams,
      query: pageQuery,
      response: z.object({ data: z.array(z.object({}).passthrough()) }).passthrough(),
      handler: async ({ auth, params, query, req }) => {
        const affiliate = await loadAffiliate(deps.db, auth.store.id, params.affiliate);
        const { n } = await referralsOf(auth, affiliate.id)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow();
        const rows = await referralsOf(auth, affiliate.id)
          .selectAll()
          .orderBy('id', 'desc')
          .limit(query.limit)
          .offset(offsetOf(query))
          .execute();
        return toPage(rows.map(affiliateReferralView), Number(n), query, pageUrl(deps.config.api.publicBaseUrl, req));
      },
    })
    .route({
      method: 'get',
      path: '/affiliates/:affiliate/portal/payouts',
      summary: "The affiliate's payouts: date, status, amount, referral count, timeline",
      tags: ['Affiliate portal'],
      scope: 'affiliates:read',
      params: affiliateParams,
      query: pageQuery,
      response: z.object({ data: z.array(z.object({}).passthrough()) }).passthrough(),
      handler: async ({ auth, params, query, req }) => {
        const affiliate = await loadAffiliate(deps.db, auth.store.id, params.affiliate);
        const { n } = await deps.db
          .selectFrom('affiliate_payouts')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('affiliate_id', '=', affiliate.id)
          .where('livemode', '=', auth.livemode)
          .executeTakeFirstOrThrow();
        const rows = await payoutsOf(auth, affiliate.id).orderBy('p.id', 'desc').limit(query.limit).offset(offsetOf(query)).execute();
        return toPage(rows.map(payoutView), Number(n), query, pageUrl(deps.config.api.publicBaseUrl, req));
      },
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
        const variants = await deps.db
          .selectFrom('product_variants as v')
          .innerJoin('products as p', 'p.id', 'v.product_id')
          .select([
            'p.id as product_id',
            'p.title as product_title',
            'p.slug',
            'v.id as variant_id',
            'v.title as variant_title',
            'v.price_cents',
            'v.currency',
          ])
          .where('p.store_id', '=', auth.store.id)
          .where('p.visibility', '=', 'PUBLIC')
          .where('p.deleted_at', 'is', null)
          .where('v.deleted_at', 'is', null)
          .orderBy('p.id')
          .orderBy('v.id')
          .execute();
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
