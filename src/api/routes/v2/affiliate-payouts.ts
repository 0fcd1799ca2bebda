import { z } from 'zod';
import { startPayoutCycle } from '../../../affiliates/affiliate-workflow-client';
import { cycleReport, markPayoutsPaid } from '../../../affiliates/payouts';
import { payoutView } from '../../../affiliates/affiliate-views';
import { PAYOUT_EXPORT_FORMATS, payoutsCsv } from '../../../affiliates/payout-export';
import { describePayoutSchedule, payoutScheduleId } from '../../../affiliates/payout-schedule';
import type { PayoutCycleReport } from '../../../temporal/contracts/affiliates';
import { cycleDateOf, isCycleDay, isTimeZone } from '../../../domain/payout-cycle';
import { AffiliateRuleError } from '../../../affiliates/errors';
import type { SecretBox } from '../../../security/secret-box';
import type { Db } from '../../../db/schema';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { offsetOf, pageQuery, pageUrl, toPage } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { rowId } from '../../schemas/common';

const PAYOUT_STATUSES = ['DUE', 'PAID'] as const;
const REPLY_WITHIN_MS = 20_000;
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

/** A store's payouts with their cycle date, filtered as the payouts dashboard does. */
export function payoutsOf(db: Db, auth: RequestAuth, filter: z.infer<typeof filters>) {
  let base = db
    .selectFrom('affiliate_payouts as p')
    .innerJoin('affiliate_payout_cycles as c', 'c.id', 'p.cycle_id')
    .innerJoin('affiliates as a', 'a.id', 'p.affiliate_id')
    .where('p.store_id', '=', auth.store.id)
    .where('p.livemode', '=', auth.livemode);
  if (filter.status) base = base.where('p.status', '=', filter.status);
  if (filter.payout_method) base = base.where('p.payout_method', '=', filter.payout_method);
  if (filter.affiliate_id) base = base.where('p.affiliate_id', '=', filter.affiliate_id);
  return base;
}

const PAYOUT_COLUMNS = [
  'p.id',
  'p.affiliate_id',
  'p.livemode',
  'p.status',
  'p.amount_cents',
  'p.currency',
  'p.payout_method',
  'p.payout_details_sealed',
  'p.created_at',
  'p.paid_at',
  'c.cycle_date',
] as const;

/**
 * Payouts (Due / Paid, by payout method), their CSV export, marking them paid, and the payout
 * cycle: run one now, backfill a missed date, see and pause the store's schedule.
 */
export function registerAffiliatePayoutRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const runCycle = async (auth: RequestAuth, body: { date?: string }): Promise<PayoutCycleReport | null> => {
    const store = await deps.db.selectFrom('stores').select('timezone').where('id', '=', auth.store.id).executeTakeFirstOrThrow();
    if (!isTimeZone(store.timezone))
      throw new AffiliateRuleError('invalid_time_zone', `The store's time zone "${store.timezone}" is not an IANA zone`, 'timezone');
    const now = new Date();
    const today = cycleDateOf(now, store.timezone);
    if (body.date && body.date > today)
      throw new AffiliateRuleError('invalid_field', `${body.date} has not come yet in ${store.timezone}`, 'date');
    if (body.date && body.date !== today && !isCycleDay(body.date))
      throw new AffiliateRuleError('not_a_cycle_day', 'A backfilled cycle is a 1st or 15th of the month', 'date');
    const cycleDate = body.date ?? today;
    const trigger = body.date && body.date !== today ? 'backfill' : 'manual';
    const handle = await startPayoutCycle(deps.temporal.client, deps.taskQueue, {
      storeId: auth.store.id,
      trigger,
      cycleDate,
      at: now.toISOString(),
    });
    // A cycle is one transaction and normally answers at once; without a worker, say so.
    return Promise.race([handle.result(), new Promise<null>((resolve) => setTimeout(() => resolve(null), REPLY_WITHIN_MS))]);
  };
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
      handler: async ({ auth, query, req }) => {
        const base = payoutsOf(deps.db, auth, query);
        const { total } = await base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
        const rows = await base.select(PAYOUT_COLUMNS).orderBy('p.id', 'desc').limit(query.limit).offset(offsetOf(query)).execute();
        return toPage(
          rows.map((r) => payoutView(r, secrets)),
          Number(total),
          query,
          pageUrl(deps.config.api.publicBaseUrl, req),
        );
      },
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
        const rows = await payoutsOf(deps.db, auth, filter)
          .select(PAYOUT_COLUMNS)
          .select(['a.code', 'a.email'])
          .select((eb) =>
            eb
              .selectFrom('affiliate_referrals as r')
              .whereRef('r.payout_id', '=', 'p.id')
              .select((e) => e.fn.countAll<string>().as('n'))
              .as('referrals'),
          )
          .orderBy('p.id')
          .execute();
        const csv = payoutsCsv(
          rows.map((r) => ({
            id: r.id,
            affiliateCode: r.code,
            affiliateEmail: r.email,
            payoutMethod: r.payout_method,
            payoutDetails: r.payout_details_sealed ? secrets.open(r.payout_details_sealed) : null,
            amountCents: r.amount_cents,
            currency: r.currency,
            status: r.status,
            referrals: Number(r.referrals),
            cycleDate: r.cycle_date,
            createdAt: r.created_at,
            paidAt: r.paid_at,
          })),
          query.format,
        );
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
        await deps.db.transaction().execute((trx) => markPayoutsPaid(trx, auth.store.id, auth.livemode, body.ids));
        const rows = await payoutsOf(deps.db, auth, {}).select(PAYOUT_COLUMNS).where('p.id', 'in', body.ids).orderBy('p.id').execute();
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
        const row = await payoutsOf(deps.db, auth, {}).select(PAYOUT_COLUMNS).where('p.id', '=', params.payout).executeTakeFirst();
        if (!row) throw notFound('Payout');
        const referrals = await deps.db
          .selectFrom('affiliate_referrals')
          .select(['id', 'commission_cents', 'purchased_at'])
          .where('payout_id', '=', row.id)
          .orderBy('id')
          .execute();
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
        const row = await payoutsOf(deps.db, auth, {}).select('p.id').where('p.id', '=', params.payout).executeTakeFirst();
        if (!row) throw notFound('Payout');
        await deps.db.transaction().execute((trx) => markPayoutsPaid(trx, auth.store.id, auth.livemode, [row.id]));
        const paid = await payoutsOf(deps.db, auth, {}).select(PAYOUT_COLUMNS).where('p.id', '=', row.id).executeTakeFirstOrThrow();
        return { data: payoutView(paid, secrets) };
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
        const report = await runCycle(auth, body);
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
        if (!(await describePayoutSchedule(deps.temporal.client, deps.taskQueue, auth.store.id)))
          throw notFound('Payout schedule (enable the affiliate program first)');
        await deps.temporal.client.schedule
          .getHandle(payoutScheduleId(deps.taskQueue, auth.store.id))
          .pause(body.note ?? 'paused through the API');
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
        if (!(await describePayoutSchedule(deps.temporal.client, deps.taskQueue, auth.store.id)))
          throw notFound('Payout schedule (enable the affiliate program first)');
        await deps.temporal.client.schedule.getHandle(payoutScheduleId(deps.taskQueue, auth.store.id)).unpause('resumed through the API');
        return { data: (await describePayoutSchedule(deps.temporal.client, deps.taskQueue, auth.store.id))! };
      },
    });
}
