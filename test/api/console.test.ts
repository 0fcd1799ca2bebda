import request from 'supertest';
import { issueApiKey } from '../../src/accounts/api-keys';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { startSellerEndpoint } from '../fakes/seller-endpoint';
import { startSmtpSink } from '../fakes/smtp-sink';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
const sellers: Awaited<ReturnType<typeof startSellerEndpoint>>[] = [];
beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startHarness({ worker: true, env: { SMTP_URL: smtp.url, SMTP_FROM: 'shop@sellflow.test' } });
  store = await h.createStore();
  await h.db.updateTable('stores').set({ allow_http_webhooks: true }).execute();
});
afterAll(async () => {
  await Promise.all(sellers.map((s) => s.close()));
  await h.close();
  await smtp.close();
});

const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);

/** A signed-in browser: the agent keeps the session cookie; the CSRF token is read off a page. */
async function signedIn() {
  const agent = request.agent(h.app);
  const res = await agent.post('/console/sign-in').type('form').send({ api_key: store.live });
  expect(res.status).toBe(303);
  const page = await agent.get('/console');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  return { agent, csrf, cookie: res.headers['set-cookie']![0]! };
}

/** One unit of a new variant with this deliverable, ordered and paid; its id. */
async function paidOrder(deliverable: object): Promise<number> {
  const { variantId } = await createVariant(h, store.live, { deliverable });
  const created = await api('post', '/invoices', {
    customer_email: 'buyer@example.com',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  });
  await api('patch', `/invoices/${created.body.data.id}/mark-completed`).expect(200);
  return created.body.data.id as number;
}

/** An order whose seller endpoint answered 404: stuck until ops act; `seller` can be fixed. */
async function stuckOrder() {
  const seller = await startSellerEndpoint([{ status: 404, body: 'no such product' }]);
  sellers.push(seller);
  const id = await paidOrder({ types: ['DYNAMIC'], data: { webhook: seller.url, stock: 5 } });
  await waitFor(
    () => api('get', `/invoices/${id}`).then((r) => r.body.data),
    (b) => b.delivery.needs_attention,
  );
  return { id, seller };
}

describe('console sign-in', () => {
  it('sends a visitor without a session to the sign-in page', async () => {
    const res = await request(h.app).get('/console');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console/sign-in');
    const form = await request(h.app).get('/console/sign-in');
    expect(form.status).toBe(200);
    expect(form.text).toContain('<label for="api_key">API key</label>');
  });

  it('refuses a key without ops:write, and a wrong key', async () => {
    const weak = await issueApiKey(h.db, { accountId: store.accountId, storeId: store.id, mode: 'live', scopes: ['invoices:read'] });
    const refused = await request(h.app).post('/console/sign-in').type('form').send({ api_key: weak.key });
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('lacks the ops:write scope');
    expect(refused.headers['set-cookie']).toBeUndefined();
    const wrong = await request(h.app).post('/console/sign-in').type('form').send({ api_key: 'sf_live_nope' });
    expect(wrong.status).toBe(401);
  });

  it('exchanges an ops:write key for an HttpOnly, SameSite=Strict cookie whose token is kept only hashed', async () => {
    const { cookie, agent } = await signedIn();
    expect(cookie).toMatch(/^sellflow_console=[\w-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/console');
    const token = /^sellflow_console=([^;]+)/.exec(cookie)![1]!;
    const rows = await h.db.selectFrom('console_sessions').select('token_hash').execute();
    expect(rows.some((r) => r.token_hash === token)).toBe(false);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
    const page = await agent.get('/console');
    expect(page.status).toBe(200);
    expect(page.text).toContain(store.slug);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('signs out: the session is gone and the cookie no longer works', async () => {
    const { agent, csrf, cookie } = await signedIn();
    const out = await agent.post('/console/sign-out').type('form').send({ _csrf: csrf });
    expect(out.status).toBe(303);
    const replay = await request(h.app).get('/console').set('Cookie', cookie.split(';')[0]!);
    expect(replay.status).toBe(303);
  });
});

describe('console actions', () => {
  it('lists a stuck order with its reason, retries it with a reason, and shows the audit entry', async () => {
    const { id, seller } = await stuckOrder();
    const { agent, csrf } = await signedIn();
    const list = await agent.get('/console');
    expect(list.text).toContain(`href="/console/orders/${id}"`);
    expect(list.text).toContain('dynamic: ');
    expect((await agent.get('/console?kind=webhook_endpoint')).text).not.toContain(`/console/orders/${id}"`);

    const page = await agent.get(`/console/orders/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('404');
    expect(page.text).toContain(`/workflows/order-${id}`);

    seller.replies.splice(0, 1, { status: 200, body: 'KEY-1' });
    const acted = await agent
      .post(`/console/orders/${id}/actions`)
      .type('form')
      .send({ _csrf: csrf, action: 'retry', reason: 'seller fixed the endpoint' });
    expect(acted.status).toBe(303);
    expect(acted.headers.location).toBe(`/console/orders/${id}`);
    await waitFor(
      () => api('get', `/invoices/${id}`).then((r) => r.body.data.status.status.status),
      (status) => status === 'COMPLETED',
    );
    const audit = await h.db.selectFrom('ops_audit_log').selectAll().where('invoice_id', '=', id).execute();
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'retry',
        reason: 'seller fixed the endpoint',
        outcome: 'ok',
        subject_type: 'order',
        store_id: store.id,
      }),
    ]);
    const after = await agent.get(`/console/orders/${id}`);
    expect(after.text).toContain('seller fixed the endpoint');
    expect(after.text).toContain('data-testid="order-status">COMPLETED');
  });

  it('refuses a form without the CSRF token, from another origin, or without a reason; records a refusal', async () => {
    const { id } = await stuckOrder();
    const { agent, csrf } = await signedIn();
    const noToken = await agent.post(`/console/orders/${id}/actions`).type('form').send({ action: 'retry', reason: 'because' });
    expect(noToken.status).toBe(403);
    const crossSite = await agent
      .post(`/console/orders/${id}/actions`)
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ _csrf: csrf, action: 'retry', reason: 'because' });
    expect(crossSite.status).toBe(403);
    const noReason = await agent.post(`/console/orders/${id}/actions`).type('form').send({ _csrf: csrf, action: 'retry', reason: ' ' });
    expect(noReason.status).toBe(422);
    expect(await h.db.selectFrom('ops_audit_log').select('id').where('invoice_id', '=', id).execute()).toEqual([]);

    // Skipping an order that is not stuck is refused by the order, and the refusal is on record.
    await api('post', `/invoices/${id}/skip`, {}).expect(202);
    await waitFor(
      () => api('get', `/invoices/${id}`).then((r) => r.body.data),
      (b) => !b.delivery.needs_attention,
    );
    const refused = await agent
      .post(`/console/orders/${id}/actions`)
      .type('form')
      .send({ _csrf: csrf, action: 'skip', reason: 'double-click' });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('has no failed delivery step');
    const audit = await h.db.selectFrom('ops_audit_log').select(['outcome']).where('invoice_id', '=', id).execute();
    expect(audit[0]!.outcome).toMatch(/^refused: Invoice \d+ has no failed delivery step/);
  });

  it("re-sends an order's notifications with a reason, and lists them on its page", async () => {
    await api('post', '/notifications', { kind: 'email', to: ['owner@shop.test'], events: ['order.completed'] }).expect(201);
    const id = await paidOrder({ types: ['TEXT'], data: { serials: ['N-1'] } });
    const mentions = () => smtp.mails.filter((m) => new RegExp(`^id: ${id}\\r?$`, 'm').test(m.raw)).length;
    await waitFor(
      async () => mentions(),
      (n) => n === 1,
    );

    const { agent, csrf } = await signedIn();
    const page = await agent.get(`/console/orders/${id}`);
    expect(page.text).toMatch(/<td>order\.completed<\/td><td>email<\/td><td>succeeded<\/td><td>1<\/td>/);
    const acted = await agent
      .post(`/console/orders/${id}/actions`)
      .type('form')
      .send({ _csrf: csrf, action: 'resend_notifications', reason: 'owner says the mail never came' });
    expect(acted.status).toBe(303);
    await waitFor(
      async () => mentions(),
      (n) => n === 2,
    );
    const audit = await h.db.selectFrom('ops_audit_log').selectAll().where('invoice_id', '=', id).execute();
    expect(audit).toEqual([
      expect.objectContaining({ action: 'resend notifications', reason: 'owner says the mail never came', outcome: 'ok' }),
    ]);
    const after = await waitFor(
      () => agent.get(`/console/orders/${id}`).then((r) => r.text),
      (text) => text.includes('<td>succeeded</td><td>2</td>'),
    );
    expect(after).toContain('owner says the mail never came');
  });

  it('reactivates a paused webhook endpoint with a reason', async () => {
    const endpoint = await api('post', '/webhooks', { url: 'https://example.com/hook', events: ['order.completed'] }).expect(201);
    const endpointId = endpoint.body.data.id as number;
    await h.db
      .updateTable('webhook_endpoints')
      .set({ status: 'paused', paused_at: new Date(), consecutive_failures: 10 })
      .where('id', '=', endpointId)
      .execute();
    const { agent, csrf } = await signedIn();
    const list = await agent.get('/console?kind=webhook_endpoint');
    expect(list.text).toContain('paused after 10 failed deliveries in a row');
    const done = await agent
      .post(`/console/webhooks/${endpointId}/reactivate`)
      .type('form')
      .send({ _csrf: csrf, reason: 'receiver is back' });
    expect(done.status).toBe(303);
    const row = await h.db.selectFrom('webhook_endpoints').select('status').where('id', '=', endpointId).executeTakeFirstOrThrow();
    expect(row.status).toBe('active');
    const audit = await h.db.selectFrom('ops_audit_log').selectAll().where('subject_type', '=', 'webhook_endpoint').execute();
    expect(audit).toEqual([expect.objectContaining({ subject_id: endpointId, reason: 'receiver is back', outcome: 'ok' })]);
  });

  it('retries every stuck order in bulk with one reason, and shows the run settle', async () => {
    const first = await stuckOrder();
    const second = await stuckOrder();
    for (const { seller } of [first, second]) seller.replies.splice(0, 1, { status: 200, body: 'KEY' });
    const { agent, csrf } = await signedIn();
    const started = await agent.post('/console/bulk-retry').type('form').send({ _csrf: csrf, reason: 'endpoints are back' });
    expect(started.status).toBe(303);
    expect(started.headers.location).toMatch(/^\/console\/bulk\/[0-9a-f-]{36}\?total=2$/);
    const page = await waitFor(
      () => agent.get(started.headers.location!).then((r) => r.text),
      (text) => text.includes('2 of 2 settled: 2 delivered'),
    );
    expect(page).toContain(`/console/orders/${first.id}`);
    const audit = await h.db
      .selectFrom('ops_audit_log')
      .select(['invoice_id', 'reason', 'outcome'])
      .where('detail', 'like', 'bulk %')
      .execute();
    expect(audit).toEqual(
      expect.arrayContaining([
        { invoice_id: first.id, reason: 'endpoints are back', outcome: 'ok' },
        { invoice_id: second.id, reason: 'endpoints are back', outcome: 'ok' },
      ]),
    );
  });

  it("refuses a grant action on a grant that is not the store's, before recording anything", async () => {
    const { agent, csrf } = await signedIn();
    const res = await agent
      .post('/console/grants')
      .type('form')
      .send({ _csrf: csrf, grant_id: '999999', grant_action: 'revoke', reason: 'abuse' });
    expect(res.status).toBe(404);
    expect(await h.db.selectFrom('ops_audit_log').select('id').where('subject_type', '=', 'grant').execute()).toEqual([]);
  });

  it('serves htmx and Pico CSS from node_modules', async () => {
    expect((await request(h.app).get('/console/assets/htmx.min.js')).status).toBe(200);
    const css = await request(h.app).get('/console/assets/pico.min.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
  });
});
