import { sql } from 'kysely';
import request from 'supertest';
import { createPaypalActivities } from '../../activities/paypal';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { type PaypalFake, startPaypalFake } from '../fakes/paypal';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * PayPal one-off payments end to end on the real Temporal dev server: PayPal's official SDK
 * against the local PayPal fake, webhook events verified with PayPal's verify-webhook-signature,
 * the buyer's return and the webhooks racing, into the running order workflow.
 */
const LIVE = { clientId: 'AZliveWorkflow01', clientSecret: 'ELliveWorkflow01', mode: 'live' as const };
const SANDBOX = { clientId: 'AZsandboxWorkflow1', clientSecret: 'ELsandboxWorkflow1', mode: 'sandbox' as const };
const LIVE_HOOK = 'WHLIVEWORKFLOW1';
const SANDBOX_HOOK = 'WHSANDBOXWORKFLOW1';
let paypal: PaypalFake;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  paypal = await startPaypalFake();
  paypal.addApp(LIVE, LIVE_HOOK);
  paypal.addApp(SANDBOX, SANDBOX_HOOK);
  // A pending capture is asked about every 0.3 s (then up to 1 s) instead of every minute (up to hours).
  h = await startHarness({
    worker: true,
    env: { PAYPAL_API_URL: paypal.url, PAYPAL_CAPTURE_CHECK_SECONDS: '0.3', PAYPAL_CAPTURE_CHECK_MAX_SECONDS: '1' },
  });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/PAYPAL', {
    client_id: LIVE.clientId,
    client_secret: LIVE.clientSecret,
    webhook_id: LIVE_HOOK,
    sandbox_client_id: SANDBOX.clientId,
    sandbox_client_secret: SANDBOX.clientSecret,
    sandbox_webhook_id: SANDBOX_HOOK,
  }).expect(200);
}, 300_000);
afterAll(async () => {
  await h?.close();
  await paypal?.close();
});

const api = (method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);

/** Delivers an event as PayPal does, signed for the webhook id of that mode's app. */
function webhook(event: object, mode: 'live' | 'sandbox' = 'sandbox', webhookId = mode === 'live' ? LIVE_HOOK : SANDBOX_HOOK) {
  const delivery = paypal.deliver(event, webhookId);
  return request(h.app).post(`/webhooks/paypal/${store.slug}/${mode}`).set(delivery.headers).send(delivery.body);
}

const buyerReturns = (invoiceId: number, orderId: string) =>
  request(h.app).get(`/checkout/${store.slug}/invoices/${invoiceId}/paypal-return?token=${orderId}&PayerID=FAKEPAYER0001`);

const invoiceOf = (id: number, key = store.test) => api('get', `/invoices/${id}`, undefined, key).then((r) => r.body.data);
const statusOf = async (id: number, key = store.test) => (await invoiceOf(id, key)).status.status.status as string;
const eventsOf = async (type: string, id: number) =>
  (await h.db.selectFrom('events').select('data').where('type', '=', type).execute()).filter((e) => e.data.id === id);
const capturesOf = (orderId: string) => [...paypal.state.captures.values()].filter((c) => c.orderId === orderId);

/** A test-mode PAYPAL invoice checked out: its PayPal order (through the sandbox app). */
async function checkedOut(serials: string, price = 1500, key = store.test) {
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['TEXT'], data: { serials } }, price });
  const invoice = (
    await api(
      'post',
      '/invoices',
      { customer_email: 'buyer@e.co', payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } } },
      key,
    ).expect(201)
  ).body.data;
  const checkout = await api('post', `/invoices/${invoice.id}/checkout`, undefined, key).expect(200);
  return { id: invoice.id as number, orderId: checkout.body.invoice.payment.gateway.data.order_id as string };
}

/** The buyer approves on PayPal and comes back; the capture pays the order and it is delivered. */
async function approvedAndDelivered(invoice: { id: number; orderId: string }) {
  paypal.approve(invoice.orderId);
  await buyerReturns(invoice.id, invoice.orderId).expect(303);
  await waitFor(
    () => statusOf(invoice.id),
    (s) => s === 'COMPLETED',
  );
}

/** Until the capture activity has asked PayPal (at `capturePath`) at least once. */
const captureAsked = (capturePath: string) =>
  waitFor(
    async () => paypal.requests.filter((r) => r.path === capturePath).length,
    (n) => n >= 1,
  );

/** The buyer approves (PayPal's event) and the capture activity calls PayPal, whose answer waits for `release()`. */
async function approvedWithCaptureHeld(orderId: string) {
  const capturePath = `/v2/checkout/orders/${orderId}/capture`;
  const release = paypal.hold(capturePath);
  await webhook(paypal.approve(orderId)).expect(200);
  await captureAsked(capturePath);
  return release;
}

/**
 * The seller's void, asked again while it is refused for a capture call under way (409
 * capture_in_flight, as a seller would after its Retry-After): PayPal's 503 has reached the fake
 * a moment before the activity lets go of its claim.
 */
async function voidByHand(invoiceId: number) {
  const answer = await waitFor(
    () => api('patch', `/invoices/${invoiceId}/mark-voided`, undefined, store.test),
    (r) => !(r.status === 409 && r.body.error?.code === 'capture_in_flight'),
  );
  expect(answer.status).toBe(200);
}

describe('PayPal order workflow', () => {
  it('captures once and delivers once when the buyer’s return races a duplicated CHECKOUT.ORDER.APPROVED', async () => {
    const invoice = await checkedOut('PPW-1,PPW-2');
    const approved = paypal.approve(invoice.orderId);
    const answers = await Promise.all([
      buyerReturns(invoice.id, invoice.orderId),
      webhook(approved),
      webhook(approved),
      buyerReturns(invoice.id, invoice.orderId),
    ]);
    expect(answers[0]!.status).toBe(303);
    expect(answers[0]!.headers.location).toMatch(new RegExp(`/invoices/${invoice.id}`));
    const hooks = [answers[1]!.body, answers[2]!.body];
    // One delivery applied the event (the capture owed, or already done by the return), the other was its duplicate.
    expect(hooks.filter((b) => b.duplicate === false)).toEqual([
      expect.objectContaining({ invoice_id: invoice.id, outcome: expect.stringMatching(/approved|ignored/) }),
    ]);
    expect(hooks.filter((b) => b.duplicate === true)).toHaveLength(1);
    const done = await waitFor(
      () => invoiceOf(invoice.id),
      (b) => b.status.status.status === 'COMPLETED',
    );
    const capture = capturesOf(invoice.orderId);
    expect(capture).toHaveLength(1);
    expect(done.payment.gateway.data).toMatchObject({
      order_id: invoice.orderId,
      transaction_id: capture[0]!.id,
      capture_status: 'COMPLETED',
    });
    // Every capture request carried the invoice's request id: a retry would have answered the same capture.
    const calls = paypal.requests.filter((r) => r.path === `/v2/checkout/orders/${invoice.orderId}/capture`);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(new Set(calls.map((c) => c.requestId))).toEqual(new Set([`sellflow-capture-${store.id}-${invoice.id}-${invoice.orderId}`]));
    // PayPal's own news of the capture, twice, changes nothing.
    const completed = paypal.captureEvent(capture[0]!.id, 'PAYMENT.CAPTURE.COMPLETED');
    expect((await webhook(completed).expect(200)).body.outcome).toBe('same_payment');
    expect((await webhook(completed).expect(200)).body.duplicate).toBe(true);
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(1);
    const deliverables = await api('get', `/invoices/${invoice.id}/deliverables`, undefined, store.test);
    expect(deliverables.body.data[0].deliverable.data.serials).toEqual(['PPW-1']);
    expect(await h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).toBe('paid');
  });

  it('charges once when PayPal’s capture reply is lost and the activity retries with the same request id', async () => {
    const invoice = await checkedOut('PPL-1');
    paypal.approve(invoice.orderId);
    paypal.loseReplies(`/v2/checkout/orders/${invoice.orderId}/capture`, 1);
    await buyerReturns(invoice.id, invoice.orderId).expect(303);
    expect(await h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).toBe('paid');
    const calls = paypal.requests.filter((r) => r.path === `/v2/checkout/orders/${invoice.orderId}/capture`);
    expect(calls).toHaveLength(2);
    expect(new Set(calls.map((c) => c.requestId)).size).toBe(1);
    expect(capturesOf(invoice.orderId)).toHaveLength(1);
    await waitFor(
      () => statusOf(invoice.id),
      (s) => s === 'COMPLETED',
    );
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(1);
  });

  it('fails a capture PayPal refuses (not approved yet) and captures on the approval that follows', async () => {
    const invoice = await checkedOut('PPN-1');
    // Back without approving (a crafted return): PayPal refuses the capture, nothing is taken.
    await buyerReturns(invoice.id, invoice.orderId).expect(303);
    await expect(h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).rejects.toThrow();
    expect(capturesOf(invoice.orderId)).toHaveLength(0);
    expect(await statusOf(invoice.id)).toBe('PENDING');
    expect((await webhook(paypal.approve(invoice.orderId)).expect(200)).body.outcome).toBe('approved');
    await waitFor(
      () => statusOf(invoice.id),
      (s) => s === 'COMPLETED',
    );
    expect(capturesOf(invoice.orderId)).toHaveLength(1);
  });

  it('leaves a pending capture PENDING with PayPal’s reason, then pays it when PayPal completes it', async () => {
    const invoice = await checkedOut('PPP-1');
    paypal.captureWill(invoice.orderId, { status: 'PENDING', reason: 'RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION' });
    paypal.approve(invoice.orderId);
    await buyerReturns(invoice.id, invoice.orderId).expect(303);
    const pending = await waitFor(
      () => invoiceOf(invoice.id),
      (b) => b.payment.gateway.data.capture_status === 'PENDING',
    );
    expect(pending.status.status.status).toBe('PENDING');
    expect(pending.payment.gateway.data).toMatchObject({
      capture_status: 'PENDING',
      pending_reason: 'RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION',
    });
    // Its window closing does not void money PayPal holds.
    await h.db
      .updateTable('invoices')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', invoice.id)
      .execute();
    const { expireDueInvoices } = await import('../../src/orders/expire-invoices');
    await expireDueInvoices(h.db, 100);
    expect(await statusOf(invoice.id)).toBe('PENDING');
    // The pending capture's own event, twice, is news already known: one order.pending, the order in ops' stuck list.
    const capture = capturesOf(invoice.orderId)[0]!;
    const pendingEvent = paypal.captureEvent(capture.id, 'PAYMENT.CAPTURE.PENDING');
    expect((await webhook(pendingEvent).expect(200)).body.outcome).toBe('pending');
    expect((await webhook({ ...pendingEvent, id: `${pendingEvent.id}B` }).expect(200)).body.outcome).toBe('pending');
    expect((await eventsOf('order.pending', invoice.id)).map((e) => e.data)).toEqual([
      { id: invoice.id, payment_method: 'PAYPAL', pending_reason: 'RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION' },
    ]);
    const stuck = (await api('get', '/ops/stuck-orders', undefined, store.test).expect(200)).body.data as {
      id: number;
      delivery: { attention_reason: string };
    }[];
    expect(stuck.find((o) => o.id === invoice.id)?.delivery.attention_reason).toContain('RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION');

    // The workflow's own check of the capture waits while the event is heard, or it could see the completion first.
    paypal.outage(`/v2/payments/captures/${capture.id}`);
    const completed = paypal.completeCapture(capture.id);
    expect((await webhook(completed).expect(200)).body).toMatchObject({ outcome: 'paid', invoice_id: invoice.id });
    paypal.restore(`/v2/payments/captures/${capture.id}`);
    const done = await waitFor(
      () => invoiceOf(invoice.id),
      (b) => b.status.status.status === 'COMPLETED',
    );
    expect(done.payment.gateway.data).toMatchObject({ capture_status: 'COMPLETED', pending_reason: null });
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(1);
    const flag = await h.db.selectFrom('invoices').select('needs_attention').where('id', '=', invoice.id).executeTakeFirstOrThrow();
    expect(flag.needs_attention).toBe(false);
    // The workflow asking PayPal about it meanwhile finds it paid already.
    expect(await h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).toBe('same_payment');
  });

  it('completes a pending capture whose webhook never comes by asking PayPal, once', async () => {
    const invoice = await checkedOut('PPQ-1');
    paypal.captureWill(invoice.orderId, { status: 'PENDING', reason: 'PENDING_REVIEW' });
    paypal.approve(invoice.orderId);
    await buyerReturns(invoice.id, invoice.orderId).expect(303);
    await waitFor(
      async () => (await invoiceOf(invoice.id)).payment.gateway.data.capture_status,
      (s) => s === 'PENDING',
    );
    const capture = capturesOf(invoice.orderId)[0]!;
    const asks = () => paypal.requests.filter((r) => r.method === 'GET' && r.path === `/v2/payments/captures/${capture.id}`);
    // Still pending: asked again and again (through the SDK's GET /v2/payments/captures/{id}), nothing changes.
    await waitFor(
      async () => asks().length,
      (n) => n >= 2,
    );
    expect(await statusOf(invoice.id)).toBe('PENDING');
    // PayPal completes it and sends nothing.
    paypal.completeCapture(capture.id);
    expect(await h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).toBe('paid');
    await waitFor(
      () => statusOf(invoice.id),
      (s) => s === 'COMPLETED',
    );
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(1);
    // The webhook, late, is news already known.
    const late = await webhook(paypal.captureEvent(capture.id, 'PAYMENT.CAPTURE.COMPLETED')).expect(200);
    expect(late.body.outcome).toBe('same_payment');
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(1);
    const deliverables = await api('get', `/invoices/${invoice.id}/deliverables`, undefined, store.test);
    expect(deliverables.body.data[0].deliverable.data.serials).toEqual(['PPQ-1']);
  });

  it('keeps an approved order out of the expiry sweep while PayPal is down, then pays and delivers it', async () => {
    const invoice = await checkedOut('PPO-1');
    const capturePath = `/v2/checkout/orders/${invoice.orderId}/capture`;
    paypal.outage(capturePath);
    paypal.approve(invoice.orderId);
    await buyerReturns(invoice.id, invoice.orderId).expect(303);
    await captureAsked(capturePath);
    // Its window closes while the capture is owed: the sweep leaves it to the capture.
    await h.db
      .updateTable('invoices')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', invoice.id)
      .execute();
    const { expireDueInvoices } = await import('../../src/orders/expire-invoices');
    await expireDueInvoices(h.db, 100);
    expect(await statusOf(invoice.id)).toBe('PENDING');
    paypal.restore(capturePath);
    expect(await h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).toBe('paid');
    await waitFor(
      () => statusOf(invoice.id),
      (s) => s === 'COMPLETED',
    );
    expect(capturesOf(invoice.orderId)).toHaveLength(1);
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(1);
    const deliverables = await api('get', `/invoices/${invoice.id}/deliverables`, undefined, store.test);
    expect(deliverables.body.data[0].deliverable.data.serials).toEqual(['PPO-1']);
    // Paid: nothing owed any more.
    const row = await h.db.selectFrom('invoices').select('gateway').where('id', '=', invoice.id).executeTakeFirstOrThrow();
    expect(row.gateway).not.toHaveProperty('capture_owed');
  });

  it('never captures an invoice voided before the approval, nor one voided while its capture waits for PayPal', async () => {
    const before = await checkedOut('PPV-1');
    await api('patch', `/invoices/${before.id}/mark-voided`, undefined, store.test).expect(200);
    const late = await webhook(paypal.approve(before.orderId)).expect(200);
    expect(late.body).toMatchObject({ outcome: 'ignored', reason: 'the invoice is VOIDED' });
    await buyerReturns(before.id, before.orderId).expect(303);
    expect(
      await h.db
        .selectFrom('engine_intents')
        .select('id')
        .where('kind', '=', 'paypal.capture')
        .where('subject_id', '=', before.id)
        .execute(),
    ).toHaveLength(0);

    const during = await checkedOut('PPV-2');
    const capturePath = `/v2/checkout/orders/${during.orderId}/capture`;
    paypal.outage(capturePath);
    await webhook(paypal.approve(during.orderId)).expect(200);
    await captureAsked(capturePath);
    // The seller voids it by hand while PayPal is down; PayPal comes back.
    await voidByHand(during.id);
    const attempts = paypal.requests.filter((r) => r.path === capturePath).length;
    paypal.restore(capturePath);
    expect(await h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(during.id)).result()).toBe('ignored');
    expect(await statusOf(during.id)).toBe('VOIDED');
    // The retry after the void never reached PayPal.
    expect(paypal.requests.filter((r) => r.path === capturePath)).toHaveLength(attempts);
    expect([...capturesOf(before.orderId), ...capturesOf(during.orderId)]).toHaveLength(0);
  });

  it('holds no lock while PayPal captures: a void or a payment marked by hand meanwhile is refused, then finds the order paid', async () => {
    const invoice = await checkedOut('PPH-1');
    const release = await approvedWithCaptureHeld(invoice.orderId);
    try {
      // PayPal is taking the money: the invoice's row is not locked (nor, on embedded PGlite, the database) ...
      await h.db
        .transaction()
        .execute((trx) =>
          trx.selectFrom('invoices').select('id').where('id', '=', invoice.id).forUpdate().noWait().executeTakeFirstOrThrow(),
        );
      // ... yet the seller's void does not race it.
      const refusedVoid = await api('patch', `/invoices/${invoice.id}/mark-voided`, undefined, store.test).expect(409);
      expect(refusedVoid.body.error.code).toBe('capture_in_flight');
      expect(refusedVoid.headers['retry-after']).toBe('5');
      // Nor does marking it paid by hand (the buyer would pay twice).
      const refusedPaid = await api('patch', `/invoices/${invoice.id}/mark-completed`, undefined, store.test).expect(409);
      expect(refusedPaid.body.error.code).toBe('capture_in_flight');
    } finally {
      release();
    }
    expect(await h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).toBe('paid');
    await waitFor(
      () => statusOf(invoice.id),
      (s) => s === 'COMPLETED',
    );
    // Asked again once PayPal answered, the void finds the order paid and delivered.
    const late = await api('patch', `/invoices/${invoice.id}/mark-voided`, undefined, store.test).expect(409);
    expect(late.body.error.code).toBe('invalid_status');
    expect(capturesOf(invoice.orderId)).toHaveLength(1);
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(1);
    const row = await h.db.selectFrom('invoices').select('gateway').where('id', '=', invoice.id).executeTakeFirstOrThrow();
    expect(row.gateway).not.toHaveProperty('capture_in_flight');
  });

  it('flags for ops a capture PayPal made on an invoice voided once the capture’s claim lapsed', async () => {
    const invoice = await checkedOut('PPX-1');
    const release = await approvedWithCaptureHeld(invoice.orderId);
    try {
      // As if the worker calling PayPal had died: its claim lapses and the void goes ahead.
      await h.db
        .updateTable('invoices')
        .set({ gateway: sql`jsonb_set(gateway, '{capture_in_flight,until}', to_jsonb(now() - interval '1 second'))` })
        .where('id', '=', invoice.id)
        .execute();
      await api('patch', `/invoices/${invoice.id}/mark-voided`, undefined, store.test).expect(200);
    } finally {
      release();
    }
    // PayPal took the money all the same: kept on the voided order for ops to refund, never paid or delivered.
    expect(await h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).toBe('mismatch');
    const row = await h.db
      .selectFrom('invoices')
      .select(['status', 'needs_attention', 'attention_reason'])
      .where('id', '=', invoice.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      status: 'VOIDED',
      needs_attention: true,
      attention_reason: expect.stringContaining('paid after the invoice was voided'),
    });
    expect((await eventsOf('order.payment_mismatch', invoice.id)).map((e) => e.data.reason_code)).toEqual(['invoice_voided']);
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(0);
    expect(capturesOf(invoice.orderId)).toHaveLength(1);
  });

  it('asks PayPal, once the order is voided, whether a capture whose reply was lost took the money, and flags it for ops', async () => {
    const invoice = await checkedOut('PPL-1');
    const capturePath = `/v2/checkout/orders/${invoice.orderId}/capture`;
    // PayPal captures, its reply is lost; then it is down for the capture's retries.
    paypal.loseReplies(capturePath, 1);
    await webhook(paypal.approve(invoice.orderId)).expect(200);
    await waitFor(
      async () => capturesOf(invoice.orderId).length,
      (n) => n === 1,
    );
    paypal.outage(capturePath);
    try {
      // Nothing on our side says it was paid: the seller voids it (once the unanswered attempt lets go).
      await voidByHand(invoice.id);
      // The retry finds it voided, but an attempt went unanswered: it asks PayPal rather than let the order go.
      expect(await h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).toBe('mismatch');
    } finally {
      paypal.restore(capturePath);
    }
    const row = await h.db
      .selectFrom('invoices')
      .select(['status', 'needs_attention', 'attention_reason', 'gateway'])
      .where('id', '=', invoice.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      status: 'VOIDED',
      needs_attention: true,
      attention_reason: expect.stringContaining('paid after the invoice was voided'),
    });
    expect(row.gateway).not.toHaveProperty('capture_in_flight');
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(0);
    expect(capturesOf(invoice.orderId)).toHaveLength(1);
  });

  it('flags a capture that failed for good with a call unanswered on an invoice voided meanwhile: PayPal may hold the money', async () => {
    const invoice = await checkedOut('PPU-1');
    // An attempt's lapsed mark (its call unanswered), and the void that went ahead.
    await h.db
      .updateTable('invoices')
      .set({
        status: 'VOIDED',
        gateway: sql`gateway || jsonb_build_object('capture_in_flight', jsonb_build_object('token', 't', 'until', now()))`,
      })
      .where('id', '=', invoice.id)
      .execute();
    const activities = createPaypalActivities({ db: h.db } as Parameters<typeof createPaypalActivities>[0]);
    await activities.paypalCaptureFailed({
      invoiceId: invoice.id,
      orderId: invoice.orderId,
      reason: 'PayPal could not be reached',
      issue: null,
    });
    const row = await h.db
      .selectFrom('invoices')
      .select(['status', 'needs_attention', 'attention_reason'])
      .where('id', '=', invoice.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'VOIDED', needs_attention: true, attention_reason: expect.stringContaining('went unanswered') });
  });

  it('keeps an invoice payable after INSTRUMENT_DECLINED: the buyer approves again and is charged once', async () => {
    const invoice = await checkedOut('PPI-1');
    paypal.captureWill(invoice.orderId, { status: 'INSTRUMENT_DECLINED' });
    await webhook(paypal.approve(invoice.orderId)).expect(200);
    await expect(h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).rejects.toThrow();
    const declined = await waitFor(
      () =>
        h.db.selectFrom('invoices').select(['gateway', 'needs_attention', 'status']).where('id', '=', invoice.id).executeTakeFirstOrThrow(),
      (r) => typeof (r.gateway as { data?: { capture_failure?: string } }).data?.capture_failure === 'string',
    );
    expect(declined).toMatchObject({ status: 'PENDING', needs_attention: false });
    expect((declined.gateway as { data: { capture_failure: string } }).data.capture_failure).toContain('INSTRUMENT_DECLINED');
    expect(declined.gateway).not.toHaveProperty('capture_owed');
    // Checkout again answers the same approval link; the buyer approves with another source.
    const again = await api('post', `/invoices/${invoice.id}/checkout`, undefined, store.test).expect(200);
    expect(again.body.invoice.payment.gateway.data.order_id).toBe(invoice.orderId);
    await approvedAndDelivered(invoice);
    expect(capturesOf(invoice.orderId)).toHaveLength(1);
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(1);
  });

  it('flags the order for ops with PayPal’s reason when a capture is refused for good', async () => {
    const invoice = await checkedOut('PPF-1');
    paypal.approve(invoice.orderId);
    // PayPal no longer knows the order (404): retrying the same will not help.
    paypal.state.orders.delete(invoice.orderId);
    await buyerReturns(invoice.id, invoice.orderId).expect(303);
    await expect(h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).rejects.toThrow();
    const flagged = await waitFor(
      () =>
        h.db
          .selectFrom('invoices')
          .select(['needs_attention', 'attention_reason', 'status'])
          .where('id', '=', invoice.id)
          .executeTakeFirstOrThrow(),
      (r) => r.needs_attention,
    );
    expect(flagged).toMatchObject({ status: 'PENDING', attention_reason: expect.stringContaining('RESOURCE_NOT_FOUND') });
    const stuck = (await api('get', '/ops/stuck-orders', undefined, store.test).expect(200)).body.data as { id: number }[];
    expect(stuck.map((o) => o.id)).toContain(invoice.id);
    expect(capturesOf(invoice.orderId)).toHaveLength(0);
  });

  it('voids the order when PayPal denies a pending capture', async () => {
    const invoice = await checkedOut('PPD-1');
    paypal.captureWill(invoice.orderId, { status: 'PENDING', reason: 'PENDING_REVIEW' });
    await webhook(paypal.approve(invoice.orderId)).expect(200);
    await waitFor(
      async () => capturesOf(invoice.orderId).length,
      (n) => n === 1,
    );
    const captureId = capturesOf(invoice.orderId)[0]!.id;
    // The workflow's own check of the capture waits while the event is heard, or it could see the denial first.
    paypal.outage(`/v2/payments/captures/${captureId}`);
    const denied = paypal.denyCapture(captureId);
    expect((await webhook(denied).expect(200)).body).toMatchObject({ outcome: 'denied', invoice_id: invoice.id });
    paypal.restore(`/v2/payments/captures/${captureId}`);
    expect(await statusOf(invoice.id)).toBe('VOIDED');
    expect(await eventsOf('order.paid', invoice.id)).toHaveLength(0);
    // Asked afterwards, PayPal's denial is old news: nothing flagged.
    expect(await h.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoice.id)).result()).toBe('ignored');
    const row = await h.db.selectFrom('invoices').select('needs_attention').where('id', '=', invoice.id).executeTakeFirstOrThrow();
    expect(row.needs_attention).toBe(false);
  });

  it('refunds through the refund path with the PayPal capture, once; PayPal’s report of it changes nothing', async () => {
    const invoice = await checkedOut('PPR-1', 2000);
    await approvedAndDelivered(invoice);
    const capture = capturesOf(invoice.orderId)[0]!;
    const response = await api('post', `/orders/${invoice.id}/refunds`, { reason: 'asked' }, store.test).expect(200);
    expect(response.body.data.refund).toMatchObject({ status: 'pending', provider: 'paypal', amount_cents: 2000, manual: false });
    const refundId = response.body.data.refund.id as number;
    expect(await h.temporal.client.workflow.getHandle(workflowIds.refund(refundId)).result()).toBe('succeeded');
    const refunds = paypal.state.refunds.filter((r) => r.captureId === capture.id);
    expect(refunds.map((r) => r.amount)).toEqual([{ currency_code: 'USD', value: '20.00' }]);
    const calls = paypal.requests.filter((r) => r.path === `/v2/payments/captures/${capture.id}/refund`);
    expect(calls.map((c) => [c.requestId, c.clientId])).toEqual([[`sellflow-refund-${store.id}-${refundId}`, SANDBOX.clientId]]);
    expect(await statusOf(invoice.id)).toBe('REFUNDED');
    const row = await h.db.selectFrom('refunds').selectAll().where('id', '=', refundId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'succeeded', provider_payment_id: capture.id, provider_refund_id: refunds[0]!.id });
    const reported = await webhook(paypal.refundEvent(refunds[0]!.id)).expect(200);
    expect(reported.body).toMatchObject({ outcome: 'refunded', reason: 'the refunds made through Sellflow account for it' });
    expect(await h.db.selectFrom('refunds').select('id').where('invoice_id', '=', invoice.id).execute()).toHaveLength(1);
    expect(await eventsOf('order.refunded', invoice.id)).toHaveLength(1);
  });

  describe('a refund PayPal holds as pending (an eCheck)', () => {
    const refundRow = (id: number) => h.db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const refundOutcome = (id: number) => h.temporal.client.workflow.getHandle(workflowIds.refund(id)).result();

    /** A completed PayPal order refunded whole, PayPal holding the refund: our refund, recorded pending with PayPal's id. */
    async function pendingRefund(serials: string, cents: number) {
      const invoice = await checkedOut(serials, cents);
      await approvedAndDelivered(invoice);
      const capture = capturesOf(invoice.orderId)[0]!;
      paypal.refundWill(capture.id, { status: 'PENDING', reason: 'ECHECK' });
      const refundId = (await api('post', `/orders/${invoice.id}/refunds`, { reason: 'asked' }, store.test).expect(200)).body.data.refund
        .id as number;
      const row = await waitFor(
        () => refundRow(refundId),
        (r) => r.provider_refund_id !== null,
      );
      return { invoice, capture, refundId, paypalRefundId: row.provider_refund_id! };
    }

    it('waits, taking nothing back; PAYMENT.CAPTURE.REFUNDED naming it runs its consequences once', async () => {
      const { invoice, refundId, paypalRefundId } = await pendingRefund('PPQ-1', 2500);
      // PayPal answers the workflow's checks 503 from here: only the webhook can settle it.
      const asked = `/v2/payments/refunds/${paypalRefundId}`;
      paypal.outage(asked);
      try {
        expect(await refundRow(refundId)).toMatchObject({ status: 'pending', pending_reason: 'ECHECK', consequences_at: null });
        const listed = (await api('get', '/refunds', undefined, store.test).expect(200)).body.data;
        expect(listed.find((r: { id: number }) => r.id === refundId)).toMatchObject({
          status: 'pending',
          pending_reason: 'ECHECK',
          provider_refund_id: paypalRefundId,
        });
        expect(await statusOf(invoice.id)).toBe('COMPLETED');
        expect(await eventsOf('order.refunded', invoice.id)).toEqual([]);
        // Money on its way counts: nothing more can be refunded meanwhile.
        const more = await api('post', `/orders/${invoice.id}/refunds`, {}, store.test);
        expect([more.status, more.body.error?.code]).toEqual([422, 'nothing_to_refund']);
        // The workflow keeps asking PayPal (every 0.3 s up to 1 s here), still nothing taken back.
        await waitFor(
          async () => paypal.requests.filter((r) => r.path === asked).length,
          (n) => n >= 2,
        );
        expect((await refundRow(refundId)).status).toBe('pending');

        const completed = paypal.completeRefund(paypalRefundId);
        const first = await webhook(completed).expect(200);
        expect(first.body).toMatchObject({ outcome: 'refunded', reason: null, invoice_id: invoice.id, duplicate: false });
        expect((await webhook(completed).expect(200)).body).toMatchObject({ duplicate: true });
        // The same news under another event id changes nothing either.
        const again = await webhook({ ...completed, id: `${completed.id}X` }).expect(200);
        expect(again.body).toMatchObject({
          outcome: 'refunded',
          reason: 'the refunds made through Sellflow account for it',
          duplicate: false,
        });

        const row = await refundRow(refundId);
        expect(row).toMatchObject({ status: 'succeeded', provider_refund_id: paypalRefundId, pending_reason: null });
        expect(row.consequences_at).not.toBeNull();
        expect(await statusOf(invoice.id)).toBe('REFUNDED');
      } finally {
        paypal.restore(asked);
      }
      // Its next check finds it settled: the workflow ends, nothing runs twice.
      expect(await refundOutcome(refundId)).toBe('succeeded');
      expect(await eventsOf('order.refunded', invoice.id)).toEqual([
        { data: expect.objectContaining({ refund_id: refundId, partial: false, amount: 2500, amount_refunded: 2500 }) },
      ]);
      expect(await h.db.selectFrom('refunds').select('id').where('invoice_id', '=', invoice.id).execute()).toHaveLength(1);
    });

    it('completed with no webhook: the workflow’s check of the refund settles it, once', async () => {
      const { invoice, refundId, paypalRefundId } = await pendingRefund('PPQ-2', 1800);
      expect(await statusOf(invoice.id)).toBe('COMPLETED');
      paypal.completeRefund(paypalRefundId);
      expect(await refundOutcome(refundId)).toBe('succeeded');
      expect(await refundRow(refundId)).toMatchObject({ status: 'succeeded', pending_reason: null });
      expect(await statusOf(invoice.id)).toBe('REFUNDED');
      expect(await eventsOf('order.refunded', invoice.id)).toHaveLength(1);
      // PayPal's webhook coming late finds it done.
      const late = await webhook(paypal.refundEvent(paypalRefundId)).expect(200);
      expect(late.body).toMatchObject({ outcome: 'refunded', reason: 'the refunds made through Sellflow account for it' });
      expect(await eventsOf('order.refunded', invoice.id)).toHaveLength(1);
    });

    it('PayPal’s completion arriving before its pending reply reaches the activity settles the refund once (our custom_id names it)', async () => {
      const invoice = await checkedOut('PPQ-4', 1400);
      await approvedAndDelivered(invoice);
      const capture = capturesOf(invoice.orderId)[0]!;
      paypal.refundWill(capture.id, { status: 'PENDING', reason: 'ECHECK' });
      // PayPal makes the refund but its replies are lost: the activity retries (2 s, then 4 s later).
      paypal.loseReplies(`/v2/payments/captures/${capture.id}/refund`, 2);
      const refundId = (await api('post', `/orders/${invoice.id}/refunds`, {}, store.test).expect(200)).body.data.refund.id as number;
      const made = await waitFor(
        async () => paypal.state.refunds.find((r) => r.captureId === capture.id),
        (r) => r !== undefined,
      );
      expect((await refundRow(refundId)).provider_refund_id).toBeNull();
      const completed = await webhook(paypal.completeRefund(made!.id)).expect(200);
      expect(completed.body).toMatchObject({ outcome: 'refunded', reason: null, invoice_id: invoice.id });
      expect(await refundRow(refundId)).toMatchObject({ status: 'succeeded', provider_refund_id: made!.id });
      expect(await refundOutcome(refundId)).toBe('succeeded');
      expect(await eventsOf('order.refunded', invoice.id)).toHaveLength(1);
      expect(paypal.state.refunds.filter((r) => r.captureId === capture.id)).toHaveLength(1);
      expect(await statusOf(invoice.id)).toBe('REFUNDED');
    });

    it('failed at PayPal: the refund is failed with order.refund_failed, once, and the goods are kept', async () => {
      const { invoice, capture, refundId, paypalRefundId } = await pendingRefund('PPQ-3', 1600);
      paypal.failRefund(paypalRefundId, 'FAILED');
      expect(await refundOutcome(refundId)).toBe('failed');
      const row = await refundRow(refundId);
      expect(row).toMatchObject({ status: 'failed', consequences_at: null, pending_reason: null });
      expect(row.failure_reason).toBe(`PayPal failed refund ${paypalRefundId}`);
      expect(await statusOf(invoice.id)).toBe('COMPLETED');
      expect(await eventsOf('order.refunded', invoice.id)).toEqual([]);
      expect(await eventsOf('order.refund_failed', invoice.id)).toEqual([
        {
          data: expect.objectContaining({
            refund_id: refundId,
            provider: 'paypal',
            provider_refund_id: paypalRefundId,
            amount: 1600,
            consequences_applied: false,
          }),
        },
      ]);
      // PayPal's word on it, after: nothing changes.
      const stale = await webhook(paypal.refundEvent(paypalRefundId)).expect(200);
      expect(stale.body).toMatchObject({ outcome: 'ignored', reason: `refund ${refundId} is failed already` });
      expect(await eventsOf('order.refund_failed', invoice.id)).toHaveLength(1);
      // No money went back: the order can be refunded again.
      const retry = (await api('post', `/orders/${invoice.id}/refunds`, {}, store.test).expect(200)).body.data.refund;
      expect(await refundOutcome(retry.id)).toBe('succeeded');
      expect(paypal.state.refunds.filter((r) => r.captureId === capture.id).map((r) => r.status)).toEqual(['FAILED', 'COMPLETED']);
      expect(await statusOf(invoice.id)).toBe('REFUNDED');
    });
  });

  it('records a refund made in PayPal’s dashboard, and a dispute into /v2/disputes', async () => {
    const invoice = await checkedOut('PPX-1', 3000);
    await webhook(paypal.approve(invoice.orderId)).expect(200);
    await waitFor(
      () => statusOf(invoice.id),
      (s) => s === 'COMPLETED',
    );
    const capture = capturesOf(invoice.orderId)[0]!;
    const partial = await webhook(paypal.refundInPaypal(capture.id, 1000)).expect(200);
    expect(partial.body).toMatchObject({ outcome: 'refunded', reason: null });
    const rows = await h.db.selectFrom('refunds').selectAll().where('invoice_id', '=', invoice.id).execute();
    expect(rows).toEqual([expect.objectContaining({ source: 'paypal', provider: 'paypal', amount_cents: 1000, status: 'succeeded' })]);
    expect(await statusOf(invoice.id)).toBe('COMPLETED');

    const opened = await webhook(paypal.disputeEvent('CUSTOMER.DISPUTE.CREATED', capture.id, { id: 'PP-D-1', status: 'OPEN' })).expect(200);
    expect(opened.body).toMatchObject({ outcome: 'disputed', invoice_id: invoice.id });
    expect(await statusOf(invoice.id)).toBe('DISPUTING');
    const listed = (await api('get', '/disputes', undefined, store.test).expect(200)).body.data;
    expect(listed).toEqual([expect.objectContaining({ status: 'open' })]);
    const resolved = paypal.disputeEvent('CUSTOMER.DISPUTE.RESOLVED', capture.id, {
      id: 'PP-D-1',
      status: 'RESOLVED',
      outcome: 'RESOLVED_SELLER_FAVOUR',
    });
    await webhook(resolved).expect(200);
    expect(await statusOf(invoice.id)).toBe('COMPLETED');
  });

  it('believes only verified events of the invoice’s own mode', async () => {
    const invoice = await checkedOut('PPT-1');
    const approved = paypal.approve(invoice.orderId);
    // Signed for another webhook id, or tampered after signing: refused, nothing stored.
    expect((await webhook(approved, 'sandbox', 'WHSOMEONEELSE').expect(400)).body.error.code).toBe('invalid_signature');
    const delivery = paypal.deliver(approved, SANDBOX_HOOK);
    const tampered = delivery.body.replace(invoice.orderId, `${invoice.orderId}X`);
    await request(h.app).post(`/webhooks/paypal/${store.slug}/sandbox`).set(delivery.headers).send(tampered).expect(400);
    // The live app's webhook reporting a sandbox order: verified, but not this invoice's mode.
    const live = await webhook(approved, 'live').expect(200);
    expect(live.body).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('live') });
    expect(
      await h.db
        .selectFrom('engine_intents')
        .select('id')
        .where('kind', '=', 'paypal.capture')
        .where('subject_id', '=', invoice.id)
        .execute(),
    ).toHaveLength(0);
    expect(capturesOf(invoice.orderId)).toHaveLength(0);
    expect(await statusOf(invoice.id)).toBe('PENDING');
  });
});
