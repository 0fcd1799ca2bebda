import request from 'supertest';
import { storeWebhookSecret } from '../../src/orders/store-webhook-secret';
import { SecretBox } from '../../src/security/secret-box';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { startSellerEndpoint } from '../fakes/seller-endpoint';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness({ worker: true });
  store = await h.createStore();
  // The seller's fake listens on plain http on loopback.
  await h.db.updateTable('stores').set({ allow_http_webhooks: true }).execute();
});
afterAll(() => h.close());

const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);

async function paidOrder(webhook: string) {
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['DYNAMIC'], data: { webhook, stock: 10 } } });
  const invoice = await api('post', '/invoices', {
    customer_email: 'buyer@example.com',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  });
  await api('patch', `/invoices/${invoice.body.data.id}/mark-completed`).expect(200);
  return { invoiceId: invoice.body.data.id as number, variantId };
}

const invoice = (id: number) => api('get', `/invoices/${id}`).then((r) => r.body.data);

describe('dynamic (seller webhook) delivery', () => {
  it('refuses a live seller endpoint on a private address unless the operator allows it', async () => {
    const guarded = await startHarness({ worker: true, env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false' } });
    const seller = await startSellerEndpoint([{ status: 200, body: 'never' }]);
    try {
      const own = await guarded.createStore();
      await guarded.db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', own.id).execute();
      const { variantId } = await createVariant(guarded, own.live, { deliverable: { types: ['DYNAMIC'], data: { webhook: seller.url } } });
      const call = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
        request(guarded.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${own.live}`).send(body);
      const created = await call('post', '/invoices', {
        customer_email: 'b@e.co',
        payment_method: 'PAYPAL',
        product_variants: { [variantId]: { quantity: 1 } },
      });
      await call('patch', `/invoices/${created.body.data.id}/mark-completed`).expect(200);
      const stuck = await waitFor(
        () => call('get', `/invoices/${created.body.data.id}`).then((r) => r.body.data),
        (b) => b.delivery.needs_attention,
      );
      expect(stuck.delivery.steps[0].reason).toContain('loopback');
      expect(seller.received).toHaveLength(0);
    } finally {
      await seller.close();
      await guarded.close();
    }
  });

  it('posts the order signed with the store secret, keeps the reply and the reported stock', async () => {
    const seller = await startSellerEndpoint([
      { status: 200, body: JSON.stringify({ message: 'account: neo / trinity', stock: 41 }), contentType: 'application/json' },
    ]);
    try {
      const { invoiceId, variantId } = await paidOrder(seller.url);
      await waitFor(
        () => invoice(invoiceId),
        (b) => b.status.status.status === 'COMPLETED',
      );
      expect(seller.received).toHaveLength(1);
      const [delivery] = seller.received;
      const secret = await storeWebhookSecret(h.db, SecretBox.fromConfig(h.config.secrets), store.id);
      expect(seller.verify(delivery!, secret)).toBe(true);
      expect(seller.verify({ ...delivery!, body: delivery!.body + ' ' }, secret)).toBe(false);
      expect(delivery!.idempotencyKey).toMatch(new RegExp(`^invoice-${invoiceId}/line-\\d+/dynamic$`));
      expect(JSON.parse(delivery!.body)).toMatchObject({
        event: 'order.delivery',
        invoice: { id: invoiceId, customer_email: 'buyer@example.com' },
        product_variant: { id: variantId, quantity: 1 },
      });
      const deliverables = await api('get', `/invoices/${invoiceId}/deliverables`);
      expect(deliverables.body.data[0].deliverable.data.dynamic).toBe('account: neo / trinity');
      const variant = await h.db.selectFrom('product_variants').select('deliverable').where('id', '=', variantId).executeTakeFirstOrThrow();
      expect(variant.deliverable.stock).toBe(41);
      // The secret is stored sealed, never in clear.
      const row = await h.db.selectFrom('stores').select('webhook_secret_encrypted').where('id', '=', store.id).executeTakeFirstOrThrow();
      expect(row.webhook_secret_encrypted).not.toContain(secret);
    } finally {
      await seller.close();
    }
  });

  it('retries a 5xx with backoff and takes a plain-text reply', async () => {
    const seller = await startSellerEndpoint([
      { status: 503, body: 'busy' },
      { status: 200, body: 'LICENSE-XYZ' },
    ]);
    try {
      const { invoiceId } = await paidOrder(seller.url);
      const done = await waitFor(
        () => invoice(invoiceId),
        (b) => b.status.status.status === 'COMPLETED',
        30_000,
      );
      expect(done.delivery.steps[0]).toMatchObject({ kind: 'dynamic', status: 'delivered', attempts: 2 });
      expect(seller.received.map((r) => r.idempotencyKey)).toEqual([
        seller.received[0]!.idempotencyKey,
        seller.received[0]!.idempotencyKey,
      ]);
      expect((await api('get', `/invoices/${invoiceId}/deliverables`)).body.data[0].deliverable.data.dynamic).toBe('LICENSE-XYZ');
    } finally {
      await seller.close();
    }
  });

  it('treats a 4xx as final: one call, the order waits for ops with the reason', async () => {
    const seller = await startSellerEndpoint([{ status: 404, body: 'no such product' }]);
    try {
      const { invoiceId } = await paidOrder(seller.url);
      const stuck = await waitFor(
        () => invoice(invoiceId),
        (b) => b.delivery.needs_attention,
      );
      expect(stuck.delivery.steps[0]).toMatchObject({ kind: 'dynamic', status: 'failed', attempts: 1 });
      expect(stuck.delivery.steps[0].reason).toContain('404');
      await new Promise((r) => setTimeout(r, 2500));
      expect(seller.received).toHaveLength(1);
    } finally {
      await seller.close();
    }
  });
});
