import { z } from 'zod';
import { loadAffiliate } from '../../../affiliates/affiliates';
import { affiliateView } from '../../../affiliates/affiliate-views';
import { inviteByEmail } from '../../../affiliates/affiliate-workflow-client';
import { replaceOfficialProgram } from '../../../affiliates/official-program';
import {
  findOfficialPayout,
  findReferralSession,
  invitationView,
  loadOfficialProgram,
  officialPayouts,
  officialPayoutView,
  officialReferralViews,
  pendingInvitations,
  referralSessionView,
  SESSION_COLUMNS,
  storeReferralSessions,
} from '../../../affiliates/official-views';
import { payAffiliateNow } from '../../../affiliates/on-demand-payout';
import { loadProgram } from '../../../affiliates/program';
import { loadReferral, storeReferrals } from '../../../affiliates/referrals';
import { PAYOUT_COLUMNS, referralCount } from '../../../affiliates/store-payouts';
import {
  OFFICIAL_AFFILIATE_STATUSES,
  OFFICIAL_PAYOUT_STATUSES,
  OFFICIAL_REFERRAL_STATUSES,
  setAffiliateStatus,
  setPayoutStatus,
  setReferralStatus,
} from '../../../affiliates/status-changes';
import { AffiliateNotFoundError } from '../../../affiliates/errors';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import { engineOf } from '../../engine';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageQuery, pageUrl } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter } from '../../route';
import { rowId, rowIdNumber } from '../../schemas/common';

const decimalString = z.string().regex(/^\d{1,9}(\.\d{1,2})?$/, 'a decimal amount such as "10" or "12.50"');
const programBody = z
  .object({
    enabled: z.boolean(),
    settings: z.object({
      auto_approve_affiliates: z.boolean(),
      minimum_payout: decimalString,
      commission: z.object({ type: z.enum(['percentage', 'fixed']), amount: decimalString }),
      referrer_type: z.enum(['first_referrer', 'last_referrer']),
      tracking_length: z.number().int().min(1).max(90),
      subscription_commission: z.boolean(),
      enabled_specific_products: z.boolean(),
      payout_methods: z.array(z.string().min(1).max(40)).min(1).max(40),
      enable_hub: z.boolean(),
    }),
    products: z
      .array(
        z.object({
          id: rowIdNumber,
          enabled: z.boolean(),
          commission: z
            .discriminatedUnion('type', [
              z.object({ type: z.literal('percentage'), percentage: decimalString, amount_usd_cents: z.number().int().nullish() }),
              z.object({
                type: z.literal('fixed'),
                amount_usd_cents: z.number().int().min(1).max(100_000_000),
                percentage: z.string().nullish(),
              }),
            ])
            .optional(),
        }),
      )
      .max(1000),
  })
  .openapi('AffiliateProgramConfiguration');
const open = z.object({}).passthrough();
const one = z.object({ data: open });
const list = z.object({ data: z.array(open) }).passthrough();
const statusBody = <T extends readonly [string, ...string[]]>(values: T) => z.object({ status: z.enum(values) });

/**
 * The affiliate program at the official SDKs' paths and in their models: the program's
 * configuration, pending invitations, affiliate / referral / payout status changes, referral
 * sessions (the referral-link visits the storefront reports). The same rows as Sellflow's
 * `/v2/settings/affiliates` and `/v2/affiliates/…` routes, which stay as they are.
 */
export function registerAffiliateProgramRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const read = { tags: ['Affiliate program'], scope: 'affiliates:read' as const };
  const write = { tags: ['Affiliate program'], scope: 'affiliates:write' as const };
  const links = (auth: RequestAuth) => ({ storefrontBase: deps.config.api.publicBaseUrl, storeSlug: auth.store.slug });
  const affiliate = async (auth: RequestAuth, id: number) => ({
    data: await affiliateView(deps.db, secrets, await loadAffiliate(deps.db, auth.store.id, id), links(auth), auth.livemode),
  });
  const referral = async (auth: RequestAuth, id: number) => {
    const row = await loadReferral(deps.db, auth.store.id, id);
    if (row.livemode !== auth.livemode) throw new AffiliateNotFoundError('Referral');
    return { data: (await officialReferralViews(deps.db, [row]))[0]! };
  };
  const invites = { db: deps.db, client: deps.temporal.client, taskQueue: deps.taskQueue, storefrontBase: deps.config.api.publicBaseUrl };

  router
    .route({
      ...read,
      method: 'get',
      path: '/affiliate-program',
      summary: 'The affiliate program: on/off, commission, tracking, payout methods, the products with their own rate (by variant)',
      response: one,
      handler: async ({ auth }) => ({ data: await loadOfficialProgram(deps.db, auth.store.id) }),
    })
    .route({
      ...write,
      method: 'put',
      path: '/affiliate-program',
      summary: 'Replace the program configuration; the products list is authoritative (a product rate per variant’s product)',
      body: programBody,
      response: one,
      handler: async ({ auth, body }) => ({ data: await replaceOfficialProgram(engineOf(deps), auth.store.id, body) }),
    })
    .route({
      ...read,
      method: 'get',
      path: '/affiliate-invitations',
      summary: 'Invitations not completed yet (the application link is only ever e-mailed)',
      query: pageQuery,
      response: list,
      handler: ({ auth, query, req }) =>
        pagedSearch({
          from: pendingInvitations(deps.db, auth.store.id),
          rows: (q) => q.select(['id', 'email', 'invited_at', 'applied_at', 'created_at']),
          order: [['id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => rows.map(invitationView),
        }),
    })
    .route({
      ...write,
      method: 'post',
      path: '/affiliate-invitations',
      summary: 'Invite someone by e-mail: they get a single-use application link (the program must be on)',
      body: z.object({ email: z.email().max(255) }),
      status: 201,
      response: one,
      handler: async ({ auth, body }) => ({ data: invitationView((await inviteByEmail(invites, auth.store, body.email)).row) }),
    })
    .route({
      ...write,
      method: 'patch',
      path: '/affiliates/:affiliate/status',
      summary: 'Approve, disable, re-enable or reject an affiliate (active, disabled, rejected) through its review rules',
      params: z.object({ affiliate: rowId }),
      body: statusBody(OFFICIAL_AFFILIATE_STATUSES),
      response: one,
      handler: async ({ auth, params, body }) => {
        await deps.db.transaction().execute((trx) => setAffiliateStatus(trx, auth.store.id, params.affiliate, body.status));
        return affiliate(auth, params.affiliate);
      },
    })
    .route({
      ...read,
      method: 'get',
      path: '/affiliate-referrals',
      summary: 'List referrals of this mode (newest first; filter by affiliate)',
      query: pageQuery.extend({ affiliate_id: rowId.optional() }),
      response: list,
      handler: ({ auth, query, req }) =>
        pagedSearch({
          from: storeReferrals(deps.db, auth.store.id, auth.livemode, query),
          rows: (q) => q.selectAll(),
          order: [['id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => officialReferralViews(deps.db, rows),
        }),
    })
    .route({
      ...read,
      method: 'get',
      path: '/affiliate-referrals/:referral',
      summary: 'Retrieve a referral',
      params: z.object({ referral: rowId }),
      response: one,
      handler: ({ auth, params }) => referral(auth, params.referral),
    })
    .route({
      ...write,
      modes: 'both',
      method: 'patch',
      path: '/affiliate-referrals/:referral/status',
      summary: 'Accept, review or reject a referral (accepted, in_review, rejected); a rejected one never becomes accepted',
      params: z.object({ referral: rowId }),
      body: statusBody(OFFICIAL_REFERRAL_STATUSES),
      response: one,
      handler: async ({ auth, params, body }) => {
        await setReferralStatus(deps.db, auth.store.id, auth.livemode, params.referral, body.status);
        return referral(auth, params.referral);
      },
    })
    .route({
      ...read,
      method: 'get',
      path: '/affiliate-referral-sessions',
      summary: 'Referral-link visits (newest first), each attributing orders for the program’s tracking days',
      query: pageQuery.extend({ affiliate_id: rowId.optional() }),
      response: list,
      handler: async ({ auth, query, req }) => {
        const { tracking_days } = await loadProgram(deps.db, auth.store.id);
        return pagedSearch({
          from: storeReferralSessions(deps.db, auth.store.id, query),
          rows: (q) => q.select(SESSION_COLUMNS),
          order: [['c.id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => rows.map((row) => referralSessionView(row, tracking_days)),
        });
      },
    })
    .route({
      ...read,
      method: 'get',
      path: '/affiliate-referral-sessions/:referralSession',
      summary: 'Retrieve a referral session',
      params: z.object({ referralSession: rowId }),
      response: one,
      handler: async ({ auth, params }) => {
        const row = await findReferralSession(deps.db, auth.store.id, params.referralSession);
        if (!row) throw new AffiliateNotFoundError('Referral session');
        return { data: referralSessionView(row, (await loadProgram(deps.db, auth.store.id)).tracking_days) };
      },
    })
    .route({
      ...read,
      method: 'get',
      path: '/affiliate-payouts',
      summary: 'List payouts of this mode (newest first; filter by affiliate, status due/paid); destinations masked',
      query: pageQuery.extend({ affiliate_id: rowId.optional(), status: z.enum(OFFICIAL_PAYOUT_STATUSES).optional() }),
      response: list,
      handler: ({ auth, query, req }) =>
        pagedSearch({
          from: officialPayouts(deps.db, auth.store.id, auth.livemode, {
            affiliate_id: query.affiliate_id,
            status: query.status === 'paid' ? 'PAID' : query.status === 'due' ? 'DUE' : undefined,
          }),
          rows: (q) => q.select(PAYOUT_COLUMNS).select('a.email').select(referralCount),
          order: [['p.id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => rows.map((row) => officialPayoutView(row, secrets)),
        }),
    })
    .route({
      ...read,
      method: 'get',
      path: '/affiliate-payouts/:payout',
      summary: 'Retrieve a payout (destination masked, referral count)',
      params: z.object({ payout: rowId }),
      response: one,
      handler: async ({ auth, params }) => ({
        data: officialPayoutView(await findOfficialPayout(deps.db, auth.store.id, auth.livemode, params.payout), secrets),
      }),
    })
    .route({
      ...write,
      modes: 'both',
      method: 'patch',
      path: '/affiliate-payouts/:payout/status',
      summary: 'Mark a payout paid (the money is sent outside Sellflow; asking twice changes nothing); a paid payout stays paid',
      params: z.object({ payout: rowId }),
      body: statusBody(OFFICIAL_PAYOUT_STATUSES),
      response: one,
      handler: async ({ auth, params, body }) => ({
        data: officialPayoutView(await setPayoutStatus(deps.db, auth.store.id, auth.livemode, params.payout, body.status), secrets),
      }),
    })
    .route({
      ...write,
      modes: 'both',
      method: 'post',
      path: '/affiliates/:affiliate/payouts',
      summary:
        'Pay one affiliate now: its accepted, eligible commissions in no payout yet become a due payout (422 nothing_due); send an Idempotency-Key to retry safely',
      params: z.object({ affiliate: rowId }),
      response: one,
      handler: async ({ auth, params }) => {
        const id = await payAffiliateNow(deps.db, auth.store.id, auth.livemode, params.affiliate);
        return { data: officialPayoutView(await findOfficialPayout(deps.db, auth.store.id, auth.livemode, id), secrets) };
      },
    });
}
