import request from 'supertest';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** The customer portal is a separate trust zone (issue 20 item 6). */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
const call = (method: Method, path: string, token: string, body?: object) => {
  const agent = request(h.app);
  const req = agent[method](`/api/v2${path}`).set('Authorization', `Bearer ${token}`);
  return body === undefined ? req : req.send(body);
};

async function customerWithOrder(email: string, variantId: number) {
  const invoice = await call('post', '/invoices', store.live, {
    customer_email: email,
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  }).expect(201);
  const customer = (await call('post', '/customers/search', store.live, { filters: [{ field: 'email', value: email }] })).body.data[0];
  const session = await call('post', '/customer-sessions', store.live, { customer_id: customer.id }).expect(201);
  return { invoiceId: invoice.body.data.id as number, customerId: customer.id as number, session: session.body.data };
}

beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

it('session tokens open only the portal, seller keys never; a customer sees only their own orders', async () => {
  const { variantId } = await createVariant(h, store.live, {
    deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } },
    payment_methods: ['PAYPAL'],
  });
  const ann = await customerWithOrder('ann@e.co', variantId);
  const bob = await customerWithOrder('bob@e.co', variantId);
  expect(ann.session.token).toMatch(/^sf_cs_/);
  // Only the token's hash is kept.
  const stored = await h.db
    .selectFrom('customer_sessions')
    .select('token_hash')
    .where('id', '=', Number(ann.session.id))
    .executeTakeFirstOrThrow();
  expect(stored.token_hash).not.toContain(ann.session.token);
  expect(new Date(ann.session.expires_at).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);

  const me = await call('get', '/customer-portal/me', ann.session.token).expect(200);
  expect(me.body.data).toMatchObject({ id: ann.customerId, email: 'ann@e.co' });
  const orders = await call('get', '/customer-portal/orders', ann.session.token).expect(200);
  expect(orders.body.data.map((o: { id: number }) => o.id)).toEqual([ann.invoiceId]);
  await call('get', `/customer-portal/orders/${ann.invoiceId}`, ann.session.token).expect(200);
  // Bob's order does not exist for Ann.
  await call('get', `/customer-portal/orders/${bob.invoiceId}`, ann.session.token).expect(404);
  expect((await call('get', '/customer-portal/entitlements', ann.session.token).expect(200)).body.data).toEqual([]);
  expect((await call('get', '/customer-portal/subscriptions', ann.session.token).expect(200)).body.data).toEqual([]);
  const renamed = await call('patch', '/customer-portal/me', ann.session.token, { name: 'Ann' }).expect(200);
  expect(renamed.body.data.name).toBe('Ann');

  // A seller key is refused in the portal; a session token everywhere else.
  const refused = await call('get', '/customer-portal/me', store.live);
  expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'customer_session_required' });
  expect((await call('get', `/invoices/${ann.invoiceId}`, ann.session.token)).status).toBe(401);
  expect((await call('get', `/customers/${ann.customerId}`, ann.session.token)).status).toBe(401);
  expect((await call('post', '/customer-sessions', ann.session.token, { customer_id: bob.customerId })).status).toBe(401);

  // Revoked: the token opens nothing, at once.
  expect((await call('delete', `/customer-sessions/${ann.session.id}`, store.live).expect(200)).body).toEqual({ revoked: true });
  expect((await call('get', '/customer-portal/me', ann.session.token)).status).toBe(401);
  await call('get', '/customer-portal/me', bob.session.token).expect(200);
  // Expired: likewise.
  await h.db
    .updateTable('customer_sessions')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('id', '=', Number(bob.session.id))
    .execute();
  expect((await call('get', '/customer-portal/me', bob.session.token)).status).toBe(401);
  // Another store's key cannot revoke this store's session.
  const other = await h.createStore();
  expect((await call('delete', `/customer-sessions/${bob.session.id}`, other.live)).status).toBe(404);
});
