import { sql } from 'kysely';
import request from 'supertest';
import { BuyerEmailInFlight } from '../../src/orders/buyer-email';
import { ORDER_SEND_KEY, sendDeliveryEmail } from '../../src/orders/delivery-email';
import { BUYER_EMAIL_LEASE_MS, SMTP_STEP_TIMEOUT_MS } from '../../src/temporal/contracts/buyer-email-timing';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { startSmtpSink } from '../fakes/smtp-sink';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startHarness({ worker: true, env: { SMTP_URL: smtp.url, SMTP_FROM: 'Sellflow <no-reply@sellflow.test>' } });
  store = await h.createStore();
  await h.db
    .updateTable('stores')
    .set({ name: 'Tom & <Jerry> Shop', reply_to_email: 'help@shop.test' })
    .where('id', '=', store.id)
    .execute();
});
afterAll(async () => {
  await h.close();
  await smtp.close();
});

const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);

/** The message as the reader sees it: quoted-printable soft breaks and escapes undone. */
const readable = (raw: string) =>
  raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
const mailsTo = (address: string) => smtp.mails.filter((m) => m.to.includes(address));

async function deliveredSerials(invoiceId: number): Promise<string[]> {
  const step = await h.db
    .selectFrom('delivery_steps')
    .select('result')
    .where('invoice_id', '=', invoiceId)
    .where('kind', '=', 'serials')
    .executeTakeFirstOrThrow();
  return (step.result as { serials: string[] }).serials;
}

/** A paid order of one serial, one license key and the seller's text, run to its end. */
async function deliveredOrder(email: string) {
  const { variantId } = await createVariant(h, store.live, {
    deliverable: {
      types: ['TEXT', 'LICENSE_KEY', 'MANUAL'],
      data: {
        serials: 'SER-1,SER-2',
        comment: 'Welcome <friend> & enjoy',
        license_key: { prefix: 'PRO', limit: 1, expires_in_days: null },
      },
    },
  });
  const created = await api('post', '/invoices', {
    customer_email: email,
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  });
  expect(created.status).toBe(201);
  const id: number = created.body.data.id;
  expect((await api('patch', `/invoices/${id}/mark-completed`)).status).toBe(200);
  expect(await h.temporal.client.workflow.getHandle(workflowIds.order(id)).result()).toEqual({ invoiceId: id, outcome: 'completed' });
  return id;
}

describe('the delivery e-mail', () => {
  let firstId: number;

  it('goes to the buyer once when the order completes, with everything delivered', async () => {
    firstId = await deliveredOrder('buyer@example.com');
    const mails = mailsTo('buyer@example.com');
    expect(mails).toHaveLength(1);
    const mail = readable(mails[0]!.raw);
    expect(mails[0]!.from).toBe('no-reply@sellflow.test');
    expect(mail).toContain(`Message-ID: <invoice-${firstId}.order@sellflow.test>`);
    expect(mail).toContain('Reply-To: help@shop.test');
    expect(mail).toContain(`your order #${firstId}`);
    expect(mail).toContain('Content-Type: text/plain');
    expect(mail).toContain('Content-Type: text/html');
    const keys = await h.db.selectFrom('license_keys').select('key').where('invoice_id', '=', firstId).execute();
    expect(keys).toHaveLength(1);
    for (const text of [
      'SER-1',
      keys[0]!.key,
      'Welcome <friend> & enjoy',
      'Welcome &lt;friend&gt; &amp; enjoy',
      'Tom &amp; &lt;Jerry&gt; Shop',
    ])
      expect(mail).toContain(text);
    const invoice = (await api('get', `/invoices/${firstId}`)).body.data;
    expect(invoice.status.status.status).toBe('COMPLETED');
    expect(invoice.delivery.needs_attention).toBe(false);
    const rows = await h.db.selectFrom('delivery_emails').selectAll().where('invoice_id', '=', firstId).execute();
    expect(rows).toMatchObject([{ send_key: 'order', status: 'sent', recipient: 'buyer@example.com', attempts: 1 }]);
  });

  it('is sent once per key: a retried send finds it sent, a failed one goes out on the retry', async () => {
    const deps = { db: h.db, storage: h.storage, mail: h.config.notifications };
    const before = smtp.mails.length;
    // The workflow's own key again (a retried activity): nothing more goes out.
    expect(await sendDeliveryEmail(deps, firstId, { sendKey: 'order' })).toEqual({
      status: 'sent',
      messageId: `<invoice-${firstId}.order@sellflow.test>`,
    });
    expect(smtp.mails.length).toBe(before);
    await sendDeliveryEmail(deps, firstId, { sendKey: 'again' });
    await sendDeliveryEmail(deps, firstId, { sendKey: 'again' });
    expect(smtp.mails.length).toBe(before + 1);
    smtp.control.refusing = true;
    await expect(sendDeliveryEmail(deps, firstId, { sendKey: 'refused-once' })).rejects.toThrow(/Mailbox unavailable/);
    smtp.control.refusing = false;
    await sendDeliveryEmail(deps, firstId, { sendKey: 'refused-once' });
    await sendDeliveryEmail(deps, firstId, { sendKey: 'refused-once' });
    expect(smtp.mails.length).toBe(before + 2);
    const row = await h.db
      .selectFrom('delivery_emails')
      .selectAll()
      .where('invoice_id', '=', firstId)
      .where('send_key', '=', 'refused-once')
      .executeTakeFirstOrThrow();
    // Two sends tried (refused, then sent); the third call found it sent and tried none.
    expect(row).toMatchObject({ status: 'sent', reason: null, attempts: 2 });
  });

  it('a refused send leaves the order COMPLETED and flagged; fulfillment-notifications sends it again', async () => {
    smtp.control.refusing = true;
    let id: number;
    try {
      id = await deliveredOrder('unlucky@example.com');
    } finally {
      smtp.control.refusing = false;
    }
    expect(mailsTo('unlucky@example.com')).toHaveLength(0);
    const flagged = (await api('get', `/invoices/${id}`)).body.data;
    expect(flagged.status.status.status).toBe('COMPLETED');
    expect(flagged.delivery.needs_attention).toBe(true);
    expect(flagged.delivery.attention_reason).toMatch(/^Delivery e-mail not sent: .*550/);
    const event = await h.db
      .selectFrom('events')
      .select('data')
      .where('store_id', '=', store.id)
      .where('type', '=', 'delivery.needs_attention')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(event.data).toMatchObject({ id });

    const resent = await api('post', `/invoices/${id}/fulfillment-notifications`, {});
    expect(resent.status).toBe(200);
    expect(resent.body.data.notifications_sent).toBe(1);
    expect(mailsTo('unlucky@example.com')).toHaveLength(1);
    const cleared = (await api('get', `/invoices/${id}`)).body.data;
    expect(cleared.delivery.needs_attention).toBe(false);

    // The action's `email` sends the buyer's copy elsewhere.
    expect((await api('post', `/invoices/${id}/fulfillment-notifications`, { email: 'other@example.com' })).status).toBe(200);
    expect(mailsTo('other@example.com')).toHaveLength(1);
    expect(readable(mailsTo('other@example.com')[0]!.raw)).toContain('SER-');
  });

  it('a resend after a line was refunded whole leaves that line’s serial and key out; the kept line’s goods are in it', async () => {
    const kept = await createVariant(h, store.live, { deliverable: { types: ['TEXT'], data: { serials: 'KEPT-1' } } });
    const taken = await createVariant(h, store.live, {
      deliverable: {
        types: ['TEXT', 'LICENSE_KEY'],
        data: { serials: 'TAKEN-1', license_key: { prefix: 'GONE', limit: 1, expires_in_days: null } },
      },
    });
    const created = await api('post', '/invoices', {
      customer_email: 'partly@example.com',
      payment_method: 'PAYPAL',
      product_variants: { [kept.variantId]: { quantity: 1 }, [taken.variantId]: { quantity: 1 } },
    });
    expect(created.status).toBe(201);
    const id: number = created.body.data.id;
    expect((await api('patch', `/invoices/${id}/mark-completed`)).status).toBe(200);
    expect(await h.temporal.client.workflow.getHandle(workflowIds.order(id)).result()).toEqual({ invoiceId: id, outcome: 'completed' });
    const key = (await h.db.selectFrom('license_keys').select('key').where('invoice_id', '=', id).executeTakeFirstOrThrow()).key;
    const first = readable(mailsTo('partly@example.com')[0]!.raw);
    for (const text of ['KEPT-1', 'TAKEN-1', key]) expect(first).toContain(text);

    const line = await h.db
      .selectFrom('invoice_lines')
      .select('id')
      .where('invoice_id', '=', id)
      .where('variant_id', '=', taken.variantId)
      .executeTakeFirstOrThrow();
    const refund = (await api('post', `/orders/${id}/refunds`, { line_items: [line.id] })).body.data.refund;
    await h.temporal.client.workflow.getHandle(workflowIds.refund(refund.id)).result();
    expect((await h.db.selectFrom('refunds').select('status').where('id', '=', refund.id).executeTakeFirstOrThrow()).status).toBe('manual');

    expect((await api('post', `/invoices/${id}/fulfillment-notifications`, {})).status).toBe(200);
    const mails = mailsTo('partly@example.com');
    expect(mails).toHaveLength(2);
    const resent = readable(mails[1]!.raw);
    expect(resent).toContain('KEPT-1');
    expect(resent).not.toContain('TAKEN-1');
    expect(resent).not.toContain(key);
  });

  it('a replacement sends the buyer one e-mail with its own deliverables, once', async () => {
    const original = await deliveredOrder('replaced@example.com');
    expect(mailsTo('replaced@example.com')).toHaveLength(1);
    const lineVariant = await h.db
      .selectFrom('invoice_lines')
      .select('variant_id')
      .where('invoice_id', '=', original)
      .executeTakeFirstOrThrow();
    const replaced = await api('patch', `/invoices/${original}/issue-replacement`, { product_variants: [lineVariant.variant_id] });
    expect(replaced.status).toBe(200);
    const replacement: number = replaced.body.id;
    expect(await h.temporal.client.workflow.getHandle(workflowIds.order(replacement)).result()).toEqual({
      invoiceId: replacement,
      outcome: 'completed',
    });
    const mails = mailsTo('replaced@example.com');
    expect(mails).toHaveLength(2);
    const mail = readable(mails[1]!.raw);
    expect(mail).toContain(`Message-ID: <invoice-${replacement}.order@sellflow.test>`);
    expect(mail).toContain(`replacement for your order #${original}`);
    expect(mail).toContain((await deliveredSerials(replacement))[0]);
    // Only the replacement's deliverables: the original's serial is not in it.
    expect(mail).not.toContain((await deliveredSerials(original))[0]);

    // The order workflow's activity retried (its answer lost; it sends under ORDER_SEND_KEY on the
    // replacement's own invoice, as here): the e-mail is claimed, nothing more goes out.
    const deps = { db: h.db, storage: h.storage, mail: h.config.notifications };
    const retried = await sendDeliveryEmail(deps, replacement, { sendKey: ORDER_SEND_KEY });
    expect(retried).toEqual({ status: 'sent', messageId: `<invoice-${replacement}.order@sellflow.test>` });
    expect(mailsTo('replaced@example.com')).toHaveLength(2);
    const rows = await h.db.selectFrom('delivery_emails').select(['send_key', 'status']).where('invoice_id', '=', replacement).execute();
    expect(rows).toEqual([{ send_key: 'order', status: 'sent' }]);

    // With Send Delivery Email off a replacement still goes out: the seller issued it for the buyer.
    await h.db.insertInto('variant_serials').values({ store_id: store.id, variant_id: lineVariant.variant_id, value: 'SER-3' }).execute();
    expect((await api('patch', '/settings/delivery-email', { send_delivery_email: false })).status).toBe(200);
    try {
      const again = await api('patch', `/invoices/${original}/issue-replacement`, { product_variants: [lineVariant.variant_id] });
      expect(again.status).toBe(200);
      await h.temporal.client.workflow.getHandle(workflowIds.order(again.body.id)).result();
      expect(mailsTo('replaced@example.com')).toHaveLength(3);
      expect(readable(mailsTo('replaced@example.com')[2]!.raw)).toContain('SER-3');
    } finally {
      await api('patch', '/settings/delivery-email', { send_delivery_email: true });
    }
  });

  it('an order without an e-mail (Disable Checkout Email on) completes and sends nothing, unflagged', async () => {
    await api('patch', '/settings/checkout', { disable_checkout_email: true }).expect(200);
    try {
      const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'NO-MAIL-GOODS' } } });
      const created = await api('post', '/invoices', { payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } } });
      expect(created.status).toBe(201);
      const id: number = created.body.data.id;
      const before = smtp.mails.length;
      expect((await api('patch', `/invoices/${id}/mark-completed`)).status).toBe(200);
      expect(await h.temporal.client.workflow.getHandle(workflowIds.order(id)).result()).toEqual({ invoiceId: id, outcome: 'completed' });
      const invoice = (await api('get', `/invoices/${id}`)).body.data;
      expect(invoice.status.status.status).toBe('COMPLETED');
      expect(invoice.delivery.needs_attention).toBe(false);
      expect((await api('get', `/invoices/${id}/deliverables`)).text).toContain('NO-MAIL-GOODS');
      expect(smtp.mails.length).toBe(before);
      expect(await h.db.selectFrom('delivery_emails').selectAll().where('invoice_id', '=', id).execute()).toEqual([]);
    } finally {
      await api('patch', '/settings/checkout', { disable_checkout_email: false }).expect(200);
    }
  });

  it("honours the store's switches: Send Delivery Email off sends nothing, the Trustpilot address is BCC'd", async () => {
    const initial = await api('get', '/settings/delivery-email');
    expect(initial.body.data).toEqual({ send_delivery_email: true, reply_to_email: 'help@shop.test', trustpilot_email: null });
    for (const bad of [{ trustpilot_email: 'not an address' }, { send_delivery_email: 'no' }, { bcc: 'x@example.com' }]) {
      const refused = await api('patch', '/settings/delivery-email', bad);
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toBeDefined();
    }

    expect((await api('patch', '/settings/delivery-email', { send_delivery_email: false })).body.data.send_delivery_email).toBe(false);
    const quiet = await deliveredOrder('quiet@example.com');
    expect(mailsTo('quiet@example.com')).toHaveLength(0);
    expect((await api('get', `/invoices/${quiet}`)).body.data.delivery.needs_attention).toBe(false);

    const changed = await api('patch', '/settings/delivery-email', {
      send_delivery_email: true,
      reply_to_email: null,
      trustpilot_email: 'shop.example+abc@invite.trustpilot.com',
    });
    expect(changed.body.data).toEqual({
      send_delivery_email: true,
      reply_to_email: null,
      trustpilot_email: 'shop.example+abc@invite.trustpilot.com',
    });
    await deliveredOrder('reviewer@example.com');
    const [mail] = mailsTo('reviewer@example.com');
    expect(mail!.to).toEqual(['reviewer@example.com', 'shop.example+abc@invite.trustpilot.com']);
    // BCC: in the envelope only, never in the headers the buyer sees.
    expect(mail!.raw).not.toContain('trustpilot');
    expect(mail!.raw).not.toContain('Reply-To:');
  });
});

/** Until the sink has answered (or dropped) every stalled message. */
async function stallsOver() {
  while (smtp.control.stalling > 0 || smtp.control.stalls > 0) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('the delivery e-mail against a stalling SMTP server', () => {
  afterEach(async () => {
    smtp.control.stalls = 0;
    await stallsOver();
  });

  it('an attempt whose DATA reply stalls gives up before the activity times out; the retry sends it; one e-mail in the end', async () => {
    const dropped = smtp.control.dropped;
    // Longer than the client waits on a silent server, shorter than the activity's 30 s.
    Object.assign(smtp.control, { stalls: 1, stallMs: SMTP_STEP_TIMEOUT_MS + 3000 });
    const id = await deliveredOrder('stalled@example.com');
    expect(mailsTo('stalled@example.com')).toHaveLength(1);
    const row = await h.db.selectFrom('delivery_emails').selectAll().where('invoice_id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ send_key: 'order', status: 'sent', attempts: 2, sending_until: null });
    // The first attempt ended on the socket timeout, not on Temporal's 30 s start-to-close
    // (timed from the first attempt's claim, not from the order's setup, which load stretches).
    expect(row.sent_at!.getTime() - row.created_at.getTime()).toBeLessThan(25_000);
    // The stalled server answers at last: the client is gone, it keeps nothing, and nothing else comes.
    await stallsOver();
    expect(smtp.control.dropped).toBe(dropped + 1);
    expect(mailsTo('stalled@example.com')).toHaveLength(1);
    expect((await h.db.selectFrom('invoices').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('COMPLETED');
  }, 60_000);

  it('a retry while another attempt holds the lease sends nothing; once that attempt ends the e-mail goes once', async () => {
    const id = await deliveredOrder('leased@example.com');
    const deps = { db: h.db, storage: h.storage, mail: h.config.notifications };
    Object.assign(smtp.control, { stalls: 1, stallMs: SMTP_STEP_TIMEOUT_MS + 2000 });
    const first = sendDeliveryEmail(deps, id, { sendKey: 'lease', email: 'leased-copy@example.com' });
    const firstSettled = first.then(
      () => 'sent',
      (error: Error) => error.message,
    );
    while (smtp.control.stalling === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    // The first attempt's message is at the server, its reply pending: a retry must not send.
    const retry = sendDeliveryEmail(deps, id, { sendKey: 'lease', email: 'leased-copy@example.com' });
    await expect(retry).rejects.toBeInstanceOf(BuyerEmailInFlight);
    const inFlight = (await retry.catch((error: unknown) => error)) as BuyerEmailInFlight;
    expect(inFlight.retryAfterMs).toBeGreaterThan(BUYER_EMAIL_LEASE_MS - 10_000);
    expect(inFlight.retryAfterMs).toBeLessThanOrEqual(BUYER_EMAIL_LEASE_MS);
    expect(await firstSettled).toMatch(/Timeout/i);
    await stallsOver();
    expect(mailsTo('leased-copy@example.com')).toHaveLength(0);
    // The first attempt closed its socket and gave the lease back: the next one sends, once.
    await sendDeliveryEmail(deps, id, { sendKey: 'lease', email: 'leased-copy@example.com' });
    await sendDeliveryEmail(deps, id, { sendKey: 'lease', email: 'leased-copy@example.com' });
    expect(mailsTo('leased-copy@example.com')).toHaveLength(1);
    const row = await h.db
      .selectFrom('delivery_emails')
      .selectAll()
      .where('invoice_id', '=', id)
      .where('send_key', '=', 'lease')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'sent', attempts: 2, sending_until: null });
  }, 60_000);

  it('a row left in sending by a dead worker waits out its lease, then goes under the same Message-ID', async () => {
    const id = await deliveredOrder('orphaned@example.com');
    const deps = { db: h.db, storage: h.storage, mail: h.config.notifications };
    const orphan = (until: string) =>
      h.db
        .updateTable('delivery_emails')
        .set({ status: 'sending', sent_at: null, sending_until: sql<Date>`now() + ${until}::interval` })
        .where('invoice_id', '=', id)
        .where('send_key', '=', 'order')
        .execute();
    await orphan('20 seconds');
    await expect(sendDeliveryEmail(deps, id, { sendKey: ORDER_SEND_KEY })).rejects.toBeInstanceOf(BuyerEmailInFlight);
    expect(mailsTo('orphaned@example.com')).toHaveLength(1);
    await orphan('-1 second');
    expect(await sendDeliveryEmail(deps, id, { sendKey: ORDER_SEND_KEY })).toMatchObject({ status: 'sent' });
    const mails = mailsTo('orphaned@example.com');
    expect(mails).toHaveLength(2);
    const messageIds = mails.map((m) => /^Message-ID: (.*)$/m.exec(m.raw)?.[1]?.trim());
    expect(messageIds).toEqual([`<invoice-${id}.order@sellflow.test>`, `<invoice-${id}.order@sellflow.test>`]);
  });
});
