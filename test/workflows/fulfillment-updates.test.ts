import request from 'supertest';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { startSellerEndpoint } from '../fakes/seller-endpoint';
import { startSmtpSink } from '../fakes/smtp-sink';
import { workflowIds } from '../../src/temporal/workflow-ids';

/**
 * Fulfillment actions are Updates on the order workflow: its validator decides from the order's
 * own state, so the answer is accepted (200) or refused with why (409 / 422), on a real worker.
 */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startHarness({ worker: true, env: { SMTP_URL: smtp.url, SMTP_FROM: 'shop@sellflow.test' } });
  store = await h.createStore();
  await h.db.updateTable('stores').set({ allow_http_webhooks: true }).execute();
});
afterAll(async () => {
  await h.close();
  await smtp.close();
});

const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);

async function invoiceFor(variantId: number) {
  const res = await api('post', '/invoices', {
    customer_email: 'buyer@example.com',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.data.id as number;
}
const view = (id: number) => api('get', `/invoices/${id}`).then((r) => r.body.data);
const stuck = (id: number) =>
  waitFor(
    () => view(id),
    (b) => b.delivery.needs_attention,
  );
const completed = (id: number) =>
  waitFor(
    () => view(id),
    (b) => b.status.status.status === 'COMPLETED',
  );
const refusal = (res: request.Response) => ({ status: res.status, code: res.body.error?.code });

describe('fulfillment Updates on the order workflow', () => {
  it('refuses a retry with why (unpaid, nothing failed, no such step, delivered, voided) and accepts one on a failed step', async () => {
    const { productId, variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['TEXT', 'MANUAL'], data: { serials: 'ONLY', comment: 'thanks' } },
    });
    // Ordered while one serial is in stock; the second paid finds none.
    const [pending, first, second] = [await invoiceFor(variantId), await invoiceFor(variantId), await invoiceFor(variantId)];
    expect(refusal(await api('post', `/invoices/${pending}/fulfillment-retries`, {}))).toEqual({ status: 409, code: 'not_paid' });

    await api('patch', `/invoices/${first}/mark-completed`).expect(200);
    await completed(first);
    await api('patch', `/invoices/${second}/mark-completed`).expect(200);
    const waiting = await stuck(second);
    const serialsStep = waiting.delivery.steps.find((s: { kind: string }) => s.kind === 'serials');
    const manualStep = waiting.delivery.steps.find((s: { kind: string }) => s.kind === 'manual');
    expect(manualStep.status).toBe('delivered');

    // The order is waiting on its serials step: other selections are refused by the workflow.
    expect(refusal(await api('post', `/invoices/${second}/fulfillment-retries`, { steps: ['manual'] }))).toEqual({
      status: 409,
      code: 'nothing_failed',
    });
    expect(refusal(await api('post', `/invoices/${second}/dynamic-delivery-retries`, { delivered_product_id: serialsStep.id }))).toEqual({
      status: 422,
      code: 'no_such_step',
    });
    expect(refusal(await api('post', `/invoices/${second}/dynamic-delivery-retries`, { delivered_product_id: 999_999 }))).toEqual({
      status: 422,
      code: 'no_such_step',
    });
    const email = await api('post', `/invoices/${second}/fulfillment-retries`, { email: 'other@example.com' });
    expect(refusal(email)).toEqual({ status: 422, code: 'unsupported_parameter' });
    // A refused Update leaves no trace in the order's history.
    const history = await h.temporal.client.workflow.getHandle(workflowIds.order(second)).fetchHistory();
    expect(history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);

    await api('post', `/products/${productId}/variants/${variantId}/serials`, { serials: 'RESTOCKED' }).expect(201);
    const retried = await api('post', `/invoices/${second}/fulfillment-retries`, {});
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual({ data: { effects_reset: 1 } });
    const done = await completed(second);
    expect(done.delivery.steps.map((s: { kind: string; attempts: number }) => [s.kind, s.attempts])).toEqual([
      ['serials', 2],
      ['manual', 1],
    ]);
    expect(refusal(await api('post', `/invoices/${second}/fulfillment-retries`, {}))).toEqual({ status: 409, code: 'already_delivered' });
    // The ops route takes the same path.
    expect(refusal(await api('post', `/invoices/${second}/retry`, {}))).toEqual({ status: 409, code: 'already_delivered' });

    await api('patch', `/invoices/${pending}/mark-voided`).expect(200);
    expect(refusal(await api('post', `/invoices/${pending}/fulfillment-retries`, {}))).toEqual({ status: 409, code: 'voided' });
  });

  it('takes one of two racing retries and refuses a retry while the delivery runs: the seller is called once more, not twice', async () => {
    let sellerAnswers!: () => void;
    const seller = await startSellerEndpoint([
      { status: 400, body: 'not yet' },
      // The seller answers the retry only once the test has seen the delivery running.
      { status: 200, body: 'your account: neo', until: new Promise<void>((resolve) => (sellerAnswers = resolve)) },
    ]);
    try {
      const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['DYNAMIC'], data: { webhook: seller.url } } });
      const id = await invoiceFor(variantId);
      await api('patch', `/invoices/${id}/mark-completed`).expect(200);
      const waiting = await stuck(id);
      const step = waiting.delivery.steps[0];
      expect(step).toMatchObject({ kind: 'dynamic', status: 'failed' });

      const racing = await Promise.all([
        api('post', `/invoices/${id}/dynamic-delivery-retries`, { delivered_product_id: step.id }),
        api('post', `/invoices/${id}/fulfillment-retries`, {}),
      ]);
      expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(racing.find((r) => r.status === 409)!.body.error.code).toBe('delivery_running');
      // The seller is still answering: the order is delivering, not waiting on ops.
      const again = await api('post', `/invoices/${id}/dynamic-delivery-retries`, { delivered_product_id: step.id });
      expect(refusal(again)).toEqual({ status: 409, code: 'delivery_running' });
      expect(again.body.error.message).toContain('delivering');
      sellerAnswers();

      const done = await completed(id);
      expect(done.delivery.steps[0]).toMatchObject({ status: 'delivered', attempts: 2 });
      expect(seller.received).toHaveLength(2);
      const deliverables = await api('get', `/invoices/${id}/deliverables`);
      expect(deliverables.body.data[0].deliverable.data.dynamic).toBe('your account: neo');
    } finally {
      sellerAnswers();
      await seller.close();
    }
  });

  it('lets ops skip through the same Update, and refuses a skip once nothing waits', async () => {
    const { variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['TEXT', 'MANUAL'], data: { serials: 'S', comment: 'x' } },
    });
    const [a, b] = [await invoiceFor(variantId), await invoiceFor(variantId)];
    await api('patch', `/invoices/${a}/mark-completed`);
    await completed(a);
    await api('patch', `/invoices/${b}/mark-completed`);
    await stuck(b);
    expect((await api('post', `/invoices/${b}/skip`, { step: 'serials' })).status).toBe(202);
    const done = await completed(b);
    expect(done.delivery.steps.map((s: { status: string }) => s.status)).toEqual(['skipped', 'delivered']);
    const late = await api('post', `/invoices/${b}/skip`, {});
    expect(refusal(late)).toEqual({ status: 409, code: 'already_delivered' });
    expect(late.body.error.message).toContain('has no failed delivery step');
  });

  it("re-sends a running or delivered order's notices; refuses an unpaid one and a variant the order lacks", async () => {
    await api('post', '/notifications', { kind: 'email', to: ['owner@shop.test'], events: ['order.paid'] }).expect(201);
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['TEXT'], data: { serials: 'N-1' } } });
    const [pending, delivered, waiting] = [await invoiceFor(variantId), await invoiceFor(variantId), await invoiceFor(variantId)];
    expect(refusal(await api('post', `/invoices/${pending}/fulfillment-notifications`, {}))).toEqual({ status: 409, code: 'not_paid' });

    const mentions = (id: number) => smtp.mails.filter((m) => new RegExp(`^id: ${id}\\r?$`, 'm').test(m.raw)).length;
    await api('patch', `/invoices/${delivered}/mark-completed`).expect(200);
    await completed(delivered);
    await waitFor(
      async () => mentions(delivered),
      (n) => n === 1,
    );
    const wrongLine = await api('post', `/invoices/${delivered}/fulfillment-notifications`, { product_variant_ids: [999_999] });
    expect(refusal(wrongLine)).toEqual({ status: 422, code: 'no_such_line' });
    const resent = await api('post', `/invoices/${delivered}/fulfillment-notifications`, { product_variant_ids: [variantId] });
    expect(resent.status).toBe(200);
    // The store's e-mail channel and the buyer's delivery e-mail.
    expect(resent.body).toEqual({ data: { notifications_sent: 2 } });
    await waitFor(
      async () => mentions(delivered),
      (n) => n === 2,
    );

    // Out of serials: the order waits on ops, and its workflow sends the notices (an Update running one activity).
    await api('patch', `/invoices/${waiting}/mark-completed`).expect(200);
    await stuck(waiting);
    await waitFor(
      async () => mentions(waiting),
      (n) => n === 1,
    );
    const fromWorkflow = await api('post', `/invoices/${waiting}/fulfillment-notifications`, {});
    expect(fromWorkflow.body).toEqual({ data: { notifications_sent: 1 } });
    await waitFor(
      async () => mentions(waiting),
      (n) => n === 2,
    );
    const history = await h.temporal.client.workflow.getHandle(workflowIds.order(waiting)).fetchHistory();
    const activities = history.events?.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    expect(activities).toContain('sendFulfillmentNotices');
  });
});
