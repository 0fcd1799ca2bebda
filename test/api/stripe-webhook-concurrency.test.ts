import Stripe from 'stripe';
import request from 'supertest';
import { isTransientConflict, retryTransientConflicts } from '../../src/db/transient-conflict';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * Stripe delivers one event more than once, sometimes at the same moment, and several events
 * about one payment close together. On a pooled Postgres those deliveries race for the same rows;
 * each must get a 2xx with the one outcome, never a 500 (which Stripe would only retry).
 */
const WEBHOOK_SECRET = 'whsec_concurrency';
const signer = new Stripe('sk_test_unused');
let stripe: StripeBilling;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({ database: 'postgres', env: { STRIPE_API_BASE: stripe.url } });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_concurrency', webhook_secret: WEBHOOK_SECRET }).expect(200);
}, 120_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

function api(method: 'get' | 'post' | 'put', path: string, body?: object) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
}
const webhook = (event: object) => {
  const payload = JSON.stringify(event);
  return request(h.app)
    .post(`/webhooks/stripe/${store.slug}`)
    .set('Stripe-Signature', signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }))
    .set('Content-Type', 'application/json')
    .send(payload);
};

async function checkedOutInvoice(): Promise<{ invoiceId: number; sessionId: string }> {
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'hi' } }, price: 1500 });
  const body = { customer_email: 'racer@e.co', payment_method: 'STRIPE', product_variants: { [variantId]: { quantity: 1 } } };
  const invoiceId = (await api('post', '/invoices', body).expect(201)).body.data.id as number;
  const sessionId = (await api('post', `/invoices/${invoiceId}/checkout`).expect(200)).body.invoice.payment.gateway.data.session_id;
  return { invoiceId, sessionId };
}
const paidEvents = async (invoiceId: number) =>
  (await h.db.selectFrom('events').select('data').where('type', '=', 'order.paid').where('store_id', '=', store.id).execute()).filter(
    (e) => e.data.id === invoiceId,
  );

describe('concurrent Stripe deliveries', () => {
  it('the same signed event delivered six times at once: every delivery 200, applied once', async () => {
    const { invoiceId, sessionId } = await checkedOutInvoice();
    const { event } = stripe.payCheckout(sessionId);
    const answers = await Promise.all(Array.from({ length: 6 }, () => webhook(event)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.outcome))).toEqual(new Set(['paid']));
    expect(await paidEvents(invoiceId)).toHaveLength(1);
    expect(await h.db.selectFrom('gateway_events').select('id').where('event_id', '=', event.id).execute()).toHaveLength(1);
  });

  it('two events reporting one payment at once: both 200, the order paid once', async () => {
    const { invoiceId, sessionId } = await checkedOutInvoice();
    const { event } = stripe.payCheckout(sessionId);
    const twin = { ...event, id: `${event.id}_async`, type: 'checkout.session.async_payment_succeeded' };
    const answers = await Promise.all([webhook(event), webhook(twin), webhook(event), webhook(twin)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => a.body.outcome).sort()).toEqual(['paid', 'paid', 'same_payment', 'same_payment'].sort());
    expect(await paidEvents(invoiceId)).toHaveLength(1);
  });
});

describe('retryTransientConflicts', () => {
  const failing = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

  it('runs a transaction that lost a race again, and gives up after three tries', async () => {
    for (const code of ['23505', '40001', '40P01']) {
      let calls = 0;
      await expect(
        retryTransientConflicts(async () => {
          calls += 1;
          if (calls === 1) throw failing(code);
          return 'done';
        }),
      ).resolves.toBe('done');
      expect(calls).toBe(2);
    }
    let calls = 0;
    const always = retryTransientConflicts(async () => {
      calls += 1;
      throw failing('40P01');
    });
    await expect(always).rejects.toMatchObject({ code: '40P01' });
    expect(calls).toBe(3);
  });

  it('never retries another error', async () => {
    let calls = 0;
    const error = failing('23502');
    await expect(
      retryTransientConflicts(async () => {
        calls += 1;
        throw error;
      }),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(isTransientConflict(new Error('plain'))).toBe(false);
  });
});
