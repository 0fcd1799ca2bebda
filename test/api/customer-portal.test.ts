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

it('the portal cannot change the e-mail: a buyer cannot take over the orders of an e-mail not yet a customer, nor learn who buys', async () => {
  const { variantId } = await createVariant(h, store.live, {
    deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } },
    payment_methods: ['PAYPAL'],
  });
  const mallory = (await call('post', '/customers', store.live, { email: 'mallory@e.co' }).expect(201)).body.data;
  const session = (await call('post', '/customer-sessions', store.live, { customer_id: mallory.id }).expect(201)).body.data;
  await customerWithOrder('known@e.co', variantId);

  // A stranger's e-mail, and a customer's: the same 422, so the answer tells nothing about who buys here.
  for (const email of ['victim@e.co', 'known@e.co']) {
    const refused = await call('patch', '/customer-portal/me', session.token, { email, name: 'M' });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'email_not_changeable', param: 'email', errors: { email: [expect.any(String)] } });
    expect(refused.body.message).toMatch(/seller/);
  }
  // Nothing of the refused request was applied.
  expect((await call('get', '/customer-portal/me', session.token).expect(200)).body.data).toMatchObject({
    email: 'mallory@e.co',
    name: null,
  });
  // The e-mail the customer already has, in any case, changes nothing and is accepted.
  const same = await call('patch', '/customer-portal/me', session.token, { email: 'Mallory@E.co', name: 'Mal' }).expect(200);
  expect(same.body.data).toMatchObject({ email: 'mallory@e.co', name: 'Mal' });

  // The victim buys: the order joins the victim's own customer, never Mallory's.
  const victim = await customerWithOrder('victim@e.co', variantId);
  expect(victim.customerId).not.toBe(mallory.id);
  expect((await call('get', '/customer-portal/orders', session.token).expect(200)).body.data).toEqual([]);
  await call('get', `/customer-portal/orders/${victim.invoiceId}`, session.token).expect(404);
  // The seller still changes a customer's e-mail.
  await call('patch', `/customers/${mallory.id}`, store.live, { email: 'mallory2@e.co' }).expect(200);
  expect((await call('get', '/customer-portal/me', session.token).expect(200)).body.data.email).toBe('mallory2@e.co');
});
