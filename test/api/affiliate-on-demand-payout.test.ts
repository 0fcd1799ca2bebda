import { runPayoutCycle } from '../../src/affiliates/payouts';
import { dueNow, officialProgramSettings, referredSale as sale } from '../helpers/affiliate-fixtures';
import { createVariant } from '../helpers/catalog-fixtures';
import { apiTestbed } from '../helpers/api-testbed';

/**
 * POST /v2/affiliates/{affiliate}/payouts pays one affiliate now with the payout cycle's own
 * booking: a referral is in at most one payout, whoever books first, and a retried request
 * (same Idempotency-Key) answers the payout it made instead of making another.
 */
// Real Postgres: the cycle and the route race for row locks.
const t = apiTestbed({ harness: { database: 'postgres' }, timeoutMs: 120_000 });
const api = t.call;
let variantId: number;

async function apply(code: string, key = t.store.live) {
  const res = await api(
    'post',
    '/affiliates/apply',
    { email: `${code}@e.co`, code, payout_method: 'PAYPAL', payout_details: `${code}@pp.e.co` },
    key,
  );
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body.data.id as number;
}

/** A completed order referred by the affiliate; its referral is due at once unless `due` is false. */
async function referredSale(code: string, due = true) {
  const referral = await sale(t.h, t.store.live, variantId, code);
  if (due) await dueNow(t.h, referral.id);
  return referral;
}

const payoutOf = async (referralId: number) =>
  (await t.h.db.selectFrom('affiliate_referrals').select('payout_id').where('id', '=', referralId).executeTakeFirstOrThrow()).payout_id;

beforeAll(async () => {
  ({ variantId } = await createVariant(t.h, t.store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } }, price: 2000 }));
  const program = {
    enabled: true,
    settings: { ...officialProgramSettings, auto_approve_affiliates: true, minimum_payout: '100' },
    products: [],
  };
  await api('put', '/affiliate-program', program).expect(200);
  await api('put', '/affiliate-program', program, t.other.live).expect(200);
}, 120_000);

describe('POST /v2/affiliates/{affiliate}/payouts', () => {
  it("books the affiliate's due, unpaid commissions into one payout, below the program's minimum too; not yet eligible ones wait", async () => {
    const affiliate = await apply('nowpay');
    const first = await referredSale('nowpay');
    const second = await referredSale('nowpay');
    const held = await referredSale('nowpay', false);

    const res = await api('post', `/affiliates/${affiliate}/payouts`).expect(200);
    expect(res.body.data).toMatchObject({
      affiliate_id: affiliate,
      affiliate_email: 'nowpay@e.co',
      amount_usd_cents: first.commission_cents + second.commission_cents,
      status: 'due',
      referrals_count: 2,
      payout_method: 'PAYPAL',
    });
    expect(res.body.data.payout_account).not.toContain('nowpay@pp.e.co');
    expect([await payoutOf(first.id), await payoutOf(second.id), await payoutOf(held.id)]).toEqual([
      res.body.data.id,
      res.body.data.id,
      null,
    ]);
    // Listed with the cycle's payouts, at both paths.
    expect((await api('get', `/affiliate-payouts/${res.body.data.id}`).expect(200)).body.data.referrals_count).toBe(2);
    expect((await api('get', `/affiliates/payouts/${res.body.data.id}`).expect(200)).body.data).toMatchObject({ cycle_date: null });

    const again = await api('post', `/affiliates/${affiliate}/payouts`);
    expect([again.status, again.body.code, again.body.error?.code]).toEqual([422, 'nothing_due', 'nothing_due']);
  });

  it('answers the payout it made to a retry with the same Idempotency-Key, never a second one', async () => {
    const affiliate = await apply('retried');
    await referredSale('retried');
    const call = () => api('post', `/affiliates/${affiliate}/payouts`).set('Idempotency-Key', 'payout-retried-1');
    const made = await call().expect(200);
    const replayed = await call().expect(200);
    expect(replayed.body.data.id).toBe(made.body.data.id);
    const payouts = await t.h.db.selectFrom('affiliate_payouts').select('id').where('affiliate_id', '=', affiliate).execute();
    expect(payouts).toHaveLength(1);
  });

  it('never books a referral twice when the payout cycle runs at the same moment', async () => {
    for (let round = 1; round <= 3; round += 1) {
      const code = `race${round}`;
      const affiliate = await apply(code);
      const referrals = [await referredSale(code), await referredSale(code), await referredSale(code)];
      const [route, cycle] = await Promise.all([
        api('post', `/affiliates/${affiliate}/payouts`),
        t.h.db
          .transaction()
          .execute((trx) =>
            runPayoutCycle(trx, { storeId: t.store.id, cycleDate: `2030-0${round}-01`, cutoff: new Date(), trigger: 'manual' }),
          ),
      ]);
      const payoutIds = new Set(await Promise.all(referrals.map((r) => payoutOf(r.id))));
      // All three in one payout: the route's (200) or the cycle's (the route then found nothing due).
      expect(payoutIds.size).toBe(1);
      const [payoutId] = [...payoutIds];
      expect(payoutId).not.toBeNull();
      const fromCycle = cycle.payouts.filter((p) => p.affiliate_id === affiliate);
      if (route.status === 200) {
        expect([route.body.data.id, fromCycle]).toEqual([payoutId, []]);
      } else {
        expect([route.status, route.body.code, fromCycle.map((p) => p.id)]).toEqual([422, 'nothing_due', [payoutId]]);
      }
      const total = await t.h.db
        .selectFrom('affiliate_payouts')
        .select((eb) => eb.fn.sum<string>('amount_cents').as('sum'))
        .where('affiliate_id', '=', affiliate)
        .executeTakeFirstOrThrow();
      expect(Number(total.sum)).toBe(referrals.reduce((sum, r) => sum + r.commission_cents, 0));
    }
  });

  it('answers 404 for an affiliate of another store and 422 for one that is not active, in the error envelope', async () => {
    const foreign = await apply('elsewhere', t.other.live);
    const missing = await api('post', `/affiliates/${foreign}/payouts`);
    expect([missing.status, missing.body.type, missing.body.error?.type]).toEqual([404, 'not_found_error', 'not_found']);
    expect((await api('post', '/affiliates/not-a-number/payouts')).status).toBe(422);

    const affiliate = await apply('paused');
    await referredSale('paused');
    await api('post', `/affiliates/${affiliate}/disable`).expect(200);
    const res = await api('post', `/affiliates/${affiliate}/payouts`);
    expect([res.status, res.body.code, res.body.param]).toEqual([422, 'affiliate_not_active', 'affiliate']);
  });
});
