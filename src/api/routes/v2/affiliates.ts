import { z } from 'zod';
import {
  affiliatesMatching,
  applyToProgram,
  loadAffiliate,
  reviewAffiliate,
  updateAffiliateSettings,
} from '../../../affiliates/affiliates';
import { affiliateView, type LinkContext } from '../../../affiliates/affiliate-views';
import { inviteByEmail } from '../../../affiliates/affiliate-workflow-client';
import { loadProgram, programView } from '../../../affiliates/program';
import { configureProgram } from '../../../affiliates/program-setup';
import { recordClick } from '../../../affiliates/clicks';
import { removeAffiliateCoupon, setAffiliateCoupon } from '../../../affiliates/affiliate-coupon';
import { couponView } from '../../../coupons/coupons';
import { AFFILIATE_STATUSES, type AffiliateAction } from '../../../domain/affiliate-status';
import { REFERRER_ORDERS } from '../../../domain/attribution';
import { COMMISSION_TYPES } from '../../../domain/commission';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import { engineOf } from '../../engine';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageQuery, pageUrl } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter } from '../../route';
import { rowId } from '../../schemas/common';
import { couponCreate } from '../../schemas/coupons';

const commission = z.object({ type: z.enum(COMMISSION_TYPES), value: z.number().min(0).max(1_000_000) }).strict();
const programBody = z
  .object({
    enabled: z.boolean(),
    auto_approve: z.boolean(),
    auto_accept_referrals: z.boolean(),
    commission,
    minimum_payout: z.number().min(0).max(1_000_000),
    tracking_days: z.number().int().min(1).max(365),
    referrer_order: z.enum(REFERRER_ORDERS),
    payout_methods: z.array(z.string().min(1).max(40)).min(1).max(40),
    custom_products: z.boolean(),
    products: z.array(z.object({ product_id: rowId, commission }).strict()).max(1000),
  })
  .partial()
  .strict()
  .openapi('AffiliateProgramSettings');
const programResponse = z.object({ enabled: z.boolean() }).passthrough().openapi('AffiliateProgram');

const application = z
  .object({
    email: z.string().email().max(254),
    code: z.string().min(1).max(64),
    name: z.string().max(200).optional(),
    payout_method: z.string().min(1).max(40),
    payout_details: z.string().min(1).max(500),
    message: z.string().max(2000).optional(),
    /** From the invitation link: completes an invited application. */
    invite_token: z.string().min(1).max(100).optional(),
  })
  .strict();
const settingsBody = z
  .object({
    commission: commission.nullable(),
    eligible_products: z.array(rowId).max(1000),
    payout_method: z.string().min(1).max(40),
    payout_details: z.string().min(1).max(500),
  })
  .partial()
  .strict();
const clickBody = z
  .object({
    affiliate: z.string().min(1).max(64),
    visitor_id: z.string().min(1).max(100).optional(),
    customer_email: z.string().email().max(254).optional(),
  })
  .strict()
  .refine((b) => b.visitor_id || b.customer_email, { message: 'Give visitor_id or customer_email', path: ['visitor_id'] });
const affiliateParams = z.object({ affiliate: rowId });
const listQuery = pageQuery.extend({ status: z.enum(AFFILIATE_STATUSES).optional(), search: z.string().max(200).optional() });
const affiliateResponse = z
  .object({ id: z.number(), code: z.string().nullable(), status: z.enum(AFFILIATE_STATUSES) })
  .passthrough()
  .openapi('Affiliate');

/**
 * The affiliate program (not in the seeds' API; their dashboard, in the same style): program
 * settings, applications and invites, review, custom rates, the affiliate's coupon, and the
 * referral-link clicks the storefront reports.
 */
export function registerAffiliateRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const invites = { db: deps.db, client: deps.temporal.client, taskQueue: deps.taskQueue, storefrontBase: deps.config.api.publicBaseUrl };
  const links = (auth: RequestAuth): LinkContext => ({ storefrontBase: deps.config.api.publicBaseUrl, storeSlug: auth.store.slug });
  const view = async (auth: RequestAuth, id: number) => ({
    data: await affiliateView(deps.db, secrets, await loadAffiliate(deps.db, auth.store.id, id), links(auth), auth.livemode),
  });
  const review = (action: AffiliateAction, summary: string) =>
    router.route({
      method: 'post',
      path: `/affiliates/:affiliate/${action}`,
      summary,
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      params: affiliateParams,
      response: z.object({ data: affiliateResponse }),
      handler: async ({ auth, params }) => {
        await deps.db.transaction().execute((trx) => reviewAffiliate(trx, auth.store.id, params.affiliate, action));
        return view(auth, params.affiliate);
      },
    });

  router
    .route({
      method: 'get',
      path: '/settings/affiliates',
      summary: 'The affiliate program settings',
      tags: ['Affiliates'],
      scope: 'affiliates:read',
      response: z.object({ data: programResponse }),
      handler: async ({ auth }) => ({ data: programView(await loadProgram(deps.db, auth.store.id)) }),
    })
    .route({
      method: 'put',
      path: '/settings/affiliates',
      summary:
        'Set the program: on/off, approval, commission (percent or amount), minimum payout, tracking days, referrer order, payout methods, custom products',
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      body: programBody,
      response: z.object({ data: programResponse }),
      handler: async ({ auth, body }) => {
        const program = await configureProgram(engineOf(deps), auth.store.id, body);
        return { data: programView(program) };
      },
    })
    .route({
      method: 'get',
      path: '/affiliates',
      summary: 'List affiliates (filter by status; search code, e-mail or name)',
      tags: ['Affiliates'],
      scope: 'affiliates:read',
      query: listQuery,
      response: z.object({ data: z.array(affiliateResponse) }).passthrough(),
      handler: ({ auth, query, req }) =>
        pagedSearch({
          from: affiliatesMatching(deps.db, auth.store.id, query),
          rows: (q) => q.selectAll(),
          order: [['id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: async (rows) => {
            const items = [];
            for (const row of rows) items.push(await affiliateView(deps.db, secrets, row, links(auth), auth.livemode));
            return items;
          },
        }),
    })
    .route({
      method: 'post',
      path: '/affiliates/apply',
      summary: "An application from the storefront's join page (or the completion of an invite); auto-approved when the program says so",
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      body: application,
      response: z.object({ data: affiliateResponse }),
      handler: async ({ auth, body }) => {
        const row = await deps.db.transaction().execute((trx) => applyToProgram(trx, secrets, auth.store.id, body));
        return view(auth, row.id);
      },
    })
    .route({
      method: 'post',
      path: '/affiliates/invites',
      summary: 'Invite someone by e-mail: they get an application link and complete it through /affiliates/apply',
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      body: z.object({ email: z.string().email().max(254) }).strict(),
      response: z.object({ data: affiliateResponse }),
      handler: async ({ auth, body }) => {
        const { row, applicationUrl } = await inviteByEmail(invites, auth.store, body.email);
        return { data: { ...(await view(auth, row.id)).data, application_url: applicationUrl } };
      },
    })
    .route({
      method: 'post',
      path: '/affiliates/clicks',
      summary: 'The storefront reports a referral link visit (?affiliate=CODE) for the tracking window and first/last attribution',
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      body: clickBody,
      response: z.object({ data: z.object({ id: z.number(), affiliate_id: z.number(), clicked_at: z.string() }) }),
      handler: async ({ auth, body }) => {
        const row = await recordClick(deps.db, auth.store.id, body);
        return { data: { ...row, clicked_at: row.clicked_at.toISOString() } };
      },
    })
    .route({
      method: 'get',
      path: '/affiliates/:affiliate',
      summary: 'Retrieve an affiliate: profile, payout details, custom rate, coupon, link and earnings',
      tags: ['Affiliates'],
      scope: 'affiliates:read',
      params: affiliateParams,
      response: z.object({ data: affiliateResponse }),
      handler: ({ auth, params }) => view(auth, params.affiliate),
    })
    .route({
      method: 'patch',
      path: '/affiliates/:affiliate',
      summary: "The affiliate's custom rate (null: the product or store rate) and eligible products, or new payout details",
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      params: affiliateParams,
      body: settingsBody,
      response: z.object({ data: affiliateResponse }),
      handler: async ({ auth, params, body }) => {
        await deps.db.transaction().execute((trx) => updateAffiliateSettings(trx, secrets, auth.store.id, params.affiliate, body));
        return view(auth, params.affiliate);
      },
    });
  review('approve', 'Accept a pending application');
  review('reject', 'Reject a pending application; the applicant cannot apply again');
  review('disable', 'Disable an active affiliate (their links and coupon stop attributing)');
  review('enable', 'Enable a disabled or rejected affiliate');

  router
    .route({
      method: 'put',
      path: '/affiliates/:affiliate/coupon',
      summary: "Create or change the affiliate's coupon (double-sided incentive); using it credits the order to them",
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      params: affiliateParams,
      body: couponCreate,
      response: z.object({ data: z.object({ id: z.number(), code: z.string() }).passthrough() }),
      handler: async ({ auth, params, body }) => {
        return { data: couponView(await setAffiliateCoupon(deps.db, auth.store.id, params.affiliate, body)) };
      },
    })
    .route({
      method: 'delete',
      path: '/affiliates/:affiliate/coupon',
      summary: "Remove the affiliate's coupon",
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      params: affiliateParams,
      response: z.object({ data: z.object({ id: z.number() }).passthrough().nullable() }),
      handler: async ({ auth, params }) => {
        const removed = await removeAffiliateCoupon(deps.db, auth.store.id, params.affiliate);
        return { data: removed ? couponView(removed) : null };
      },
    });
}
