import request from 'supertest';
import { setGrantStatus } from '../../src/community/grant-records';
import { sendBuyerNotice } from '../../src/orders/buyer-notices';
import { deliveryEmailContent } from '../../src/orders/delivery-email';
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
  h = await startHarness({ worker: true, env: { SMTP_URL: smtp.url, SMTP_FROM: 'Sellflow <no-reply@sellflow.test>' } });
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
    const intents = await h.db
      .selectFrom('engine_intents')
      .select('id')
      .where('kind', '=', 'buyer_notice.send')
      .where('subject_id', '=', id)
      .execute();
    expect(intents).toHaveLength(0);
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
    const content = deliveryEmailContent({ db: h.db, storage: h.storage }, id, { storeName: 'Signal Shop' }).then((c) => {
      read = true;
      return c;
    });
    await new Promise((r) => setTimeout(r, 500));
    // Unlocked, the e-mail would read the grants now, without the link, and the link would find no e-mail claimed.
    expect(read).toBe(false);
    release();
    await linking;
    expect((await content).community).toEqual([{ platform: 'telegram', space: 'Signals <VIP>', inviteUrl: 'https://t.me/+racing' }]);
    const intents = await h.db
      .selectFrom('engine_intents')
      .select('id')
      .where('kind', '=', 'buyer_notice.send')
      .where('subject_id', '=', id)
      .execute();
    expect(intents).toHaveLength(0);
  });
});
