import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import request from 'supertest';
import { runPayoutCycle } from '../../src/affiliates/payouts';
import { payoutScheduleId } from '../../src/affiliates/payout-schedule';
import type Stripe from 'stripe';
import { applyStripeEvent } from '../../src/orders/stripe-events';
import { transitionInvoice } from '../../src/orders/invoice-transitions';
import { startSmtpSink } from '../fakes/smtp-sink';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * The affiliate program end to end over the API, with a real worker: applications, referrals
 * and their commissions, refunds, and payout cycles run by Temporal (on demand, backfilled
 * and from the store's schedule).
 */
let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startHarness({ worker: true, env: { SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await h.close();
  await smtp.close();
});

type Store = Awaited<ReturnType<Harness['createStore']>>;
const api = (store: Store, method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);

const program = { enabled: true, auto_approve: true, commission: { type: 'PERCENTAGE', value: 10 }, payout_methods: ['PAYPAL', 'BTC'] };

async function join(store: Store, code: string, extra: object = {}) {
  const res = await api(store, 'post', '/affiliates/apply', {
    email: `${code}@aff.example`,
    code,
    payout_method: 'PAYPAL',
    payout_details: `${code}-pp@aff.example`,
    ...extra,
  });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body.data as { id: number; code: string; status: string };
}

async function buy(store: Store, variantId: number, fields: object = {}) {
  const res = await api(store, 'post', '/invoices', {
    customer_email: 'buyer@shop.example',
    customer_ip: '198.51.100.23',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
    ...fields,
  });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  const id = res.body.data.id as number;
  await api(store, 'patch', `/invoices/${id}/mark-completed`).expect(200);
  return id;
}

const referralOf = (invoiceId: number) =>
  h.db.selectFrom('affiliate_referrals').selectAll().where('invoice_id', '=', invoiceId).executeTakeFirst();
const manual = { deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } } };

describe('affiliate program settings and the payout schedule', () => {
  let store: Store;
  beforeAll(async () => {
    store = await h.createStore();
  });

  it('refuses bad settings with 422 and the field named', async () => {
    expect((await api(store, 'get', '/settings/affiliates').expect(200)).body.data).toMatchObject({
      enabled: false,
      commission: { type: 'PERCENTAGE', value: '10' },
      referrer_order: 'LAST',
    });
    const cases: [object, string][] = [
      [{ commission: { type: 'PERCENTAGE', value: 150 } }, 'commission.value'],
      [{ commission: { type: 'AMOUNT', value: 1.005 } }, 'commission.value'],
      [{ payout_methods: ['GOLD_BARS'] }, 'payout_methods'],
      [{ custom_products: true }, 'products'],
      [{ products: [{ product_id: 2_000_000_000, commission: { type: 'AMOUNT', value: 1 } }] }, 'products'],
      [{ tracking_days: 0 }, 'tracking_days'],
      [{ referrer_order: 'MIDDLE' }, 'referrer_order'],
    ];
    for (const [body, param] of cases) {
      const res = await api(store, 'put', '/settings/affiliates', body);
      expect([res.status, res.body.error?.param]).toEqual([422, param]);
    }
    // Nothing was saved, and no schedule exists until the program is on.
    expect((await api(store, 'get', '/affiliates/payout-schedule')).status).toBe(404);
  });

  it('creates the store schedule on enabling: midnight on the 1st and 15th in the store time zone; ops can pause it', async () => {
    await h.db.updateTable('stores').set({ timezone: 'Asia/Tokyo' }).where('id', '=', store.id).execute();
    const saved = (
      await api(store, 'put', '/settings/affiliates', {
        ...program,
        minimum_payout: 12.5,
        tracking_days: 7,
        referrer_order: 'FIRST',
      }).expect(200)
    ).body.data;
    expect(saved).toMatchObject({
      enabled: true,
      minimum_payout: '12.5',
      tracking_days: 7,
      referrer_order: 'FIRST',
      payout_methods: ['PAYPAL', 'BTC'],
    });
    const schedule = (await api(store, 'get', '/affiliates/payout-schedule').expect(200)).body.data;
    expect(schedule).toMatchObject({
      schedule_id: payoutScheduleId(h.taskQueue, store.id),
      paused: false,
      time_zone: 'Asia/Tokyo',
      days_of_month: [1, 15],
    });
    expect(schedule.next_runs.length).toBeGreaterThanOrEqual(2);
    for (const run of schedule.next_runs as string[]) {
      const local = DateTime.fromISO(run, { zone: 'Asia/Tokyo' });
      expect([local.day, local.hour, local.minute]).toEqual([local.day === 1 ? 1 : 15, 0, 0]);
    }
    expect((await api(store, 'post', '/affiliates/payout-schedule/pause', { note: 'audit' }).expect(200)).body.data).toMatchObject({
      paused: true,
      note: 'audit',
    });
    expect((await api(store, 'post', '/affiliates/payout-schedule/unpause').expect(200)).body.data.paused).toBe(false);
  });

  it('runs a cycle when the schedule fires, dated by its scheduled time in the store zone', async () => {
    const { variantId } = await createVariant(h, store.live, { ...manual, price: 20_000 });
    await join(store, 'sched');
    const invoice = await buy(store, variantId, { affiliate: 'sched', payment_method: 'BTC' });
    expect(await referralOf(invoice)).toMatchObject({ commission_cents: 2000, status: 'ACCEPTED' });
    // Schedule times are whole seconds: let the referral's second pass before "now" is taken.
    await new Promise((r) => setTimeout(r, 1100));
    await h.temporal.client.schedule.getHandle(payoutScheduleId(h.taskQueue, store.id)).trigger();
    const cycle = await waitFor(
      () => h.db.selectFrom('affiliate_payout_cycles').selectAll().where('store_id', '=', store.id).executeTakeFirst(),
      (c) => c !== undefined,
    );
    expect(cycle).toMatchObject({ trigger: 'schedule', payouts_created: 1, cycle_date: DateTime.now().setZone('Asia/Tokyo').toISODate() });
    const payouts = (await api(store, 'get', '/affiliates/payouts').expect(200)).body.data;
    expect(payouts).toEqual([
      expect.objectContaining({
        amount: '20.00',
        amount_cents: 2000,
        status: 'DUE',
        payout_method: 'PAYPAL',
        payout_details: 'sched-pp@aff.example',
      }),
    ]);
  });
});

describe('affiliates', () => {
  let store: Store;
  beforeAll(async () => {
    store = await h.createStore();
    await api(store, 'put', '/settings/affiliates', { ...program, auto_approve: false }).expect(200);
  });

  it('reviews applications: pending until approved; a rejected applicant cannot re-apply but can be enabled', async () => {
    const alice = await join(store, 'alice', { name: 'Alice', message: 'I run a blog' });
    expect(alice.status).toBe('PENDING');
    expect((await api(store, 'post', `/affiliates/${alice.id}/approve`).expect(200)).body.data.status).toBe('ACTIVE');
    const bob = await join(store, 'bob');
    expect((await api(store, 'post', `/affiliates/${bob.id}/reject`).expect(200)).body.data.status).toBe('REJECTED');
    const again = await api(store, 'post', '/affiliates/apply', {
      email: 'BOB@aff.example',
      code: 'bob2',
      payout_method: 'PAYPAL',
      payout_details: 'x',
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'application_rejected']);
    expect((await api(store, 'post', `/affiliates/${bob.id}/approve`)).status).toBe(409);
    expect((await api(store, 'post', `/affiliates/${bob.id}/enable`).expect(200)).body.data.status).toBe('ACTIVE');
    expect((await api(store, 'post', `/affiliates/${alice.id}/disable`).expect(200)).body.data.status).toBe('DISABLED');
    expect((await api(store, 'post', `/affiliates/${alice.id}/enable`).expect(200)).body.data.status).toBe('ACTIVE');
  });

  it('invites by e-mail; the invitee completes the application', async () => {
    const invited = (await api(store, 'post', '/affiliates/invites', { email: 'Carol@Aff.example' }).expect(200)).body.data;
    expect(invited).toMatchObject({
      status: 'INVITED',
      email: 'carol@aff.example',
      code: null,
      link: null,
      application_url: expect.stringContaining('/customer-portal/affiliates/join?email=carol%40aff.example'),
    });
    const mail = await waitFor(
      () => Promise.resolve(smtp.mails.filter((m) => m.to.includes('carol@aff.example'))),
      (m) => m.length > 0,
    );
    expect(mail).toHaveLength(1);
    expect(mail[0]!.raw.replace(/=\r?\n/g, '')).toContain(invited.application_url.replace('@', '%40').split('?')[0]);
    expect((await api(store, 'post', '/affiliates/invites', { email: 'carol@aff.example' })).status).toBe(409);
    // Only the invitation link completes it: the address cannot be claimed by someone else.
    const stranger = await api(store, 'post', '/affiliates/apply', {
      email: 'carol@aff.example',
      code: 'notcarol',
      payout_method: 'PAYPAL',
      payout_details: 'thief@evil.example',
    });
    expect([stranger.status, stranger.body.error.code]).toEqual([409, 'invitation_pending']);
    const wrong = await api(store, 'post', '/affiliates/apply', {
      email: 'carol@aff.example',
      code: 'notcarol',
      payout_method: 'PAYPAL',
      payout_details: 'x',
      invite_token: 'guess',
    });
    expect(wrong.status).toBe(409);
    const token = new URL(invited.application_url).searchParams.get('invite')!;
    const completed = await join(store, 'carol', { invite_token: token });
    expect(completed).toMatchObject({ id: invited.id, status: 'PENDING', code: 'carol' });
  });

  it('refuses bad applications with clear errors', async () => {
    const cases: [object, number, string][] = [
      [{ email: 'dup@aff.example', code: 'alice', payout_method: 'PAYPAL', payout_details: 'x' }, 422, 'code_taken'],
      [{ email: 'x@aff.example', code: 'a b', payout_method: 'PAYPAL', payout_details: 'x' }, 422, 'invalid_field'],
      [{ email: 'y@aff.example', code: 'yy1', payout_method: 'STRIPE', payout_details: 'x' }, 422, 'payout_method_not_offered'],
      [{ email: 'alice@aff.example', code: 'alice9', payout_method: 'PAYPAL', payout_details: 'x' }, 409, 'already_applied'],
      [{ email: 'not-an-email', code: 'zz1', payout_method: 'PAYPAL', payout_details: 'x' }, 422, 'invalid_field'],
    ];
    for (const [body, status, code] of cases) {
      const res = await api(store, 'post', '/affiliates/apply', body);
      expect([res.status, res.body.error?.code]).toEqual([status, code]);
    }
    expect((await api(store, 'get', '/affiliates/2147483648')).status).toBe(422);
    expect((await api(store, 'get', '/affiliates/2147483647')).status).toBe(404);
  });

  it('keeps payout details sealed at rest and other stores out', async () => {
    const row = await h.db
      .selectFrom('affiliates')
      .select('payout_details_sealed')
      .where('code', '=', 'alice')
      .where('store_id', '=', store.id)
      .executeTakeFirstOrThrow();
    expect(row.payout_details_sealed).not.toContain('alice-pp');
    const listed = (await api(store, 'get', '/affiliates?status=ACTIVE&search=ali').expect(200)).body;
    expect(listed.data.map((a: { code: string }) => a.code)).toEqual(['alice']);
    expect(listed.data[0].payout_details).toBe('alice-pp@aff.example');
    const other = await h.createStore();
    expect((await api(other, 'get', `/affiliates/${listed.data[0].id}`)).status).toBe(404);
    expect((await api(other, 'post', `/affiliates/${listed.data[0].id}/disable`)).status).toBe(404);
    // Test keys see and try things, but never change the program, affiliates or payouts.
    const asTest = (method: 'post' | 'put', path: string, body: object) =>
      request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.test}`).send(body);
    for (const [method, path, body] of [
      ['put', '/settings/affiliates', { enabled: false }],
      ['post', `/affiliates/${listed.data[0].id}/disable`, {}],
      ['post', '/affiliates/payout-cycles', {}],
      ['post', '/affiliates/apply', { email: 'test@aff.example', code: 'testy', payout_method: 'PAYPAL', payout_details: 'x' }],
    ] as const) {
      const res = await asTest(method, path, body);
      expect([res.status, res.body.error.code]).toEqual([403, 'livemode_required']);
    }
    await api(store, 'put', '/settings/affiliates', { enabled: false }).expect(200);
    const closed = await api(store, 'post', '/affiliates/apply', {
      email: 'late@aff.example',
      code: 'late',
      payout_method: 'PAYPAL',
      payout_details: 'x',
    });
    expect([closed.status, closed.body.error.code]).toEqual([409, 'program_disabled']);
  });
});

describe('referrals', () => {
  let store: Store;
  let p1: { productId: number; variantId: number };
  let p2: { productId: number; variantId: number };
  let alice: { id: number };
  let bob: { id: number };
  beforeAll(async () => {
    store = await h.createStore();
    p1 = await createVariant(h, store.live, { ...manual, price: 2000 });
    p2 = await createVariant(h, store.live, { ...manual, price: 1000 });
    await api(store, 'put', '/settings/affiliates', {
      ...program,
      products: [{ product_id: p2.productId, commission: { type: 'AMOUNT', value: 3 } }],
    }).expect(200);
    alice = await join(store, 'alice');
    bob = await join(store, 'bob');
    await api(store, 'patch', `/affiliates/${bob.id}`, { commission: { type: 'PERCENTAGE', value: 20 } }).expect(200);
  });

  it('books one referral per paid order with the commission in the right precedence', async () => {
    const storeRate = await buy(store, p1.variantId, { affiliate: 'alice' });
    const productRate = await buy(store, p2.variantId, { affiliate: 'ALICE' });
    const affiliateRate = await buy(store, p2.variantId, { affiliate: 'bob' });
    expect((await referralOf(storeRate))!).toMatchObject({
      affiliate_id: alice.id,
      commission_cents: 200,
      status: 'ACCEPTED',
      source: 'LINK',
      paid_amount_cents: 2000,
    });
    expect((await referralOf(productRate))!.commission_cents).toBe(300);
    expect((await referralOf(affiliateRate))!).toMatchObject({ affiliate_id: bob.id, commission_cents: 200 });
    // Fiat waits 30 days; a second "paid" report changes nothing.
    const referral = (await referralOf(storeRate))!;
    expect(referral.eligible_at.getTime() - referral.purchased_at.getTime()).toBe(30 * 86_400_000);
    await api(store, 'patch', `/invoices/${storeRate}/mark-completed`);
    expect(await h.db.selectFrom('affiliate_referrals').select('id').where('invoice_id', '=', storeRate).execute()).toHaveLength(1);
    const crypto = await buy(store, p1.variantId, { affiliate: 'alice', payment_method: 'BTC' });
    const cryptoReferral = (await referralOf(crypto))!;
    expect(cryptoReferral.eligible_at).toEqual(cryptoReferral.purchased_at);
  });

  it("credits the affiliate's coupon, on the discounted price, over a link", async () => {
    const coupon = await api(store, 'put', `/affiliates/${alice.id}/coupon`, {
      code: 'ALICE25',
      type: 'PERCENTAGE',
      discount: 25,
      store_wide: true,
    }).expect(200);
    expect(coupon.body.data).toMatchObject({ code: 'ALICE25', affiliate_id: alice.id });
    const invoice = await buy(store, p1.variantId, { coupon: 'alice25', affiliate: 'bob' });
    expect((await referralOf(invoice))!).toMatchObject({
      affiliate_id: alice.id,
      source: 'COUPON',
      paid_amount_cents: 1500,
      commission_cents: 150,
    });
    // Changing a leaked code keeps the coupon the affiliate's.
    await api(store, 'put', `/affiliates/${alice.id}/coupon`, {
      code: 'ALICE-NEW',
      type: 'PERCENTAGE',
      discount: 25,
      store_wide: true,
    }).expect(200);
    expect(
      (
        await api(store, 'post', '/invoices', {
          customer_email: 'c@e.co',
          payment_method: 'PAYPAL',
          product_variants: { [p1.variantId]: { quantity: 1 } },
          coupon: 'ALICE25',
        })
      ).status,
    ).toBe(422);
    expect((await api(store, 'get', `/affiliates/${alice.id}`).expect(200)).body.data.coupon.code).toBe('ALICE-NEW');
  });

  it('attributes reported clicks to the first or last referrer inside the tracking window', async () => {
    await api(store, 'post', '/affiliates/clicks', { affiliate: 'alice', visitor_id: 'v-1' }).expect(200);
    await api(store, 'post', '/affiliates/clicks', { affiliate: 'bob', visitor_id: 'v-1' }).expect(200);
    expect((await referralOf(await buy(store, p1.variantId, { visitor_id: 'v-1' })))!.affiliate_id).toBe(bob.id);
    await api(store, 'put', '/settings/affiliates', { referrer_order: 'FIRST' }).expect(200);
    expect((await referralOf(await buy(store, p1.variantId, { visitor_id: 'v-1' })))!.affiliate_id).toBe(alice.id);
    // Clicks older than the window no longer count.
    await api(store, 'post', '/affiliates/clicks', { affiliate: 'alice', customer_email: 'old@shop.example' }).expect(200);
    await h.db
      .updateTable('affiliate_clicks')
      .set({ clicked_at: new Date(Date.now() - 31 * 86_400_000) })
      .where('customer_email', '=', 'old@shop.example')
      .execute();
    expect(await referralOf(await buy(store, p1.variantId, { customer_email: 'old@shop.example' }))).toBeUndefined();
    const bad = await api(store, 'post', '/affiliates/clicks', { affiliate: 'nobody', visitor_id: 'v' });
    expect([bad.status, bad.body.error.code]).toEqual([422, 'affiliate_not_found']);
    expect((await api(store, 'post', '/affiliates/clicks', { affiliate: 'alice' })).status).toBe(422);
  });

  it('ignores unknown codes and self-referrals', async () => {
    expect(await referralOf(await buy(store, p1.variantId, { affiliate: 'ghost' }))).toBeUndefined();
    // Alice buying with her own coupon or link earns nothing; a link she followed before (bob's) still does.
    expect(
      await referralOf(await buy(store, p1.variantId, { coupon: 'ALICE-NEW', affiliate: 'alice', customer_email: 'alice@aff.example' })),
    ).toBeUndefined();
    await api(store, 'post', '/affiliates/clicks', { affiliate: 'bob', customer_email: 'alice@aff.example' }).expect(200);
    expect(
      (await referralOf(await buy(store, p1.variantId, { affiliate: 'alice', customer_email: 'alice@aff.example' })))!.affiliate_id,
    ).toBe(bob.id);
  });

  it('lets the seller review referrals; a rejected one never becomes accepted', async () => {
    const invoice = await buy(store, p1.variantId, { affiliate: 'bob' });
    const { id } = (await referralOf(invoice))!;
    expect((await api(store, 'patch', `/affiliates/referrals/${id}`, { status: 'IN_REVIEW' }).expect(200)).body.data.status).toBe(
      'IN_REVIEW',
    );
    expect((await api(store, 'patch', `/affiliates/referrals/${id}`, { status: 'REJECTED' }).expect(200)).body.data.status).toBe(
      'REJECTED',
    );
    const accept = await api(store, 'patch', `/affiliates/referrals/${id}`, { status: 'ACCEPTED' });
    expect([accept.status, accept.body.error.code]).toEqual([409, 'invalid_status']);
    const detail = (await api(store, 'get', `/affiliates/referrals/${id}`).expect(200)).body.data;
    expect(detail.timeline.map((t: { status: string }) => t.status)).toEqual(['CREATED', 'ACCEPTED', 'IN_REVIEW', 'REJECTED']);
    expect(detail).toMatchObject({ invoice_id: invoice, affiliate_id: bob.id, commission: '4.00' });
  });

  it('voids the commission when the order is refunded or disputed, and restores it when the dispute is won', async () => {
    const refunded = await buy(store, p1.variantId, { affiliate: 'bob' });
    const disputed = await buy(store, p1.variantId, { affiliate: 'bob' });
    await waitFor(
      () => h.db.selectFrom('invoices').select('status').where('id', 'in', [refunded, disputed]).execute(),
      (rows) => rows.every((r) => r.status === 'COMPLETED'),
    );
    await h.db.transaction().execute((trx) => transitionInvoice(trx, refunded, 'REFUNDED'));
    await h.db.transaction().execute((trx) => transitionInvoice(trx, disputed, 'DISPUTING'));
    expect((await referralOf(refunded))!).toMatchObject({ void_reason: 'refunded' });
    expect((await referralOf(disputed))!.void_reason).toBe('disputed');
    const accept = await api(store, 'patch', `/affiliates/referrals/${(await referralOf(refunded))!.id}`, { status: 'IN_REVIEW' });
    expect(accept.status).toBe(200);
    expect(
      (await api(store, 'patch', `/affiliates/referrals/${(await referralOf(refunded))!.id}`, { status: 'ACCEPTED' })).body.error.code,
    ).toBe('referral_voided');
    await h.db.transaction().execute((trx) => transitionInvoice(trx, disputed, 'COMPLETED'));
    expect((await referralOf(disputed))!.voided_at).toBeNull();
  });

  it('a refund of part of the money shrinks the commission in proportion; refunding the rest voids it', async () => {
    const invoice = await buy(store, p1.variantId, { affiliate: 'bob' });
    await waitFor(
      () => h.db.selectFrom('invoices').select(['status', 'total_cents']).where('id', '=', invoice).executeTakeFirstOrThrow(),
      (row) => row.status === 'COMPLETED',
    );
    const { total_cents: total } = await h.db
      .selectFrom('invoices')
      .select('total_cents')
      .where('id', '=', invoice)
      .executeTakeFirstOrThrow();
    const before = (await referralOf(invoice))!;
    expect(before.commission_cents).toBeGreaterThan(0);
    const quarter = Math.floor(total / 4);
    const settled = (id: number) =>
      waitFor(
        () => h.db.selectFrom('refunds').select('consequences_at').where('id', '=', id).executeTakeFirstOrThrow(),
        (r) => r.consequences_at !== null,
      );
    const partial = await api(store, 'post', `/orders/${invoice}/refunds`, { amount: (quarter / 100).toFixed(2) }).expect(200);
    await settled(partial.body.data.refund.id);
    const after = (await referralOf(invoice))!;
    expect(after.commission_cents).toBe(Math.round((before.commission_cents * (total - quarter)) / total));
    expect(after.voided_at).toBeNull();
    expect(after.timeline.at(-1)).toEqual(
      expect.objectContaining({ note: expect.stringContaining(`partially refunded (${quarter} cents)`) }),
    );

    const rest = await api(store, 'post', `/orders/${invoice}/refunds`, {}).expect(200);
    await settled(rest.body.data.refund.id);
    expect((await referralOf(invoice))!.void_reason).toBe('refunded');
  });

  it('sends a partially refunded referral back to review, once however often Stripe reports it', async () => {
    const invoice = await buy(store, p1.variantId, { affiliate: 'bob' });
    const partial = {
      id: `evt_partial_${invoice}`,
      type: 'charge.refunded',
      livemode: true,
      data: { object: { refunded: false, amount_refunded: 500, payment_intent: null, metadata: { invoice_id: String(invoice) } } },
    } as unknown as Stripe.Event;
    await applyStripeEvent(h.db, store.id, partial);
    await applyStripeEvent(h.db, store.id, partial);
    const referral = (await referralOf(invoice))!;
    expect(referral.status).toBe('IN_REVIEW');
    expect(referral.timeline.filter((t) => t.status === 'IN_REVIEW')).toEqual([
      expect.objectContaining({ note: 'order partially refunded (500 cents)' }),
    ]);
  });

  it('shows the affiliate their earnings, referrals, payouts and products without any customer data', async () => {
    const portal = await api(store, 'get', `/affiliates/${alice.id}/portal`).expect(200);
    const referrals = await api(store, 'get', `/affiliates/${alice.id}/portal/referrals?limit=100`).expect(200);
    const products = (await api(store, 'get', `/affiliates/${alice.id}/portal/products`).expect(200)).body.data;
    for (const body of [portal.text, referrals.text, JSON.stringify(products)]) {
      expect(body).not.toContain('buyer@shop.example');
      expect(body).not.toContain('198.51.100.23');
      expect(body).not.toContain('invoice');
    }
    expect(portal.body.data).toMatchObject({
      code: 'alice',
      link: expect.stringContaining('?affiliate=alice'),
      coupon: { code: 'ALICE-NEW' },
    });
    const accepted = await h.db
      .selectFrom('affiliate_referrals')
      .select((eb) => eb.fn.sum<string>('commission_cents').as('cents'))
      .where('affiliate_id', '=', alice.id)
      .where('status', '=', 'ACCEPTED')
      .where('voided_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(portal.body.data.earnings.USD).toEqual({
      earned_cents: Number(accepted.cents),
      paid_cents: 0,
      unpaid_cents: Number(accepted.cents),
      pending_cents: 0,
    });
    expect(referrals.body.data.length).toBe(portal.body.data.referral_count);
    expect(products).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          product_id: p1.productId,
          price: '20.00',
          commission: { type: 'PERCENTAGE', value: '10' },
          commission_per_sale: '2.00',
        }),
        expect.objectContaining({ product_id: p2.productId, commission: { type: 'AMOUNT', value: '3' }, commission_per_sale: '3.00' }),
      ]),
    );
  });
});

describe('payout cycle', () => {
  let store: Store;
  beforeAll(async () => {
    store = await h.createStore();
  });

  it('pays accepted, eligible, unvoided balances at or above the minimum; twice creates nothing new; backfills; exports; marks paid', async () => {
    const { variantId } = await createVariant(h, store.live, { ...manual, price: 10_000 });
    const { variantId: cheap } = await createVariant(h, store.live, { ...manual, price: 1000 });
    await api(store, 'put', '/settings/affiliates', { ...program, minimum_payout: 5 }).expect(200);
    const codes = ['fiat', 'crypto', 'small', 'waiting', 'refund', 'off', 'review', 'late'] as const;
    const affiliates = {} as Record<(typeof codes)[number], { id: number }>;
    const invoices = {} as Record<(typeof codes)[number] | 'fiat2', number>;
    for (const code of codes)
      affiliates[code] = await join(store, code, code === 'crypto' ? { payout_method: 'BTC', payout_details: 'bc1qexample' } : {});
    const old = new Date(Date.now() - 40 * 86_400_000);
    invoices.fiat = await buy(store, variantId, { affiliate: 'fiat' }); // 10.00, eligible after backdating
    invoices.fiat2 = await buy(store, variantId, { affiliate: 'fiat' });
    invoices.crypto = await buy(store, variantId, { affiliate: 'crypto', payment_method: 'BTC' }); // eligible now
    invoices.small = await buy(store, cheap, { affiliate: 'small', payment_method: 'BTC' }); // 1.00 < 5.00
    invoices.waiting = await buy(store, variantId, { affiliate: 'waiting' }); // fiat, 30 days to go
    invoices.refund = await buy(store, variantId, { affiliate: 'refund', payment_method: 'BTC' });
    invoices.off = await buy(store, variantId, { affiliate: 'off', payment_method: 'BTC' });
    invoices.review = await buy(store, variantId, { affiliate: 'review', payment_method: 'BTC' });
    await h.db
      .updateTable('affiliate_referrals')
      .set({ purchased_at: old, eligible_at: new Date(old.getTime() + 30 * 86_400_000) })
      .where('invoice_id', 'in', [invoices.fiat, invoices.fiat2])
      .execute();
    await waitFor(
      () => h.db.selectFrom('invoices').select('status').where('id', '=', invoices.refund).executeTakeFirstOrThrow(),
      (r) => r.status === 'COMPLETED',
    );
    await h.db.transaction().execute((trx) => transitionInvoice(trx, invoices.refund, 'REFUNDED'));
    await api(store, 'post', `/affiliates/${affiliates.off.id}/disable`).expect(200);
    await api(store, 'patch', `/affiliates/referrals/${(await referralOf(invoices.review))!.id}`, { status: 'IN_REVIEW' }).expect(200);

    const first = (await api(store, 'post', '/affiliates/payout-cycles', {}).expect(200)).body.data;
    expect(first).toMatchObject({ created: true, trigger: 'manual' });
    const byAffiliate = Object.fromEntries(
      first.payouts.map((p: { affiliate_id: number; amount_cents: number; referrals: number }) => [
        p.affiliate_id,
        [p.amount_cents, p.referrals],
      ]),
    );
    expect(byAffiliate).toEqual({ [affiliates.fiat.id]: [2000, 2], [affiliates.crypto.id]: [1000, 1] });

    // Twice, even concurrently through the workflow and straight at the database: nothing new.
    const [again, direct] = await Promise.all([
      api(store, 'post', '/affiliates/payout-cycles', {}).expect(200),
      h.db
        .transaction()
        .execute((trx) => runPayoutCycle(trx, { storeId: store.id, cycleDate: first.cycle_date, cutoff: new Date(), trigger: 'manual' })),
    ]);
    expect(again.body.data).toMatchObject({ created: false, cycle_id: first.cycle_id, payouts: first.payouts });
    expect(direct).toMatchObject({ created: false, payouts: first.payouts });
    expect(await h.db.selectFrom('affiliate_payouts').select('id').where('store_id', '=', store.id).execute()).toHaveLength(2);
    const notified = await h.db
      .selectFrom('events')
      .select('data')
      .where('store_id', '=', store.id)
      .where('type', '=', 'affiliate.payouts_created')
      .execute();
    expect(notified.map((e) => e.data)).toEqual([{ cycle_date: first.cycle_date, payouts: 2, total_cents: { USD: 3000 } }]);

    // A refund while the payout is still due takes the commission out of it; a referral in a
    // due payout can still be rejected, which shrinks it too.
    await waitFor(
      () => h.db.selectFrom('invoices').select('status').where('id', '=', invoices.fiat2).executeTakeFirstOrThrow(),
      (r) => r.status === 'COMPLETED',
    );
    await h.db.transaction().execute((trx) => transitionInvoice(trx, invoices.fiat2, 'REFUNDED'));
    const fiatPayout = () =>
      h.db
        .selectFrom('affiliate_payouts')
        .select(['id', 'amount_cents'])
        .where('affiliate_id', '=', affiliates.fiat.id)
        .executeTakeFirstOrThrow();
    expect((await fiatPayout()).amount_cents).toBe(1000);
    expect((await referralOf(invoices.fiat2))!).toMatchObject({ payout_id: null, void_reason: 'refunded' });

    // A missed cycle is backfilled with what was eligible on that date.
    const today = DateTime.utc();
    const missed = (
      today.day > 15 ? today.set({ day: 15 }) : today.day > 1 ? today.set({ day: 1 }) : today.minus({ months: 1 }).set({ day: 15 })
    ).toISODate()!;
    invoices.late = await buy(store, variantId, { affiliate: 'late' });
    await h.db
      .updateTable('affiliate_referrals')
      .set({ eligible_at: DateTime.fromISO(missed, { zone: 'utc' }).minus({ hours: 1 }).toJSDate() })
      .where('invoice_id', '=', invoices.late)
      .execute();
    const backfill = (await api(store, 'post', '/affiliates/payout-cycles', { date: missed }).expect(200)).body.data;
    expect(backfill).toMatchObject({ created: true, trigger: 'backfill', cycle_date: missed, cutoff: `${missed}T00:00:00.000Z` });
    expect(backfill.payouts).toEqual([expect.objectContaining({ affiliate_id: affiliates.late.id, amount_cents: 1000 })]);
    const notCycleDay = await api(store, 'post', '/affiliates/payout-cycles', {
      date: today
        .minus({ days: today.day === 2 ? 3 : 1 })
        .set({ day: 2 })
        .toISODate(),
    });
    expect([notCycleDay.status, notCycleDay.body.error.code]).toEqual([422, 'not_a_cycle_day']);
    expect((await api(store, 'post', '/affiliates/payout-cycles', { date: today.plus({ days: 20 }).toISODate() })).status).toBe(422);

    // Filters, CSV exports parsed back, marking paid (one, then several).
    const paypalDue = (await api(store, 'get', '/affiliates/payouts?status=DUE&payout_method=PAYPAL').expect(200)).body.data;
    expect(paypalDue.map((p: { affiliate_id: number }) => p.affiliate_id).sort()).toEqual([affiliates.fiat.id, affiliates.late.id].sort());
    const paypal = await api(store, 'get', '/affiliates/payouts/export?format=paypal&status=DUE&payout_method=PAYPAL').expect(200);
    expect(paypal.headers['content-type']).toMatch(/text\/csv/);
    expect(parse(paypal.text)).toEqual(
      expect.arrayContaining([
        ['fiat-pp@aff.example', '10.00', 'USD', expect.stringMatching(/^payout-\d+$/), expect.any(String), 'PAYPAL'],
        ['late-pp@aff.example', '10.00', 'USD', expect.stringMatching(/^payout-\d+$/), expect.any(String), 'PAYPAL'],
      ]),
    );
    const mixed = await api(store, 'get', '/affiliates/payouts/export?format=paypal');
    expect([mixed.status, mixed.body.error?.param]).toEqual([422, 'format']);
    const generic = parse((await api(store, 'get', '/affiliates/payouts/export').expect(200)).text, { columns: true }) as Record<
      string,
      string
    >[];
    expect(generic.map((r) => [r.affiliate_code, r.amount, r.payout_method, r.payout_details]).sort()).toEqual([
      ['crypto', '10.00', 'BTC', 'bc1qexample'],
      ['fiat', '10.00', 'PAYPAL', 'fiat-pp@aff.example'],
      ['late', '10.00', 'PAYPAL', 'late-pp@aff.example'],
    ]);

    const [one, ...rest] = generic.map((r) => Number(r.payout_id));
    const paid = (await api(store, 'patch', `/affiliates/payouts/${one}`, { status: 'PAID' }).expect(200)).body.data;
    expect(paid.timeline.map((t: { status: string }) => t.status)).toEqual(['CREATED', 'PAID']);
    const bulk = (await api(store, 'post', '/affiliates/payouts/mark-paid', { ids: [one, ...rest] }).expect(200)).body.data;
    expect(bulk.every((p: { status: string }) => p.status === 'PAID')).toBe(true);
    expect(bulk.find((p: { id: number }) => p.id === one).paid_at).toBe(paid.paid_at);
    expect((await api(store, 'post', '/affiliates/payouts/mark-paid', { ids: [one, 2_000_000_000] })).status).toBe(404);
    expect((await api(store, 'get', '/affiliates/payouts?status=DUE').expect(200)).body.data).toEqual([]);
    // Paid payouts never go into another PayPal file, and their referrals are final.
    expect((await api(store, 'get', '/affiliates/payouts/export?format=paypal&payout_method=PAYPAL').expect(200)).text).toBe('');
    const final = await api(store, 'patch', `/affiliates/referrals/${(await referralOf(invoices.fiat))!.id}`, { status: 'REJECTED' });
    expect([final.status, final.body.error.code]).toEqual([409, 'referral_paid_out']);
    const detail = (
      await api(store, 'get', `/affiliates/payouts/${Number(generic.find((r) => r.affiliate_code === 'fiat')!.payout_id)}`).expect(200)
    ).body.data;
    expect(detail).toMatchObject({ calculation: { referrals: 1, total_cents: 1000 }, status: 'PAID', amount_cents: 1000 });
    const portal = (await api(store, 'get', `/affiliates/${affiliates.fiat.id}/portal`).expect(200)).body.data;
    expect(portal.earnings.USD).toEqual({ earned_cents: 1000, paid_cents: 1000, unpaid_cents: 0, pending_cents: 0 });
    expect(portal.recent_payouts).toEqual([expect.objectContaining({ amount: '10.00', status: 'PAID', referrals: 1 })]);
  });
});
