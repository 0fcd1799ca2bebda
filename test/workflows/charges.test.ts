import { sql } from 'kysely';
import request from 'supertest';
import { storeWebhookSecret } from '../../src/orders/store-webhook-secret';
import { SecretBox } from '../../src/security/secret-box';
import { startSellerEndpoint } from '../fakes/seller-endpoint';
import { waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** SellApp v2 charges: payment requests on the invoices' payment path and order workflow. */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness({ worker: true });
  store = await h.createStore();
});
afterAll(() => h.close());

const api = (method: 'get' | 'post' | 'put', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
const charge = async (id: number) => (await api('get', `/charges/${id}`).expect(200)).body.data;

describe('charges', () => {
  it('creates a paid charge with a pay URL; marking it completed runs it through the order workflow to COMPLETED', async () => {
    const created = await api('post', '/charges', {
      email: 'Payer@E.co',
      return_url: 'https://shop.example/thanks',
      total: 2500,
      currency: 'eur',
      payment_methods: ['STRIPE', 'PAYPAL'],
      reference: 'job-42',
      metadata: { job: 42 },
    }).expect(201);
    expect(created.body.data).toEqual({
      id: expect.any(Number),
      url: expect.stringMatching(/\/store\/charges\/select\/\d+\?signature=[0-9a-f]{64}$/),
      status: 'PENDING',
      custom_payment_method_id: null,
    });
    const id = created.body.data.id;
    expect(await charge(id)).toMatchObject({
      id,
      status: 'PENDING',
      email: 'payer@e.co',
      total: 2500,
      currency: 'EUR',
      reference: 'job-42',
      return_url: 'https://shop.example/thanks',
      payment_methods: ['STRIPE', 'PAYPAL'],
      metadata: { job: 42 },
    });
    expect((await api('put', `/charges/${id}/completed`).expect(200)).body).toEqual({ message: 'Charge Completed Successfully' });
    // The workflow finishes it (nothing to deliver): the invoice behind it reaches COMPLETED.
    await waitFor(
      () => h.db.selectFrom('invoices').select('status').where('id', '=', id).executeTakeFirstOrThrow(),
      (r) => r.status === 'COMPLETED',
    );
    expect((await charge(id)).status).toBe('COMPLETED');
    const again = await api('put', `/charges/${id}/voided`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('invalid_status');
    // A charge is not an invoice.
    expect((await api('get', `/invoices/${id}`)).status).toBe(404);
    expect((await api('get', '/invoices')).body.data.map((i: { id: number }) => i.id)).not.toContain(id);
  });

  it('refuses to void or complete a charge while a PayPal capture of it is under way, and voids it once PayPal has answered', async () => {
    const created = await api('post', '/charges', {
      email: 'p@e.co',
      return_url: 'https://shop.example/r',
      total: 1200,
      currency: 'usd',
      payment_methods: ['PAYPAL'],
    }).expect(201);
    const id = created.body.data.id as number;
    // The capture activity's claim, as it writes it before calling PayPal.
    const claim = (until: string) =>
      h.db
        .updateTable('invoices')
        .set({
          gateway: sql`coalesce(gateway, '{}'::jsonb) || jsonb_build_object('capture_in_flight', jsonb_build_object('token', 't', 'until', ${until}::timestamptz))`,
        })
        .where('id', '=', id)
        .execute();
    await claim(new Date(Date.now() + 60_000).toISOString());
    const refused = await api('put', `/charges/${id}/voided`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('capture_in_flight');
    expect(refused.headers['retry-after']).toBe('5');
    expect((await api('put', `/charges/${id}/completed`)).body.error.code).toBe('capture_in_flight');
    expect((await charge(id)).status).toBe('PENDING');
    // PayPal answered (or the claim lapsed): the void goes ahead.
    await claim(new Date(Date.now() - 1_000).toISOString());
    await api('put', `/charges/${id}/voided`).expect(200);
    expect((await charge(id)).status).toBe('VOIDED');
  });

  it('voids a pending charge once; a free charge needs no payment method; a store-wide coupon applies', async () => {
    const free = (await api('post', '/charges', { email: 'f@e.co', return_url: 'https://shop.example/r' }).expect(201)).body.data;
    expect((await charge(free.id)).total).toBe(0);
    expect((await api('put', `/charges/${free.id}/voided`).expect(200)).body).toEqual({ message: 'Charge Voided Successfully' });
    expect((await charge(free.id)).status).toBe('VOIDED');
    expect((await api('put', `/charges/${free.id}/completed`)).status).toBe(409);

    await request(h.app)
      .post('/api/v1/coupons')
      .set('Authorization', `Bearer ${store.live}`)
      .send({ code: 'HALF', type: 'PERCENTAGE', discount: 50, store_wide: true })
      .expect(201);
    const discounted = (
      await api('post', '/charges', {
        email: 'c@e.co',
        return_url: 'https://shop.example/r',
        total: 1000,
        currency: 'USD',
        use_all_payment_methods: true,
        coupon_code: 'half',
      }).expect(201)
    ).body.data;
    expect(await charge(discounted.id)).toMatchObject({ total: 500, coupon_code: 'HALF' });
  });

  it('tells the charge’s own webhook of each status change, signed with the store’s secret, once per change', async () => {
    const seller = await startSellerEndpoint([
      { status: 503, body: 'busy' },
      { status: 200, body: 'ok' },
    ]);
    try {
      const paid = (
        await api('post', '/charges', {
          email: 'w@e.co',
          return_url: 'https://shop.example/r',
          total: 900,
          currency: 'USD',
          payment_method: 'STRIPE',
          webhook: seller.url,
          reference: 'ref-1',
        }).expect(201)
      ).body.data;
      await api('put', `/charges/${paid.id}/completed`).expect(200);
      const voided = (
        await api('post', '/charges', { email: 'w@e.co', return_url: 'https://shop.example/r', webhook: seller.url }).expect(201)
      ).body.data;
      await api('put', `/charges/${voided.id}/voided`).expect(200);
      // The first attempt got a 503 and was retried: three POSTs, two changes.
      await waitFor(
        () => Promise.resolve(seller.received.length),
        (n) => n >= 3,
        30_000,
      );
      await new Promise((r) => setTimeout(r, 1000));
      const bodies = seller.received.map(
        (r) => JSON.parse(r.body) as { event: string; data: { id: number; status: string; reference: string | null } },
      );
      const secret = await storeWebhookSecret(h.db, SecretBox.fromConfig(h.config.secrets), store.id);
      expect(seller.received.every((r) => seller.verify(r, secret))).toBe(true);
      const changes = new Map(bodies.map((b, i) => [`${b.data.id}:${b.data.status}`, seller.received[i]!.idempotencyKey]));
      expect([...changes.keys()].sort()).toEqual([`${paid.id}:COMPLETED`, `${voided.id}:VOIDED`].sort());
      expect(bodies.find((b) => b.data.id === paid.id)).toMatchObject({ event: 'charge.updated', data: { reference: 'ref-1' } });
      // A retry carries the same key as the attempt it repeats.
      expect(new Set(seller.received.map((r) => r.idempotencyKey)).size).toBe(2);
    } finally {
      await seller.close();
    }
  });

  it('refuses bad charges with 422 and keeps stores and modes apart', async () => {
    for (const [body, param] of [
      [{ return_url: 'https://x.example' }, 'email'],
      [{ email: 'a@e.co' }, 'return_url'],
      [{ email: 'a@e.co', return_url: 'https://x.example', total: 100 }, 'currency'],
      [{ email: 'a@e.co', return_url: 'https://x.example', total: 100, currency: 'USD' }, 'payment_methods'],
      [{ email: 'a@e.co', return_url: 'https://x.example', total: -1, currency: 'USD', payment_method: 'STRIPE' }, 'total'],
    ] as const) {
      const res = await api('post', '/charges', body);
      expect(res.status).toBe(422);
      expect(res.body.error.param).toBe(param);
    }
    const mine = (await api('post', '/charges', { email: 'a@e.co', return_url: 'https://x.example' }).expect(201)).body.data;
    const other = await h.createStore();
    expect((await api('get', `/charges/${mine.id}`, undefined, other.live)).status).toBe(404);
    expect((await api('put', `/charges/${mine.id}/completed`, undefined, other.live)).status).toBe(404);
    expect((await api('get', `/charges/${mine.id}`, undefined, store.test)).status).toBe(404);
    expect((await api('get', '/charges')).body.data.map((c: { id: number }) => c.id)).toContain(mine.id);
  });
});
