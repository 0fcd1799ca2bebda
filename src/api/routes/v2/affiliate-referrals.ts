import { z } from 'zod';
import { referralView } from '../../../affiliates/affiliate-views';
import { loadReferral, moveReferral, storeReferrals } from '../../../affiliates/referrals';
import { REFERRAL_STATUSES } from '../../../domain/referral-status';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import { pageQuery, pageUrl } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter } from '../../route';
import { queryBoolean, rowId } from '../../schemas/common';

const referralParams = z.object({ referral: rowId });
const listQuery = pageQuery.extend({
  status: z.enum(REFERRAL_STATUSES).optional(),
  affiliate_id: rowId.optional(),
  payout_id: rowId.optional(),
  voided: queryBoolean,
});
const referralResponse = z
  .object({ id: z.number(), status: z.enum(REFERRAL_STATUSES), commission: z.string() })
  .passthrough()
  .openapi('Referral');

/** Referrals: the orders credited to affiliates, their commission, and the seller's review. */
export function registerAffiliateReferralRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  router
    .route({
      method: 'get',
      path: '/affiliates/referrals',
      summary: 'List referrals (newest first; filter by status, affiliate, payout, voided)',
      tags: ['Affiliates'],
      scope: 'affiliates:read',
      query: listQuery,
      response: z.object({ data: z.array(referralResponse) }).passthrough(),
      handler: ({ auth, query, req }) =>
        pagedSearch({
          from: storeReferrals(deps.db, auth.store.id, auth.livemode, query),
          rows: (q) => q.selectAll(),
          order: [['id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => rows.map(referralView),
        }),
    })
    .route({
      method: 'get',
      path: '/affiliates/referrals/:referral',
      summary: 'Retrieve a referral: commission calculation, timeline, invoice, affiliate and payout',
      tags: ['Affiliates'],
      scope: 'affiliates:read',
      params: referralParams,
      response: z.object({ data: referralResponse }),
      handler: async ({ auth, params }) => {
        const row = await loadReferral(deps.db, auth.store.id, params.referral);
        if (row.livemode !== auth.livemode) throw notFound('Referral');
        return { data: referralView(row) };
      },
    })
    .route({
      method: 'patch',
      path: '/affiliates/referrals/:referral',
      summary: 'Accept, review or reject a referral; a rejected one can never be accepted',
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      modes: 'both',
      params: referralParams,
      body: z.object({ status: z.enum(REFERRAL_STATUSES) }).strict(),
      response: z.object({ data: referralResponse }),
      handler: async ({ auth, params, body }) => {
        const row = await loadReferral(deps.db, auth.store.id, params.referral);
        if (row.livemode !== auth.livemode) throw notFound('Referral');
        return {
          data: referralView(await deps.db.transaction().execute((trx) => moveReferral(trx, auth.store.id, params.referral, body.status))),
        };
      },
    });
}
