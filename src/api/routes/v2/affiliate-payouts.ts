import { z } from 'zod';
import { cycleReport } from '../../../affiliates/payouts';
import { findPayout, PAYOUT_COLUMNS, payoutReferrals, payoutsToExport, payPayouts, storePayouts } from '../../../affiliates/store-payouts';
import { runPayoutCycleNow } from '../../../affiliates/run-payout-cycle';
import { payoutView } from '../../../affiliates/affiliate-views';
import { PAYOUT_EXPORT_FORMATS, payoutsCsv } from '../../../affiliates/payout-export';
import { describePayoutSchedule, setPayoutSchedulePaused } from '../../../affiliates/payout-schedule';
import type { PayoutCycleReport } from '../../../temporal/contracts/affiliates';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageQuery, pageUrl } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import { engineOf } from '../../engine';
import type { DocumentedRouter } from '../../route';
import { rowId } from '../../schemas/common';

const PAYOUT_STATUSES = ['DUE', 'PAID'] as const;
const filters = z.object({
  status: z.enum(PAYOUT_STATUSES).optional(),
  payout_method: z.string().min(1).max(40).optional(),
  affiliate_id: rowId.optional(),
});
const payoutParams = z.object({ payout: rowId });
const payoutResponse = z
  .object({ id: z.number(), status: z.enum(PAYOUT_STATUSES), amount: z.string() })
  .passthrough()
  .openapi('AffiliatePayout');
const cycleResponse = z.object({ cycle_date: z.string(), created: z.boolean() }).passthrough().openapi('AffiliatePayoutCycle');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

/**
 * Payouts (Due / Paid, by payout method), their CSV export, marking them paid, and the payout
 * cycle: run one now, backfill a missed date, see and pause the store's schedule.
 */
export function registerAffiliatePayoutRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const forMode = (report: PayoutCycleReport, auth: RequestAuth) => ({
    ...report,
    payouts: report.payouts.filter((p) => p.livemode === auth.livemode),
  });

  router
    .route({
      method: 'get',
      path: '/affiliates/payouts',
      summary: 'List payouts (newest first; filter by status DUE/PAID, payout method, affiliate)',
      tags: ['Affiliates'],
      scope: 'affiliates:read',
      query: pageQuery.merge(filters),
      response: z.object({ data: z.array(payoutResponse) }).passthrough(),
      handler: ({ auth, query, req }) =>
        pagedSearch({
          from: storePayouts(deps.db, auth.store.id, auth.livemode, query),
          rows: (q) => q.select(PAYOUT_COLUMNS),
          order: [['p.id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => rows.map((r) => payoutView(r, secrets)),
        }),
    })
    .route({
      method: 'get',
      path: '/affiliates/payouts/export',
      summary: 'CSV of the filtered payouts: format=paypal (PayPal Payouts upload file, due payouts only) or generic (with a header)',
      tags: ['Affiliates'],
      scope: 'affiliates:read',
      query: filters.extend({ format: z.enum(PAYOUT_EXPORT_FORMATS).default('generic') }),
      response: z.string(),
      handler: async ({ auth, query, res }) => {
        // A PayPal file pays whoever is in it: it only ever holds payouts still due.
        const filter = query.format === 'paypal' ? { ...query, status: 'DUE' as const } : query;
        const csv = payoutsCsv(await payoutsToExport(deps.db, secrets, auth.store.id, auth.livemode, filter), query.format);
        res.type('text/csv').attachment(`payouts-${query.format}.csv`).send(csv);
        return undefined;
      },
    })
    .route({
      method: 'post',
      path: '/affiliates/payouts/mark-paid',
      summary: 'Mark several payouts paid at once (all or none); already paid ones stay as they were',
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      modes: 'both',
      body: z.object({ ids: z.array(rowId).min(1).max(1000) }).strict(),
      response: z.object({ data: z.array(payoutResponse) }),
      handler: async ({ auth, body }) => {
        const rows = await payPayouts(deps.db, auth.store.id, auth.livemode, body.ids);
        return { data: rows.map((r) => payoutView(r, secrets)) };
      },
    })
    .route({
      method: 'get',
      path: '/affiliates/payouts/:payout',
      summary: 'Retrieve a payout: amount, payout details, its referrals and timeline (created, paid)',
      tags: ['Affiliates'],
      scope: 'affiliates:read',
      params: payoutParams,
      response: z.object({ data: payoutResponse }),
      handler: async ({ auth, params }) => {
        const row = await findPayout(deps.db, auth.store.id, auth.livemode, params.payout);
        if (!row) throw notFound('Payout');
        const referrals = await payoutReferrals(deps.db, row.id);
        return {
          data: {
            ...payoutView(row, secrets),
            referrals: referrals.map((r) => ({
              id: r.id,
              commission_cents: r.commission_cents,
              purchased_at: r.purchased_at.toISOString(),
            })),
            calculation: { referrals: referrals.length, total_cents: referrals.reduce((sum, r) => sum + r.commission_cents, 0) },
          },
        };
      },
    })
    .route({
      method: 'patch',
      path: '/affiliates/payouts/:payout',
      summary: 'Mark a payout paid',
      tags: ['Affiliates'],
      scope: 'affiliates:write',
      modes: 'both',
      params: payoutParams,
      body: z.object({ status: z.literal('PAID') }).strict(),
      response: z.object({ data: payoutResponse }),
      handler: async ({ auth, params }) => {
        if (!(await findPayout(deps.db, auth.store.id, auth.livemode, params.payout))) throw notFound('Payout');
        const [paid] = await payPayouts(deps.db, auth.store.id, auth.livemode, [params.payout]);
        return { data: payoutView(paid!, secrets) };
      },
    })
    .route({
      method: 'post',
      path: '/affiliates/payout-cycles',
      summary:
        'Run a payout cycle now (no date), or backfill a missed 1st/15th (date); running one twice creates nothing new; 202 if still running after 20 s',
      tags: ['Affiliates'],
      scope: 'ops:write',
      body: z.object({ date: isoDate.optional() }).strict(),
      response: z.object({ data: cycleResponse }),
      handler: async ({ auth, body, res }) => {
        const report = await runPayoutCycleNow(engineOf(deps), auth.store.id, body.date);
        if (report) return { data: forMode(report, auth) };
        res.status(202);
        return { data: { cycle_date: body.date ?? null, created: false, running: true } };
      },
    })
    .route({
      method: 'get',
      path: '/affiliates/payout-cycles/:date',
      summary: 'What a payout cycle created',
      tags: ['Affiliates'],
      scope: 'affiliates:read',
      params: z.object({ date: isoDate }),
      response: z.object({ data: cycleResponse }),
      handler: async ({ auth, params }) => ({ data: forMode(await cycleReport(deps.db, auth.store.id, params.date), auth) }),
    })
    .route({
      method: 'get',
      path: '/affiliates/payout-schedule',
      summary: "The store's payout schedule: time zone, paused, next and recent runs",
      tags: ['Affiliates'],
      scope: 'affiliates:read',
      response: z.object({ data: z.object({ schedule_id: z.string(), paused: z.boolean() }).passthrough() }),
      handler: async ({ auth }) => {
        const schedule = await describePayoutSchedule(deps.temporal.client, deps.taskQueue, auth.store.id);
        if (!schedule) throw notFound('Payout schedule (enable the affiliate program first)');
        return { data: schedule };
      },
    })
    .route({
      method: 'post',
      path: '/affiliates/payout-schedule/pause',
      summary: 'Pause the payout schedule (cycles stop until unpaused; run or backfill them by hand)',
      tags: ['Affiliates'],
      scope: 'ops:write',
      body: z.object({ note: z.string().max(500).optional() }).strict(),
      response: z.object({ data: z.object({ paused: z.boolean() }).passthrough() }),
      handler: async ({ auth, body }) => {
        if (
          !(await setPayoutSchedulePaused(deps.temporal.client, deps.taskQueue, auth.store.id, true, body.note ?? 'paused through the API'))
        )
          throw notFound('Payout schedule (enable the affiliate program first)');
        return { data: (await describePayoutSchedule(deps.temporal.client, deps.taskQueue, auth.store.id))! };
      },
    })
    .route({
      method: 'post',
      path: '/affiliates/payout-schedule/unpause',
      summary: 'Resume the payout schedule',
      tags: ['Affiliates'],
      scope: 'ops:write',
      response: z.object({ data: z.object({ paused: z.boolean() }).passthrough() }),
      handler: async ({ auth }) => {
        if (!(await setPayoutSchedulePaused(deps.temporal.client, deps.taskQueue, auth.store.id, false, 'resumed through the API')))
          throw notFound('Payout schedule (enable the affiliate program first)');
        return { data: (await describePayoutSchedule(deps.temporal.client, deps.taskQueue, auth.store.id))! };
      },
    });
}
