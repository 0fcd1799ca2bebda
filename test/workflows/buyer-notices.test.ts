import { sql } from 'kysely';
import request from 'supertest';
import { setGrantStatus } from '../../src/community/grant-records';
import { buyerEmailMessageId } from '../../src/orders/buyer-email';
import { sendBuyerNotice } from '../../src/orders/buyer-notices';
import { deliveryEmailContent, ORDER_SEND_KEY, sendDeliveryEmail } from '../../src/orders/delivery-email';
import { SMTP_STEP_TIMEOUT_MS } from '../../src/temporal/contracts/buyer-email-timing';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { startSmtpSink } from '../fakes/smtp-sink';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** Late community links through the buyer-e-mail path (renewal receipts and failed payments: subscriptions.test.ts). */
let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let store: Awaited<ReturnType<Harness['createStore']>>;
let spaceId: number;
beforeAll(async () => {
  smtp = await startSmtpSink();
  // Postgres: a test holds one transaction while the worker's go on (embedded PGlite runs one at a time).
  h = await startHarness({
    worker: true,
    database: 'postgres',
    env: { SMTP_URL: smtp.url, SMTP_FROM: 'Sellflow <no-reply@sellflow.test>' },
  });
  store = await h.createStore();
  await h.db.updateTable('stores').set({ name: 'Signal Shop' }).where('id', '=', store.id).execute();
  const connection = await h.db
    .insertInto('community_connections')
    .values({ store_id: store.id, platform: 'telegram', credentials_sealed: null, account_id: null, account_name: null, invite_url: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  const space = await h.db
    .insertInto('community_spaces')
    .values({
      store_id: store.id,
      connection_id: connection.id,
      platform: 'telegram',
      external_id: '-100123',
      name: 'Signals <VIP>',
      kind: 'supergroup',
      roles: JSON.stringify([]),
      health_issues: JSON.stringify([]),
      health_checked_at: null,
      deleted_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  spaceId = space.id;
});
afterAll(async () => {
  await h.close();
  await smtp.close();
});

const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
const readable = (raw: string) =>
  raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

async function order(email: string, complete: boolean) {
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'Welcome' } } });
  const created = await api('post', '/invoices', {
    customer_email: email,
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  });
  expect(created.status).toBe(201);
  const id: number = created.body.data.id;
  if (complete) {
    expect((await api('patch', `/invoices/${id}/mark-completed`)).status).toBe(200);
    await h.temporal.client.workflow.getHandle(workflowIds.order(id)).result();
  }
  return id;
}

async function grant(invoiceId: number) {
  const row = await h.db
    .insertInto('community_grants')
    .values({
      store_id: store.id,
      livemode: true,
      invoice_id: invoiceId,
      access_id: 1,
      space_id: spaceId,
      platform: 'telegram',
      status: 'awaiting_customer',
      reason: null,
      role_ids: JSON.stringify([]),
      remove_on_expiry: false,
      member_id: null,
      join_pending_at: null,
      invite_url: null,
      awaiting_until: null,
      history: JSON.stringify([]),
      granted_at: null,
      revoke_requested_at: null,
      revoke_reason: null,
      revoke_signaled_at: null,
      revoked_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const setLink = (grantId: number, url: string) =>
  h.db.transaction().execute((trx) => setGrantStatus(trx, grantId, 'awaiting_customer', null, { invite_url: url }));
const linkMails = (invoiceId: number, grantId: number) =>
  smtp.mails.filter((m) => m.raw.includes(`<invoice-${invoiceId}.community-link-${grantId}@`));
/** The community-link notices owed for an order through the engine outbox. */
const noticesOwed = (invoiceId: number) =>
  h.db.selectFrom('engine_intents').select('id').where('kind', '=', 'buyer_notice.send').where('subject_id', '=', invoiceId).execute();

describe('a community invite link that arrives after the delivery e-mail', () => {
  it('is e-mailed to the buyer once, through the outbox and its notice workflow', async () => {
    const id = await order('late-link@example.com', true);
    expect(smtp.mails.filter((m) => m.to.includes('late-link@example.com'))).toHaveLength(1);
    const grantId = await grant(id);
    await setLink(grantId, 'https://t.me/+late-invite');
    const [mail] = await waitFor(
      async () => linkMails(id, grantId),
      (m) => m.length === 1,
    );
    expect(mail!.to).toEqual(['late-link@example.com']);
    const text = readable(mail!.raw);
    expect(text).toContain('https://t.me/+late-invite');
    expect(text).toContain('Signals &lt;VIP&gt;');
    expect(text).toContain(`order #${id}`);
    const outcome = await h.temporal.client.workflow.getHandle(workflowIds.buyerNotice(id, `community-link-${grantId}`)).result();
    expect(outcome).toBe('sent');

    // The same link again records nothing; a retried send finds it sent.
    await setLink(grantId, 'https://t.me/+late-invite');
    const deps = { db: h.db, mail: h.config.notifications, publicBaseUrl: 'https://shop.example' };
    expect((await sendBuyerNotice(deps, id, { kind: 'community_link', grantId })).status).toBe('sent');
    await new Promise((r) => setTimeout(r, 3000));
    expect(linkMails(id, grantId)).toHaveLength(1);
  });

  it('is left to the delivery e-mail when the order has not sent it yet', async () => {
    const id = await order('early-link@example.com', false);
    const grantId = await grant(id);
    await setLink(grantId, 'https://t.me/+early-invite');
    expect(await noticesOwed(id)).toHaveLength(0);
  });

  it('being set while the delivery e-mail reads the grants: the e-mail waits for it and carries it, none of its own is owed', async () => {
    const id = await order('racing-link@example.com', false);
    const grantId = await grant(id);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let linkSet!: () => void;
    const set = new Promise<void>((resolve) => (linkSet = resolve));
    // The grant's transaction sets the link and is not committed yet.
    const linking = h.db.transaction().execute(async (trx) => {
      await setGrantStatus(trx, grantId, 'awaiting_customer', null, { invite_url: 'https://t.me/+racing' });
      linkSet();
      await held;
    });
    await set;
    let read = false;
    const content = deliveryEmailContent({ db: h.db, storage: h.storage }, id, { storeName: 'Signal Shop', linksFor: ORDER_SEND_KEY }).then(
      (c) => {
        read = true;
        return c;
      },
    );
    await new Promise((r) => setTimeout(r, 500));
    // Unlocked, the e-mail would read the grants now, without the link, and the link would find no e-mail claimed.
    expect(read).toBe(false);
    release();
    await linking;
    expect((await content).community).toEqual([{ platform: 'telegram', space: 'Signals <VIP>', inviteUrl: 'https://t.me/+racing' }]);
    expect(await noticesOwed(id)).toHaveLength(0);
  });
});

describe('a community invite link and the delivery e-mail: the buyer gets each link in one e-mail', () => {
  const mailsWith = (url: string) => smtp.mails.filter((m) => readable(m.raw).includes(url));
  const deliveryMails = (invoiceId: number) => smtp.mails.filter((m) => m.raw.includes(`<invoice-${invoiceId}.order@`));
  const linkMailSent = async (invoiceId: number, grantId: number) => {
    await waitFor(
      async () => linkMails(invoiceId, grantId),
      (m) => m.length === 1,
    );
    expect(await h.temporal.client.workflow.getHandle(workflowIds.buyerNotice(invoiceId, `community-link-${grantId}`)).result()).toBe(
      'sent',
    );
  };
  /** Sessions of this database waiting on a row lock in the delivery e-mail's claim. */
  const claimsWaiting = async () =>
    (
      await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like 'update "delivery_emails"%'`.execute(h.db)
    ).rows[0]!.n;

  afterEach(() => Object.assign(smtp.control, { refusing: false, stalls: 0 }));

  it("landing between the delivery e-mail's claim and its read of the grants: its own e-mail carries it, the delivery e-mail not", async () => {
    const email = 'window-link@example.com';
    const id = await order(email, false);
    // The delivery e-mail's row as its claim inserts it, then held: the claim's update waits, so
    // the e-mail is claimed (the late-link path finds its row) and has not read the grants yet.
    await h.db
      .insertInto('delivery_emails')
      .values({
        invoice_id: id,
        send_key: ORDER_SEND_KEY,
        message_id: buyerEmailMessageId(id, ORDER_SEND_KEY, h.config.notifications.from),
        recipient: email,
      })
      .execute();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const holder = h.db.transaction().execute(async (trx) => {
      await trx.selectFrom('delivery_emails').select('id').where('invoice_id', '=', id).forNoKeyUpdate().execute();
      locked();
      await released;
    });
    await holding;
    expect((await api('patch', `/invoices/${id}/mark-completed`)).status).toBe(200);
    await waitFor(claimsWaiting, (n) => n === 1);
    const grantId = await grant(id);
    await setLink(grantId, 'https://t.me/+in-the-window');
    release();
    await holder;
    expect(await h.temporal.client.workflow.getHandle(workflowIds.order(id)).result()).toEqual({ invoiceId: id, outcome: 'completed' });
    await linkMailSent(id, grantId);
    expect(deliveryMails(id)).toHaveLength(1);
    expect(mailsWith('https://t.me/+in-the-window')).toEqual(linkMails(id, grantId));
  });

  it("landing while the delivery e-mail's first attempt fails: the retry leaves it to its own e-mail", async () => {
    const email = 'retried-link@example.com';
    const id = await order(email, false);
    // The first attempt's message stalls past the client's patience: it fails, and Temporal retries.
    Object.assign(smtp.control, { stalls: 1, stallMs: SMTP_STEP_TIMEOUT_MS + 3000 });
    expect((await api('patch', `/invoices/${id}/mark-completed`)).status).toBe(200);
    await waitFor(
      async () => smtp.control.stalling,
      (n) => n === 1,
    );
    const grantId = await grant(id);
    await setLink(grantId, 'https://t.me/+between-attempts');
    expect(await h.temporal.client.workflow.getHandle(workflowIds.order(id)).result()).toEqual({ invoiceId: id, outcome: 'completed' });
    await linkMailSent(id, grantId);
    const row = await h.db
      .selectFrom('delivery_emails')
      .select(['status', 'attempts'])
      .where('invoice_id', '=', id)
      .where('send_key', '=', ORDER_SEND_KEY)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'sent', attempts: 2 });
    // The stalled reply comes: its client is gone, the sink keeps nothing.
    await waitFor(
      async () => smtp.control.stalling,
      (n) => n === 0,
    );
    expect(deliveryMails(id)).toHaveLength(1);
    expect(mailsWith('https://t.me/+between-attempts')).toEqual(linkMails(id, grantId));
  }, 60_000);

  it('that the delivery e-mail read stays in it when it is sent again after a failure, and gets no e-mail of its own', async () => {
    const email = 'kept-link@example.com';
    const id = await order(email, false);
    const grantId = await grant(id);
    await setLink(grantId, 'https://t.me/+kept');
    // Delivered (set here; its workflow waits for a payment that never comes): the activity's call, twice.
    await h.db.updateTable('invoices').set({ status: 'COMPLETED' }).where('id', '=', id).execute();
    const deps = { db: h.db, storage: h.storage, mail: h.config.notifications };
    smtp.control.refusing = true;
    await expect(sendDeliveryEmail(deps, id, { sendKey: ORDER_SEND_KEY })).rejects.toThrow(/Mailbox unavailable/);
    smtp.control.refusing = false;
    expect((await sendDeliveryEmail(deps, id, { sendKey: ORDER_SEND_KEY })).status).toBe('sent');
    expect(mailsWith('https://t.me/+kept')).toEqual(deliveryMails(id));
    expect(deliveryMails(id)).toHaveLength(1);
    expect(await noticesOwed(id)).toHaveLength(0);
  });
});
