import { WorkflowFailedError } from '@temporalio/client';
import request from 'supertest';
import { sendCheckoutReminder } from '../../src/orders/checkout-reminders';
import { paypalApproved } from '../../src/orders/paypal-approval';
import { recordPaypalCheckout } from '../../src/orders/paypal-order-record';
import { recordIntent } from '../../src/outbox/record-intent';
import { invoiceCheckoutUrl } from '../../src/orders/invoice-checkout-link';
import { SecretBox } from '../../src/security/secret-box';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { startSmtpSink } from '../fakes/smtp-sink';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** One "hour" of a reminder schedule lasts this long here. */
const HOUR_MS = 1_000;

let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let store: Awaited<ReturnType<Harness['createStore']>>;
let other: Awaited<ReturnType<Harness['createStore']>>;
let variantId: number;
beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startHarness({
    worker: true,
    env: {
      SMTP_URL: smtp.url,
      SMTP_FROM: 'Sellflow <no-reply@sellflow.test>',
      CHECKOUT_REMINDER_HOUR_SECONDS: String(HOUR_MS / 1000),
      PUBLIC_BASE_URL: 'https://shop.example',
    },
  });
  store = await h.createStore();
  other = await h.createStore();
  await h.db.updateTable('stores').set({ name: 'Reminder Shop' }).where('id', '=', store.id).execute();
  // 20.00 a piece.
  ({ variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'Thanks' } }, price: 2000 }));
});
afterAll(async () => {
  await h.close();
  await smtp.close();
});

const api = (method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
const readable = (raw: string) =>
  raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
const mailsTo = (address: string) => smtp.mails.filter((m) => m.to.includes(address)).map((m) => readable(m.raw));

async function coupon(code: string, values: { expires_at?: Date | null; store_id?: number; discount?: number } = {}) {
  const row = await h.db
    .insertInto('coupons')
    .values({
      store_id: values.store_id ?? store.id,
      code,
      type: 'PERCENTAGE',
      discount: values.discount ?? 1000,
      store_wide: true,
      limit: null,
      minimum_amount_cents: null,
      maximum_discount_cents: null,
      expires_at: values.expires_at ?? null,
      deleted_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function remind(abandonedCart: object) {
  const saved = await api('put', '/store/settings/marketing', { abandoned_cart: abandonedCart });
  expect(saved.status).toBe(200);
  return saved.body.data.marketing.abandoned_cart;
}

async function checkout(email: string, options: { quantity?: number; coupon?: string; variant?: number; method?: string } = {}) {
  const created = await api('post', '/invoices', {
    customer_email: email,
    payment_method: options.method ?? 'PAYPAL',
    product_variants: { [options.variant ?? variantId]: { quantity: options.quantity ?? 1 } },
    ...(options.coupon ? { coupon: options.coupon } : {}),
  });
  expect(created.status).toBe(201);
  return created.body.data.id as number;
}

const remindersOf = (invoiceId: number) => h.temporal.client.workflow.getHandle(workflowIds.checkoutReminders(invoiceId));
/** The reminders' outcome for an invoice, once the workflow is there: it is started by an outbox intent, after the checkout answered. */
async function reminderOutcome(invoiceId: number) {
  await waitFor(
    () =>
      remindersOf(invoiceId)
        .describe()
        .then(
          () => true,
          () => false,
        ),
    (started) => started,
  );
  return remindersOf(invoiceId).result();
}
const startIntents = (invoiceId: number) =>
  h.db
    .selectFrom('engine_intents')
    .selectAll()
    .where('kind', '=', 'checkout_reminders.start')
    .where('subject_id', '=', invoiceId)
    .execute();

describe('abandoned-cart reminder settings', () => {
  it('are off until saved, and the official marketing path keeps them as the seed says', async () => {
    const initial = await api('get', '/store/settings');
    expect(initial.status).toBe(200);
    expect(initial.body.data.marketing.abandoned_cart).toMatchObject({ enabled: false, reminders: [] });

    const couponId = await coupon('COMEBACK');
    const saved = await remind({
      enabled: true,
      min_total_cents: 1000,
      max_total_cents: null,
      reminders: [{ after_hours: 1 }, { after_hours: 24 }, { after_hours: null }],
      incentive_mode: 'existing_coupon',
      coupon_id: couponId,
      send_incentive_on_step: 2,
    });
    // The empty third slot is dropped.
    expect(saved).toEqual({
      enabled: true,
      min_total_cents: 1000,
      max_total_cents: null,
      reminders: [{ after_hours: 1 }, { after_hours: 24 }],
      incentive_mode: 'existing_coupon',
      coupon_id: couponId,
      send_incentive_on_step: 2,
    });
    // PATCH changes only what it names.
    const patched = await api('patch', '/store/settings/marketing', { abandoned_cart: { max_total_cents: 50_000 } });
    expect(patched.status).toBe(200);
    expect(patched.body.data.marketing.abandoned_cart).toMatchObject({
      max_total_cents: 50_000,
      min_total_cents: 1000,
      coupon_id: couponId,
    });
    // Without an incentive the coupon is not kept.
    expect(await remind({ enabled: false, incentive_mode: 'none', coupon_id: couponId, send_incentive_on_step: 1 })).toMatchObject({
      coupon_id: null,
      send_incentive_on_step: null,
    });
  });

  it.each([
    [
      'a gap in the schedule',
      { reminders: [{ after_hours: 1 }, { after_hours: null }, { after_hours: 5 }] },
      'abandoned_cart.reminders.1.after_hours',
    ],
    ['more than 72 hours', { reminders: [{ after_hours: 73 }] }, 'abandoned_cart.reminders.0.after_hours'],
    ['no delay', { reminders: [{ after_hours: 0 }] }, 'abandoned_cart.reminders.0.after_hours'],
    ['part of an hour', { reminders: [{ after_hours: 1.5 }] }, 'abandoned_cart.reminders.0.after_hours'],
    [
      'a later reminder not after the one before',
      { reminders: [{ after_hours: 5 }, { after_hours: 5 }] },
      'abandoned_cart.reminders.1.after_hours',
    ],
    ['four reminders', { reminders: [1, 2, 3, 4].map((after_hours) => ({ after_hours })) }, 'abandoned_cart.reminders'],
    ['turned on without a reminder', { reminders: [] }, 'abandoned_cart.reminders'],
    [
      'a maximum below the minimum',
      { reminders: [{ after_hours: 1 }], min_total_cents: 500, max_total_cents: 100 },
      'abandoned_cart.max_total_cents',
    ],
    ['a negative minimum', { reminders: [{ after_hours: 1 }], min_total_cents: -1 }, 'abandoned_cart.min_total_cents'],
    [
      'a coupon incentive without a coupon',
      { reminders: [{ after_hours: 1 }], incentive_mode: 'existing_coupon', send_incentive_on_step: 1 },
      'abandoned_cart.coupon_id',
    ],
    [
      'the coupon on a reminder that does not exist',
      { reminders: [{ after_hours: 1 }], incentive_mode: 'existing_coupon', coupon_id: 1, send_incentive_on_step: 2 },
      'abandoned_cart.send_incentive_on_step',
    ],
  ])('refuse %s (422 naming the field)', async (_name, settings, field) => {
    const before = (await api('get', '/store/settings')).body.data.marketing.abandoned_cart;
    const refused = await api('put', '/store/settings/marketing', { abandoned_cart: { enabled: true, ...settings } });
    expect(refused.status).toBe(422);
    expect(Object.keys(refused.body.errors)).toContain(field);
    expect((await api('get', '/store/settings')).body.data.marketing.abandoned_cart).toEqual(before);
  });

  it("refuse a coupon that is not the store's, and bodies of the wrong shape", async () => {
    const foreign = await coupon('ELSEWHERE', { store_id: other.id });
    const refused = await api('put', '/store/settings/marketing', {
      abandoned_cart: {
        enabled: true,
        reminders: [{ after_hours: 2 }],
        incentive_mode: 'existing_coupon',
        coupon_id: foreign,
        send_incentive_on_step: 1,
      },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors['abandoned_cart.coupon_id']).toBeDefined();
    for (const bad of [
      {},
      { abandoned_cart: { reminders: [] } },
      { abandoned_cart: { enabled: 'yes' } },
      { abandoned_cart: { enabled: true, incentive_mode: 'gift' } },
    ])
      expect((await api('put', '/store/settings/marketing', bad)).status).toBe(422);
    expect((await api('patch', '/store/settings/marketing', { abandoned_cart: { reminders: [{ after_hours: 'soon' }] } })).status).toBe(
      422,
    );
  });
});

describe('abandoned-checkout reminders', () => {
  it('start nothing for a checkout in a store that has them off, or outside the amount range', async () => {
    await remind({ enabled: false, reminders: [{ after_hours: 1 }] });
    const off = await checkout('off@example.com');
    await remind({ enabled: true, reminders: [{ after_hours: 1 }], min_total_cents: 5000 });
    const small = await checkout('small@example.com');
    expect(await startIntents(off)).toHaveLength(0);
    expect(await startIntents(small)).toHaveLength(0);
    await expect(remindersOf(off).describe()).rejects.toThrow();
  });

  it('are sent in order at their hours, the coupon only in the chosen one, each once', async () => {
    const couponId = await coupon('TENOFF');
    await remind({
      enabled: true,
      reminders: [{ after_hours: 1 }, { after_hours: 2 }, { after_hours: 3 }],
      incentive_mode: 'existing_coupon',
      coupon_id: couponId,
      send_incentive_on_step: 2,
    });
    const started = Date.now();
    const id = await checkout('forgetful@example.com', { quantity: 2 });
    expect(await startIntents(id)).toHaveLength(1);
    expect(await reminderOutcome(id)).toEqual({ invoiceId: id, sent: 3, outcome: 'finished' });
    // Three hours of the schedule have passed, not less.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * HOUR_MS);

    const mails = mailsTo('forgetful@example.com');
    expect(mails).toHaveLength(3);
    mails.forEach((mail, i) => {
      expect(mail).toContain(`Message-ID: <invoice-${id}.checkout-reminder-${i + 1}@sellflow.test>`);
      expect(mail).toContain(`Reminder Shop: complete your order #${id}`);
      expect(mail).toContain(invoiceCheckoutUrl('https://shop.example', SecretBox.fromConfig(h.config.secrets), store, id));
      expect(mail).toContain('$40.00');
    });
    expect(mails[0]).toContain('did not finish it');
    expect(mails[1]).toContain('Use coupon TENOFF for $4.00 off');
    expect(mails[0]).not.toContain('TENOFF');
    expect(mails[2]).not.toContain('TENOFF');

    // A retried send of a reminder already sent sends nothing.
    const deps = {
      db: h.db,
      mail: h.config.notifications,
      publicBaseUrl: 'https://shop.example',
      secrets: SecretBox.fromConfig(h.config.secrets),
    };
    expect(await sendCheckoutReminder(deps, id, 2)).toEqual({
      status: 'sent',
      messageId: `<invoice-${id}.checkout-reminder-2@sellflow.test>`,
    });
    expect(mailsTo('forgetful@example.com')).toHaveLength(3);
    const rows = await h.db
      .selectFrom('delivery_emails')
      .select(['send_key', 'status'])
      .where('invoice_id', '=', id)
      .orderBy('id')
      .execute();
    expect(rows).toEqual([1, 2, 3].map((n) => ({ send_key: `checkout-reminder-${n}`, status: 'sent' })));
  });

  it('stop when the buyer pays between reminders: none after payment, the workflow cancelled', async () => {
    await remind({ enabled: true, reminders: [{ after_hours: 1 }, { after_hours: 8 }] });
    const started = Date.now();
    const id = await checkout('payer@example.com');
    const reminders = () => mailsTo('payer@example.com').filter((m) => m.includes('checkout-reminder-'));
    await waitFor(
      async () => reminders().length,
      (n) => n === 1,
    );
    expect((await api('patch', `/invoices/${id}/mark-completed`)).status).toBe(200);
    // The payment's transition cancels the timers (through the outbox) long before the second is due.
    await expect(remindersOf(id).result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect((await remindersOf(id).describe()).status.name).toBe('CANCELLED');
    const invoice = (await api('get', `/invoices/${id}`)).body.data;
    expect(invoice.status.status.status).toBe('COMPLETED');
    // Past the second reminder's hour: still only the first (and the delivery e-mail).
    await new Promise((r) => setTimeout(r, Math.max(0, started + 8 * HOUR_MS + 500 - Date.now())));
    expect(reminders()).toHaveLength(1);
    expect(mailsTo('payer@example.com').filter((m) => m.includes(`invoice-${id}.order@`))).toHaveLength(1);
  });

  it('never e-mail a buyer whose checkout is paid or voided, whoever asks', async () => {
    await remind({ enabled: true, reminders: [{ after_hours: 72 }] });
    const id = await checkout('voided@example.com');
    // Its timer runs (72 "hours" away) before the void: started is not enough, as a workflow that
    // plans after the void finds nothing to remind of and finishes on its own.
    await waitFor(
      () =>
        remindersOf(id)
          .fetchHistory()
          .then(
            (history) => (history.events ?? []).some((e) => e.timerStartedEventAttributes),
            () => false,
          ),
      Boolean,
    );
    expect((await api('patch', `/invoices/${id}/mark-voided`)).status).toBe(200);
    await expect(remindersOf(id).result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const deps = {
      db: h.db,
      mail: h.config.notifications,
      publicBaseUrl: 'https://shop.example',
      secrets: SecretBox.fromConfig(h.config.secrets),
    };
    expect(await sendCheckoutReminder(deps, id, 1)).toEqual({ status: 'settled', invoiceStatus: 'VOIDED' });
    expect(mailsTo('voided@example.com')).toHaveLength(0);
    // A start the relay delivers late, after the void, starts nothing.
    const late = await checkout('late@example.com');
    await h.db
      .updateTable('engine_intents')
      .set({ delivered_at: new Date() })
      .where('kind', '=', 'checkout_reminders.start')
      .where('subject_id', '=', late)
      .execute();
    expect((await api('patch', `/invoices/${late}/mark-voided`)).status).toBe(200);
    const { deliverIntents } = await import('../../src/outbox/engine-intents');
    const [intent] = await startIntents(late);
    await h.db.updateTable('engine_intents').set({ delivered_at: null }).where('id', '=', intent!.id).execute();
    const engine = { db: h.db, client: h.temporal.client, taskQueue: h.taskQueue, crypto: h.config.crypto };
    expect(await deliverIntents(engine, { ids: [intent!.id] })).toBe(1);
    await expect(remindersOf(late).describe()).rejects.toThrow();
  });

  it("keep the checkout open past the store's invoice lifetime until the last reminder has had that long to work", async () => {
    await remind({ enabled: true, reminders: [{ after_hours: 1 }, { after_hours: 12 }] });
    // Invoices last 10 "hours" here, less than the last reminder's 12.
    await h.db.updateTable('stores').set({ invoice_ttl_seconds: 10 }).where('id', '=', store.id).execute();
    let id: number;
    try {
      id = await checkout('slow-decider@example.com');
    } finally {
      await h.db.updateTable('stores').set({ invoice_ttl_seconds: 86_400 }).where('id', '=', store.id).execute();
    }
    const row = await h.db.selectFrom('invoices').select(['created_at', 'expires_at']).where('id', '=', id).executeTakeFirstOrThrow();
    // The last reminder (12 h) plus the store's lifetime (10 h).
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBe(12 * HOUR_MS + 10_000);
    // The relay's expiry sweep runs all along: past 10 h the invoice is still open, and both reminders go.
    expect(await reminderOutcome(id)).toEqual({ invoiceId: id, sent: 2, outcome: 'finished' });
    expect(mailsTo('slow-decider@example.com')).toHaveLength(2);
    expect((await api('get', `/invoices/${id}`)).body.data.status.status.status).toBe('PENDING');
    // Then it expires like any other.
    await waitFor(
      async () => (await api('get', `/invoices/${id}`)).body.data.status.status.status,
      (status) => status === 'VOIDED',
    );
  }, 90_000);

  it('offer no coupon to an order that has one, nor an expired or deleted coupon', async () => {
    const own = await coupon('MINE', { discount: 500 });
    const expired = await coupon('OLDDEAL', { expires_at: new Date(Date.now() - 60_000) });
    const deleted = await coupon('GONE');
    const deps = {
      db: h.db,
      mail: h.config.notifications,
      publicBaseUrl: 'https://shop.example',
      secrets: SecretBox.fromConfig(h.config.secrets),
    };
    const cases: [string, number, string | undefined, string][] = [
      ['has-coupon@example.com', own, 'MINE', 'MINE'],
      ['expired@example.com', expired, undefined, 'OLDDEAL'],
      ['deleted@example.com', deleted, undefined, 'GONE'],
    ];
    for (const [email, couponId, orderCoupon, incentive] of cases) {
      // 72 h away: the test sends the first reminder itself.
      await remind({
        enabled: true,
        reminders: [{ after_hours: 72 }],
        incentive_mode: 'existing_coupon',
        coupon_id: couponId,
        send_incentive_on_step: 1,
      });
      if (incentive === 'GONE') await h.db.updateTable('coupons').set({ deleted_at: new Date() }).where('id', '=', deleted).execute();
      const id = await checkout(email, { coupon: orderCoupon });
      expect((await sendCheckoutReminder(deps, id, 1)).status).toBe('sent');
      const [mail] = mailsTo(email);
      expect(mail).toContain('Complete your purchase');
      expect(mail).not.toContain(`Use coupon ${incentive}`);
      await api('patch', `/invoices/${id}/mark-voided`);
    }
  });
});

describe('a checkout the buyer is paying, or paid another way', () => {
  const depsOf = () => ({
    db: h.db,
    mail: h.config.notifications,
    publicBaseUrl: 'https://shop.example',
    secrets: SecretBox.fromConfig(h.config.secrets),
  });
  // 72 h away: each test sends the reminder itself, the moment the buyer's step is recorded.
  beforeEach(() => remind({ enabled: true, reminders: [{ after_hours: 72 }] }));

  it('gets none once the buyer sent a proof of a custom payment (REVIEW)', async () => {
    const methodCreated = await api('post', '/payment-methods/custom', {
      type: 'instructions',
      name: 'Bank transfer',
      instructions: 'IBAN DE00 1234',
      require_proof_of_payment: true,
    });
    expect(methodCreated.status).toBe(201);
    const method: string = methodCreated.body.data.id;
    const custom = await createVariant(h, store.live, {
      deliverable: { types: ['MANUAL'], data: { comment: 'Thanks' } },
      price: 2000,
      custom_payment_method_ids: [method],
    });
    const created = await api('post', '/invoices', {
      customer_email: 'proof@example.com',
      payment_method: 'CUSTOM_PAYMENT_METHOD',
      custom_payment_method_id: method,
      product_variants: { [custom.variantId]: { quantity: 1 } },
    });
    expect(created.status).toBe(201);
    const id: number = created.body.data.id;
    const opened = await api('post', `/invoices/${id}/checkout`);
    expect(opened.status).toBe(200);
    // Waiting for the proof, nothing sent yet: still abandoned, reminded.
    expect((await sendCheckoutReminder(depsOf(), id, 1)).status).toBe('sent');
    const proof = await request(h.app)
      .post(`/api/v2/fast-checkout/${store.id}/orders/${opened.body.custom.order_token}/proof`)
      .send({ text: 'Paid from DE99, ref 42' });
    expect(proof.status).toBe(201);
    expect(await sendCheckoutReminder(depsOf(), id, 2)).toEqual({ status: 'paying', reason: 'the invoice is REVIEW' });
    expect(mailsTo('proof@example.com').filter((m) => m.includes('checkout-reminder-'))).toHaveLength(1);
  });

  it('gets none while a crypto payment is seen (confirming, or part paid)', async () => {
    for (const [email, status, received] of [
      ['confirming@example.com', 'CONFIRMING', '100000'],
      ['topping-up@example.com', 'PARTIAL', '400'],
    ] as const) {
      const id = await checkout(email, { method: 'BTC' });
      await h.db
        .insertInto('crypto_payments')
        .values({
          invoice_id: id,
          store_id: store.id,
          method: 'BTC',
          wallet_id: 'test-wallet',
          address: `bc1qtest${id}`,
          derivation_index: id,
          rate: '50000',
          fiat_cents: 2000,
          fiat_currency: 'USD',
          requested_units: '100000',
          received_units: received,
          required_confirmations: 1,
          status,
          cursor: null,
          start_height: null,
          expires_at: new Date(Date.now() + 3_600_000),
          late_watch_until: new Date(Date.now() + 7_200_000),
        })
        .execute();
      expect(await sendCheckoutReminder(depsOf(), id, 1)).toEqual({ status: 'paying', reason: 'the buyer is paying it' });
      expect(mailsTo(email)).toHaveLength(0);
    }
  });

  it('gets none once the buyer approved the PayPal order, nor while PayPal holds the capture', async () => {
    const approvedId = await checkout('approved@example.com');
    await h.db.transaction().execute(async (trx) => {
      await recordPaypalCheckout(
        trx,
        approvedId,
        { list: 'paypal_orders', idField: 'order_id', id: 'PAYPAL-ORDER-1', approvalUrl: 'https://paypal.example/approve' },
        'https://shop.example',
      );
      const invoice = await trx
        .selectFrom('invoices')
        .select(['id', 'status', 'gateway'])
        .where('id', '=', approvedId)
        .executeTakeFirstOrThrow();
      const { intent } = await paypalApproved(trx, invoice, 'PAYPAL-ORDER-1');
      // As the buyer's return records it; delivered already, so no capture runs against a PayPal this test has not.
      const intentId = await recordIntent(trx, intent!);
      await trx.updateTable('engine_intents').set({ delivered_at: new Date() }).where('id', '=', intentId).execute();
    });
    expect(await sendCheckoutReminder(depsOf(), approvedId, 1)).toEqual({ status: 'paying', reason: 'the buyer is paying it' });

    const heldId = await checkout('held@example.com');
    await h.db
      .updateTable('invoices')
      .set({ gateway: JSON.stringify({ type: 'PAYPAL', data: { transaction_id: 'CAPTURE-1', capture_status: 'PENDING' } }) })
      .where('id', '=', heldId)
      .execute();
    expect(await sendCheckoutReminder(depsOf(), heldId, 1)).toEqual({ status: 'paying', reason: 'the buyer is paying it' });
    expect([...mailsTo('approved@example.com'), ...mailsTo('held@example.com')]).toHaveLength(0);
  });

  it('gets none when the buyer paid a second checkout of the same goods; a truly abandoned one still does', async () => {
    // Far enough away that every checkout below is made, and the second paid, before the first reminder.
    await remind({ enabled: true, reminders: [{ after_hours: 10 }, { after_hours: 11 }] });
    // Two checkouts of the variant (a double click, a change of payment method), the second paid.
    const first = await checkout('Twice@Example.com');
    const second = await checkout('twice@example.com', { method: 'STRIPE' });
    // Another buyer's checkout of the same variant, and this buyer's of other goods: left alone.
    const stranger = await checkout('stranger@example.com');
    const otherGoods = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'Other' } }, price: 500 });
    const unrelated = await checkout('twice@example.com', { variant: otherGoods.variantId });
    expect((await api('patch', `/invoices/${second}/mark-completed`)).status).toBe(200);

    expect(await reminderOutcome(first)).toEqual({ invoiceId: first, sent: 0, outcome: 'paying' });
    expect(await reminderOutcome(stranger)).toEqual({ invoiceId: stranger, sent: 2, outcome: 'finished' });
    expect(await reminderOutcome(unrelated)).toEqual({ invoiceId: unrelated, sent: 2, outcome: 'finished' });
    expect(mailsTo('twice@example.com').filter((m) => m.includes(`invoice-${first}.checkout-reminder-`))).toHaveLength(0);
    expect(mailsTo('twice@example.com').filter((m) => m.includes(`invoice-${unrelated}.checkout-reminder-`))).toHaveLength(2);
    expect(mailsTo('stranger@example.com')).toHaveLength(2);
    expect(await sendCheckoutReminder(depsOf(), first, 1)).toEqual({
      status: 'paying',
      reason: `the buyer paid invoice #${second} for the same goods`,
    });
  });
});
