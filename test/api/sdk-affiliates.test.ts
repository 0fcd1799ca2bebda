import { runPayoutCycle } from '../../src/affiliates/payouts';
import { createVariant } from '../helpers/catalog-fixtures';
import { officialProgramSettings, referredSale as sale } from '../helpers/affiliate-fixtures';
import { apiTestbed } from '../helpers/api-testbed';

/**
 * The affiliate program at the official SDKs' paths: status changes go through Sellflow's own
 * review, referral and payout rules, and what Sellflow does not do is refused, not ignored.
 */
const t = apiTestbed({ timeoutMs: 120_000 });
const api = t.call;
let variantId: number;

const settings = officialProgramSettings;

async function apply(code: string) {
  const res = await api('post', '/affiliates/apply', {
    email: `${code}@e.co`,
    code,
    payout_method: 'PAYPAL',
    payout_details: `${code}-paypal@e.co`,
  });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body.data.id as number;
}

const referredSale = async (code: string) => (await sale(t.h, t.store.live, variantId, code)).id;

beforeAll(async () => {
  ({ variantId } = await createVariant(t.h, t.store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } }, price: 2000 }));
  await api('put', '/affiliate-program', { enabled: true, settings, products: [] }).expect(200);
}, 120_000);

describe('PUT /v2/affiliate-program', () => {
  it('saves the program through its rules and answers it in the official model', async () => {
    const saved = (
      await api('put', '/affiliate-program', {
        enabled: true,
        settings: { ...settings, minimum_payout: '12.50', referrer_type: 'first_referrer', tracking_length: 14 },
        products: [{ id: variantId, enabled: true, commission: { type: 'fixed', amount_usd_cents: 300 } }],
      }).expect(200)
    ).body.data;
    expect(saved.settings).toMatchObject({ minimum_payout: '12.50', referrer_type: 'first_referrer', tracking_length: 14 });
    expect(saved.products).toEqual([
      expect.objectContaining({ id: variantId, enabled: true, commission: { type: 'fixed', percentage: null, amount_usd_cents: 300 } }),
    ]);
    // Sellflow's own settings route reads the same program.
    expect((await api('get', '/settings/affiliates').expect(200)).body.data).toMatchObject({ tracking_days: 14, referrer_order: 'FIRST' });
    await api('put', '/affiliate-program', { enabled: true, settings, products: [] }).expect(200);
  });

  it('refuses what Sellflow does not do, a variant of another store and malformed input with 422', async () => {
    const { variantId: foreign } = await createVariant(t.h, t.other.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const cases: [object, string][] = [
      [{ settings: { ...settings, subscription_commission: true } }, 'settings.subscription_commission'],
      [{ settings: { ...settings, enable_hub: false } }, 'settings.enable_hub'],
      [{ products: [{ id: foreign, enabled: true }] }, 'products.0.id'],
      [{ settings: { ...settings, tracking_length: 91 } }, 'settings.tracking_length'],
      [{ settings: { ...settings, minimum_payout: 'ten' } }, 'settings.minimum_payout'],
    ];
    for (const [change, param] of cases) {
      const res = await api('put', '/affiliate-program', { enabled: true, settings, products: [], ...change });
      expect([res.status, res.body.param]).toEqual([422, param]);
    }
    expect((await api('get', '/affiliate-program').expect(200)).body.data.settings.tracking_length).toBe(30);
  });
});

describe('affiliate invitations and status', () => {
  it('invites (201), lists the pending invitation, refuses a second one and a bad address', async () => {
    const invited = (await api('post', '/affiliate-invitations', { email: 'Invitee@E.co' }).expect(201)).body.data;
    expect(invited).toMatchObject({ email: 'invitee@e.co', status: 'pending', application_submitted_at: null });
    const listed = (await api('get', '/affiliate-invitations').expect(200)).body.data;
    expect(listed.map((i: { id: number }) => i.id)).toContain(invited.id);
    expect((await api('post', '/affiliate-invitations', { email: 'invitee@e.co' })).status).toBe(409);
    expect((await api('post', '/affiliate-invitations', { email: 'not-an-address' })).status).toBe(422);
    // An invitation cannot be approved before the application is in.
    expect((await api('patch', `/affiliates/${invited.id}/status`, { status: 'active' })).status).toBe(409);
  });

  it('moves an affiliate through the review rules: approve, disable, enable; reject only while pending', async () => {
    const id = await apply('reviewed');
    const status = (wanted: string) => api('patch', `/affiliates/${id}/status`, { status: wanted });
    expect((await status('active').expect(200)).body.data.status).toBe('ACTIVE');
    expect((await status('active').expect(200)).body.data.status).toBe('ACTIVE');
    expect((await status('disabled').expect(200)).body.data.status).toBe('DISABLED');
    expect((await status('rejected')).status).toBe(409);
    expect((await status('active').expect(200)).body.data.status).toBe('ACTIVE');
    expect((await status('blocked')).status).toBe(422);
    expect((await api('patch', `/affiliates/${id}/status`, { status: 'disabled' }, t.other.live)).status).toBe(404);
  });
});

describe('referral and payout status', () => {
  let affiliateId: number;
  beforeAll(async () => {
    affiliateId = await apply('earner');
    await api('patch', `/affiliates/${affiliateId}/status`, { status: 'active' }).expect(200);
  });

  it('reviews a referral through the referral rules: a rejected one never becomes accepted', async () => {
    const referral = await referredSale('earner');
    const move = (status: string) => api('patch', `/affiliate-referrals/${referral}/status`, { status });
    expect((await move('in_review').expect(200)).body.data.status).toBe('in_review');
    expect((await move('rejected').expect(200)).body.data.status).toBe('rejected');
    expect((await move('accepted')).status).toBe(409);
    expect((await move('paid')).status).toBe(422);
    expect((await api('get', `/affiliates/referrals/${referral}`).expect(200)).body.data.status).toBe('REJECTED');
  });

  it('marks a payout paid once however often asked; a paid payout stays paid', async () => {
    const referral = await referredSale('earner');
    await t.h.db
      .updateTable('affiliate_referrals')
      .set({ eligible_at: new Date(Date.now() - 1000) })
      .where('id', '=', referral)
      .execute();
    const cycle = await t.h.db
      .transaction()
      .execute((trx) => runPayoutCycle(trx, { storeId: t.store.id, cycleDate: '2026-02-01', cutoff: new Date(), trigger: 'manual' }));
    const payoutId = cycle.payouts.find((p) => p.affiliate_id === affiliateId)!.id;
    const due = (await api('get', `/affiliate-payouts/${payoutId}`).expect(200)).body.data;
    expect(due).toMatchObject({ status: 'due', referrals_count: 1, affiliate_email: 'earner@e.co' });
    // The destination is masked, never the whole address.
    expect(due.payout_account).not.toContain('earner-paypal@e.co');
    expect((await api('patch', `/affiliate-payouts/${payoutId}/status`, { status: 'due' }).expect(200)).body.data.status).toBe('due');

    const [first, second] = await Promise.all([
      api('patch', `/affiliate-payouts/${payoutId}/status`, { status: 'paid' }),
      api('patch', `/affiliate-payouts/${payoutId}/status`, { status: 'paid' }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.data).toMatchObject({ status: 'paid', updated_at: first.body.data.updated_at });
    const row = await t.h.db
      .selectFrom('affiliate_payouts')
      .select(['status', 'paid_at'])
      .where('id', '=', payoutId)
      .executeTakeFirstOrThrow();
    expect(row.paid_at?.toISOString().slice(0, 19)).toBe(first.body.data.updated_at.slice(0, 19));
    expect((await api('get', `/affiliate-referrals/${referral}`).expect(200)).body.data.status).toBe('paid');

    expect((await api('patch', `/affiliate-payouts/${payoutId}/status`, { status: 'due' })).status).toBe(409);
    expect((await api('patch', `/affiliate-payouts/${payoutId}/status`, { status: 'cancelled' })).status).toBe(422);
    expect((await api('patch', `/affiliate-payouts/${payoutId}/status`, { status: 'paid' }, t.other.live)).status).toBe(404);
  });
});
