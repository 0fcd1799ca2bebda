/**
 * Records workflow histories for the replay test: runs each scenario on a fresh dev server
 * and embedded database, then writes the histories to test/workflows/histories/.
 * Usage: npm run record-histories [-- scenario-name ...]  (names given: only those; keep the
 * histories of workflows you changed, so the replay test guards the old code paths)
 */
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type Stripe from 'stripe';
import { createStore } from '../../src/accounts/stores';
import { createCharge } from '../../src/charges/charges';
import { recordEvent } from '../../src/events/record';
import { StripeGateway } from '../../src/gateways/stripe-gateway';
import { saveGatewaySettings } from '../../src/gateways/gateway-settings';
import { applyStripeEvent } from '../../src/orders/stripe-events';
import { recordCheckoutSession, recordStripePayment } from '../../src/orders/stripe-checkout-record';
import { requestRefund } from '../../src/refunds/request-refund';
import { startRefundWorkflow } from '../../src/refunds/refund-workflow-client';
import { requestCancellation } from '../../src/subscriptions/cancel-subscription';
import {
  paymentMethodUpdatePage,
  previewSubscriptionChange,
  subscriptionChanged,
  takeSubscriptionAction,
} from '../../src/subscriptions/subscription-workflow-client';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { type PaypalFake, startPaypalFake } from '../fakes/paypal';
import { PaypalGateway } from '../../src/gateways/paypal/paypal-gateway';
import { openPaypalOrder } from '../../src/orders/paypal-checkout';
import { startPaypalCapture } from '../../src/gateways/paypal/paypal-capture-workflow-client';
import { type FakeEsplora, startEsplora } from '../fakes/esplora';
import { type FakeSlack, startSlack } from '../fakes/slack';
import { startSmtpSink } from '../fakes/smtp-sink';
import { startSellerEndpoint } from '../fakes/seller-endpoint';
import { startCheckoutReminders } from '../../src/orders/checkout-reminder-workflow-client';
import { ABANDONED_CART_OFF } from '../../src/domain/abandoned-cart';
import { startBuyerNotice } from '../../src/orders/buyer-notice-workflow-client';
import { buyerNoticeKey } from '../../src/orders/buyer-notices';
import { connectPlatform } from '../../src/community/connections';
import { requestGrantRevocation } from '../../src/community/grant-records';
import { addSpace } from '../../src/community/spaces';
import { setVariantAccess } from '../../src/community/variant-access';
import { openCryptoPayment } from '../../src/gateways/crypto/open-crypto-payment';
import { startCryptoPaymentWorkflow } from '../../src/gateways/crypto/crypto-payment-workflow-client';
import { cryptoAcceptanceOf } from '../../src/gateways/crypto/crypto-payment-records';
import { createProduct } from '../../src/catalog/products';
import { restockSerials, writeVariant } from '../../src/catalog/variants';
import { type Config, loadConfig } from '../../src/config';
import type { Db } from '../../src/db/schema';
import { createInvoice } from '../../src/orders/create-invoice';
import { SecretBox } from '../../src/security/secret-box';
import { restoreDisputedInvoice, transitionInvoice } from '../../src/orders/invoice-transitions';
import { type OrderRef, OrderWorkflows } from '../../src/orders/order-workflow-client';
import { workflowIds } from '../../src/temporal/workflow-ids';
import {
  orderStateQuery,
  retryDynamicDeliveryUpdate,
  retryFulfillmentUpdate,
  sendFulfillmentNoticesUpdate,
  skipFulfillmentUpdate,
} from '../../src/temporal/contracts/order';
import { openEmbedded } from '../../src/db/connect';
import { migrateToLatest } from '../../src/db/migrate';
import { createLogger } from '../../src/logger';
import { installTemporalRuntimeLogger } from '../../src/temporal/runtime-logger';
import { resolveTemporalCli } from '../../src/tools/go-tools';
import { connectClient, connectWorker, type TemporalClient } from '../../src/temporal/connection';
import { freePort, startDevServer } from '../../src/temporal/dev-server';
import { createWorker } from '../../src/worker';

type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;

interface Scenario {
  name: string;
  /** Starts the workflow (and drives it); returns its id. */
  run(ctx: ScenarioContext): Promise<string>;
}

interface ScenarioContext {
  temporal: TemporalClient;
  taskQueue: string;
  db: Db;
  secrets: SecretBox;
  stripe: StripeBilling;
  paypal: PaypalFake;
  esplora: FakeEsplora;
  slack: FakeSlack;
  smtp: SmtpSink;
  crypto: Config['crypto'];
  community: Config['community'];
}

/** BIP84's test-vector account key: recorded addresses are the BIP's. */
const RECORDED_ZPUB = 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';

type Deliverable = Parameters<typeof writeVariant>[3]['deliverable'];

/**
 * A store with a variant whose stock runs out after one serial (or whose `deliverable` is given:
 * a seller's dynamic endpoint on loopback takes `allowHttpWebhooks`).
 */
async function orderFixture(
  db: Db,
  slug: string,
  {
    deliverable = { types: ['TEXT', 'MANUAL'], serials: 'ONE', comment: 'hi' },
    allowHttpWebhooks = false,
  }: { deliverable?: Deliverable; allowHttpWebhooks?: boolean } = {},
) {
  const created = await db.transaction().execute((trx) => createStore(trx, { slug }));
  const actor = { storeId: created.store.id, storeSlug: slug, livemode: true };
  if (allowHttpWebhooks) await db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', actor.storeId).execute();
  const variantId = await db.transaction().execute(async (trx) => {
    const productId = await createProduct(trx, actor, { title: 'Recorded' });
    return writeVariant(
      trx,
      actor,
      { productId },
      {
        priceCents: 100,
        currency: 'USD',
        paymentMethods: ['PAYPAL'],
        deliverable,
      },
    );
  });
  const invoice = async () => {
    const id = await db.transaction().execute((trx) =>
      createInvoice(trx, actor, {
        customerEmail: 'r@e.co',
        paymentMethod: 'PAYPAL',
        lines: [{ variantId, quantity: 1, additionalInformation: {} }],
      }),
    );
    return db.selectFrom('invoices').select(['id', 'store_id', 'status', 'expires_at']).where('id', '=', id).executeTakeFirstOrThrow();
  };
  return { actor, variantId, invoice };
}

async function pay(ctx: ScenarioContext, workflows: OrderWorkflows, invoice: OrderRef) {
  await ctx.db.transaction().execute((trx) => transitionInvoice(trx, invoice.id, 'PAID', { also: { paid_at: new Date() } }));
  await workflows.paymentReceived({ ...invoice, status: 'PAID' }, 'manual');
}

/** Until the order waits for ops on a failed step (its fulfillment Updates are taken only then). */
async function untilNeedsAttention(ctx: ScenarioContext, invoiceId: number) {
  for (let i = 0; i < 100; i += 1) {
    const row = await ctx.db.selectFrom('invoices').select('needs_attention').where('id', '=', invoiceId).executeTakeFirstOrThrow();
    if (row.needs_attention) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Invoice ${invoiceId} never needed attention`);
}

/**
 * A paid order of one dynamic item whose seller endpoint refuses (a 4xx is final at once): the
 * order waits for ops, who `act` on it (the endpoint answers from then on); run to its end.
 */
async function stuckDynamicOrderScenario(
  ctx: ScenarioContext,
  slug: string,
  act: (workflows: OrderWorkflows, invoice: OrderRef, stepId: number) => Promise<void>,
): Promise<string> {
  const seller = await startSellerEndpoint([{ status: 400, body: 'out of accounts' }]);
  try {
    const fixture = await orderFixture(ctx.db, slug, {
      deliverable: { types: ['DYNAMIC'], webhook: seller.url, stock: 10 },
      allowHttpWebhooks: true,
    });
    const invoice = await fixture.invoice();
    const workflows = new OrderWorkflows(ctx.temporal.client, ctx.taskQueue);
    await workflows.start(invoice);
    await pay(ctx, workflows, invoice);
    await untilNeedsAttention(ctx, invoice.id);
    seller.replies.push({ status: 200, body: 'account: recorded' });
    const step = await ctx.db.selectFrom('delivery_steps').select('id').where('invoice_id', '=', invoice.id).executeTakeFirstOrThrow();
    await act(workflows, invoice, step.id);
    await ctx.temporal.client.workflow.getHandle(workflowIds.order(invoice.id)).result();
    return workflowIds.order(invoice.id);
  } finally {
    await seller.close();
  }
}

/** Waits (10 s at most) until the order's workflow reports `phase`. */
async function untilOrderPhase(ctx: ScenarioContext, invoice: OrderRef, phase: string): Promise<void> {
  const handle = ctx.temporal.client.workflow.getHandle(workflowIds.order(invoice.id));
  for (let i = 0; i < 100 && (await handle.query(orderStateQuery)).phase !== phase; i += 1) await new Promise((r) => setTimeout(r, 100));
}

/** A receiver on loopback answering `status` to every webhook. */
async function receiver(status: number) {
  const server = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(status).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function webhookScenario(ctx: ScenarioContext, slug: string, status: number): Promise<string> {
  const target = await receiver(status);
  try {
    const created = await ctx.db.transaction().execute((trx) => createStore(trx, { slug }));
    await ctx.db
      .insertInto('webhook_endpoints')
      .values({
        store_id: created.store.id,
        livemode: true,
        url: target.url,
        description: null,
        events: ['product.created'],
        secret_sealed: ctx.secrets.seal('whsec_recorded'),
        paused_at: null,
        deleted_at: null,
      })
      .execute();
    await ctx.db
      .transaction()
      .execute((trx) => createProduct(trx, { storeId: created.store.id, storeSlug: slug, livemode: true }, { title: 'Hooked' }));
    for (let i = 0; i < 100; i += 1) {
      const delivery = await ctx.db
        .selectFrom('webhook_deliveries')
        .innerJoin('webhook_endpoints', 'webhook_endpoints.id', 'webhook_deliveries.endpoint_id')
        .select(['webhook_deliveries.event_id', 'webhook_deliveries.endpoint_id', 'webhook_deliveries.status'])
        .where('webhook_endpoints.store_id', '=', created.store.id)
        .executeTakeFirst();
      if (delivery && delivery.status !== 'pending') return workflowIds.webhookDelivery(delivery.event_id, delivery.endpoint_id);
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('The webhook was not delivered');
  } finally {
    await target.close();
  }
}

/** A paid subscription through the Stripe Billing fake, its events applied like the webhook does. */
async function subscriptionFixture(ctx: ScenarioContext, slug: string, periodSeconds: number) {
  const created = await ctx.db.transaction().execute((trx) => createStore(trx, { slug }));
  const actor = { storeId: created.store.id, storeSlug: slug, livemode: true };
  await ctx.db.updateTable('stores').set({ subscription_grace_seconds: 1 }).where('id', '=', actor.storeId).execute();
  await saveGatewaySettings(ctx.db, ctx.secrets, actor.storeId, 'STRIPE', true, {
    secret_key: 'sk_live_recorded',
    webhook_secret: 'whsec_recorded',
  });
  const variantId = await ctx.db.transaction().execute(async (trx) => {
    const productId = await createProduct(trx, actor, { title: 'Recorded plan' });
    return writeVariant(
      trx,
      actor,
      { productId },
      {
        priceCents: 500,
        currency: 'USD',
        paymentMethods: ['STRIPE'],
        deliverable: { types: ['LICENSE_KEY'] },
        pricingType: 'SUBSCRIPTION',
        frequency: { value: 1, interval: 'MONTH' },
      },
    );
  });
  const invoiceId = await ctx.db.transaction().execute((trx) =>
    createInvoice(trx, actor, {
      customerEmail: 's@e.co',
      paymentMethod: 'STRIPE',
      lines: [{ variantId, quantity: 1, additionalInformation: {} }],
    }),
  );
  const session = await new StripeGateway(ctx.stripe.url).createCheckoutSession('sk_live_recorded', {
    invoiceId,
    storeId: actor.storeId,
    currency: 'USD',
    lineItems: [{ name: 'plan', unitAmountCents: 500, quantity: 1 }],
    customerEmail: 's@e.co',
    successUrl: 'https://example.com/ok',
    cancelUrl: 'https://example.com/no',
    recurring: { interval: 'MONTH', intervalCount: 1 },
  });
  // Recorded as the checkout route does: its events are matched to the invoice by it.
  await recordCheckoutSession(ctx.db, invoiceId, session);
  const paid = ctx.stripe.completeCheckout(session.id, periodSeconds);
  const deliver = async (event: Stripe.Event) => {
    const outcome = await applyStripeEvent(ctx.db, actor.storeId, event);
    const row = await ctx.db
      .selectFrom('subscriptions')
      .select(['id', 'store_id', 'status'])
      .where('id', '=', outcome.subscriptionId!)
      .executeTakeFirstOrThrow();
    await subscriptionChanged(ctx.temporal.client, ctx.taskQueue, row, event.type);
    return row;
  };
  const row = await deliver(paid.events.checkoutCompleted);
  await deliver(paid.events.invoicePaid);
  return { id: row.id, stripeId: paid.subscriptionId, deliver };
}

/** What the workflow client needs of a subscription. */
const subscriptionRef = (ctx: ScenarioContext, id: number) =>
  ctx.db.selectFrom('subscriptions').select(['id', 'store_id', 'status']).where('id', '=', id).executeTakeFirstOrThrow();

/** A charge with its own webhook is paid; the relay hands the change to a chargeWebhook workflow. */
async function chargeWebhookScenario(ctx: ScenarioContext): Promise<string> {
  const target = await receiver(200);
  try {
    const created = await ctx.db.transaction().execute((trx) => createStore(trx, { slug: 'recorded-charge' }));
    const chargeId = await ctx.db.transaction().execute((trx) =>
      createCharge(
        trx,
        { id: created.store.id, livemode: true },
        {
          email: 'c@e.co',
          returnUrl: 'https://example.com/r',
          webhook: target.url,
          currency: 'USD',
          totalCents: 100,
          paymentMethods: ['PAYPAL'],
        },
      ),
    );
    await ctx.db.transaction().execute((trx) => transitionInvoice(trx, chargeId, 'PAID', { also: { paid_at: new Date() } }));
    const event = await ctx.db
      .selectFrom('events')
      .select('id')
      .where('type', '=', 'charge.updated')
      .where('store_id', '=', created.store.id)
      .executeTakeFirstOrThrow();
    const workflowId = `charge-webhook-${event.id}`;
    for (let i = 0; i < 100; i += 1) {
      try {
        await ctx.temporal.client.workflow.getHandle(workflowId).result();
        return workflowId;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error('The charge webhook was not delivered');
  } finally {
    await target.close();
  }
}

/**
 * A Slack channel sold by a variant, bought by a customer who joins the workspace late; ops
 * then revoke the grant. Returns the invoice and its grant.
 */
async function slackGrantScenario(ctx: ScenarioContext, slug: string) {
  const services = { db: ctx.db, secrets: ctx.secrets, config: ctx.community };
  const fixture = await orderFixture(ctx.db, slug);
  const channel = `C${slug
    .replace(/[^a-z]/g, '')
    .toUpperCase()
    .slice(0, 9)}`;
  ctx.slack.addChannel({ id: channel, name: slug, appIsMember: true });
  await connectPlatform(services, fixture.actor.storeId, {
    platform: 'slack',
    token: ctx.slack.token,
    invite_url: 'https://join.slack.com/t/recorded/shared_invite/zt-1',
  });
  const space = await addSpace(services, fixture.actor.storeId, 'slack', channel);
  await setVariantAccess(ctx.db, fixture.actor.storeId, fixture.variantId, [
    { space_id: space.id, role_ids: [], linking_required: false, remove_on_expiry: true, remove_on_pause: false },
  ]);
  const workflows = new OrderWorkflows(ctx.temporal.client, ctx.taskQueue);
  const invoice = await fixture.invoice();
  await workflows.start(invoice);
  await pay(ctx, workflows, invoice);
  const grantStatus = async () =>
    (await ctx.db.selectFrom('community_grants').select(['id', 'status']).where('invoice_id', '=', invoice.id).executeTakeFirst()) ?? {
      id: 0,
      status: 'none',
    };
  const until = async (status: string) => {
    for (let i = 0; i < 200 && (await grantStatus()).status !== status; i += 1) await new Promise((r) => setTimeout(r, 100));
    return grantStatus();
  };
  await until('awaiting_customer');
  ctx.slack.joinWorkspace({ email: 'r@e.co', name: 'Recorded' });
  const grant = await until('granted');
  await ctx.db.transaction().execute((trx) => requestGrantRevocation(trx, { invoiceId: invoice.id, grantId: grant.id }, 'ops'));
  await ctx.temporal.client.workflow.getHandle(workflowIds.communityGrant(grant.id)).result();
  return { invoiceId: invoice.id, grantId: grant.id };
}

/**
 * A paid order and a refund of it through its workflow: PAYPAL (by hand), or STRIPE paid through
 * the fake's Checkout with its first refund calls failing so the gateway activity is retried, or
 * (`refused`) with Stripe refusing the refund so nothing goes back.
 */
async function refundScenario(
  ctx: ScenarioContext,
  slug: string,
  method: 'PAYPAL' | 'STRIPE',
  stripeRefund: 'retried' | 'refused' = 'retried',
): Promise<string> {
  const created = await ctx.db.transaction().execute((trx) => createStore(trx, { slug }));
  const actor = { storeId: created.store.id, storeSlug: slug, livemode: true };
  await saveGatewaySettings(ctx.db, ctx.secrets, actor.storeId, 'STRIPE', true, {
    secret_key: 'sk_live_recorded',
    webhook_secret: 'whsec_r',
  });
  const variantId = await ctx.db.transaction().execute(async (trx) => {
    const productId = await createProduct(trx, actor, { title: 'Recorded refund' });
    return writeVariant(
      trx,
      actor,
      { productId },
      { priceCents: 700, currency: 'USD', paymentMethods: [method], deliverable: { types: ['LICENSE_KEY'] } },
    );
  });
  const invoiceId = await ctx.db.transaction().execute((trx) =>
    createInvoice(trx, actor, {
      customerEmail: 'r@e.co',
      paymentMethod: method,
      lines: [{ variantId, quantity: 1, additionalInformation: {} }],
    }),
  );
  if (method === 'STRIPE') {
    const session = await new StripeGateway(ctx.stripe.url).createCheckoutSession('sk_live_recorded', {
      invoiceId,
      storeId: actor.storeId,
      currency: 'USD',
      lineItems: [{ name: 'refunded', unitAmountCents: 700, quantity: 1 }],
      customerEmail: 'r@e.co',
      successUrl: 'https://example.com/ok',
      cancelUrl: 'https://example.com/no',
    });
    await recordCheckoutSession(ctx.db, invoiceId, session);
    const { paymentIntent } = ctx.stripe.payCheckout(session.id);
    await recordStripePayment(ctx.db, invoiceId, session.id, paymentIntent);
    if (stripeRefund === 'refused')
      // A 400 is final (RefundRefused): the workflow records the refund failed.
      ctx.stripe.failRequests('/v1/refunds', {
        status: 400,
        body: { error: { type: 'invalid_request_error', code: 'charge_already_refunded', message: 'Charge has already been refunded.' } },
      });
    // The SDK's own three tries all fail: the activity is retried.
    else ctx.stripe.failRequests('/v1/refunds', { status: 500 }, 3);
  }
  await ctx.db.transaction().execute((trx) => transitionInvoice(trx, invoiceId, 'PAID', { also: { paid_at: new Date() } }));
  const { refundId } = await ctx.db
    .transaction()
    .execute((trx) => requestRefund(trx, { storeId: actor.storeId, livemode: true, invoiceId }, { reason: 'recorded' }));
  await startRefundWorkflow(ctx.temporal.client, ctx.taskQueue, refundId);
  await ctx.temporal.client.workflow.getHandle(workflowIds.refund(refundId)).result();
  return workflowIds.refund(refundId);
}

/**
 * An approved PayPal order captured by its workflow; `prepare` sets what PayPal will do with the
 * capture, `meanwhile` acts on PayPal's side while the workflow runs. A capture that fails for good
 * fails the workflow (its history is what is recorded).
 */
async function paypalCaptureScenario(
  ctx: ScenarioContext,
  slug: string,
  prepare: (orderId: string) => void,
  meanwhile: (orderId: string) => Promise<void> = async () => {},
): Promise<string> {
  const created = await ctx.db.transaction().execute((trx) => createStore(trx, { slug }));
  const actor = { storeId: created.store.id, storeSlug: slug, livemode: true };
  const app = { clientId: 'AZrecordedLive01', clientSecret: 'ELrecordedLive01', mode: 'live' as const };
  ctx.paypal.addApp(app);
  await saveGatewaySettings(ctx.db, ctx.secrets, actor.storeId, 'PAYPAL', true, {
    client_id: app.clientId,
    client_secret: app.clientSecret,
  });
  const variantId = await ctx.db.transaction().execute(async (trx) => {
    const productId = await createProduct(trx, actor, { title: 'Recorded PayPal' });
    return writeVariant(
      trx,
      actor,
      { productId },
      { priceCents: 900, currency: 'USD', paymentMethods: ['PAYPAL'], deliverable: { types: ['LICENSE_KEY'] } },
    );
  });
  const invoiceId = await ctx.db.transaction().execute((trx) =>
    createInvoice(trx, actor, {
      customerEmail: 'p@e.co',
      paymentMethod: 'PAYPAL',
      lines: [{ variantId, quantity: 1, additionalInformation: {} }],
    }),
  );
  const invoice = await ctx.db.selectFrom('invoices').selectAll().where('id', '=', invoiceId).executeTakeFirstOrThrow();
  const deps = { db: ctx.db, paypal: new PaypalGateway(ctx.paypal.url), secrets: ctx.secrets, publicBaseUrl: 'http://localhost:3000' };
  await openPaypalOrder(deps, { slug }, invoice, 'http://localhost:3000/done');
  const orderId = [...ctx.paypal.state.orders.values()].at(-1)!.id;
  ctx.paypal.approve(orderId);
  prepare(orderId);
  await startPaypalCapture(ctx.temporal.client, ctx.taskQueue, { invoiceId, orderId });
  const handle = ctx.temporal.client.workflow.getHandle(workflowIds.paypalCapture(invoiceId));
  await Promise.all([handle.result().catch(() => undefined), meanwhile(orderId)]);
  return workflowIds.paypalCapture(invoiceId);
}

const scenarios: Scenario[] = [
  {
    // An approved PayPal order captured by its workflow, the first reply lost so the capture activity is retried.
    name: 'paypal-capture-retried',
    run: (ctx) =>
      paypalCaptureScenario(ctx, 'recorded-paypal', (orderId) => ctx.paypal.loseReplies(`/v2/checkout/orders/${orderId}/capture`, 1)),
  },
  {
    // PayPal holds the capture (pending) and sends no webhook: the workflow asks PayPal until it completes it.
    name: 'paypal-capture-pending-then-checked',
    run: (ctx) =>
      paypalCaptureScenario(
        ctx,
        'recorded-paypal-pending',
        (orderId) => ctx.paypal.captureWill(orderId, { status: 'PENDING', reason: 'PENDING_REVIEW' }),
        async (orderId) => {
          // Completed after the workflow's first check found it still pending, so it waits on a timer once.
          const asked = () => ctx.paypal.requests.some((r) => r.method === 'GET' && r.path.startsWith('/v2/payments/captures/'));
          while (!asked()) await new Promise((r) => setTimeout(r, 50));
          ctx.paypal.completeCapture(ctx.paypal.state.orders.get(orderId)!.captureId!);
        },
      ),
  },
  {
    // PayPal refuses the capture for good (the card declined): the invoice hears why, the workflow fails.
    name: 'paypal-capture-declined',
    run: (ctx) =>
      paypalCaptureScenario(ctx, 'recorded-paypal-declined', (orderId) =>
        ctx.paypal.captureWill(orderId, { status: 'INSTRUMENT_DECLINED' }),
      ),
  },
  {
    // A PayPal order refunded, PayPal holding the refund (an eCheck) and sending no webhook: the
    // refund workflow asks PayPal on a timer until it completes it, then it takes effect.
    name: 'refund-paypal-pending-then-checked',
    run: async (ctx) => {
      await paypalCaptureScenario(ctx, 'recorded-paypal-refund', () => {});
      const invoice = await ctx.db.selectFrom('invoices').select(['id', 'store_id', 'gateway']).executeTakeFirstOrThrow();
      const captureId = (invoice.gateway as { data: { transaction_id: string } }).data.transaction_id;
      ctx.paypal.refundWill(captureId, { status: 'PENDING', reason: 'ECHECK' });
      const { refundId } = await ctx.db
        .transaction()
        .execute((trx) => requestRefund(trx, { storeId: invoice.store_id, livemode: true, invoiceId: invoice.id }, { reason: 'recorded' }));
      await startRefundWorkflow(ctx.temporal.client, ctx.taskQueue, refundId);
      // Completed after the workflow's first check found it still pending, so it waits on a timer once.
      const asked = () => ctx.paypal.requests.some((r) => r.method === 'GET' && r.path.startsWith('/v2/payments/refunds/'));
      while (!asked()) await new Promise((r) => setTimeout(r, 50));
      ctx.paypal.completeRefund(ctx.paypal.state.refunds.find((r) => r.captureId === captureId)!.id);
      await ctx.temporal.client.workflow.getHandle(workflowIds.refund(refundId)).result();
      return workflowIds.refund(refundId);
    },
  },
  { name: 'refund-by-hand', run: (ctx) => refundScenario(ctx, 'recorded-refund-manual', 'PAYPAL') },
  { name: 'refund-stripe-retried', run: (ctx) => refundScenario(ctx, 'recorded-refund-stripe', 'STRIPE') },
  { name: 'refund-stripe-refused', run: (ctx) => refundScenario(ctx, 'recorded-refund-refused', 'STRIPE', 'refused') },
  {
    // Waits for the customer to join the workspace, grants, then ops revoke.
    name: 'community-grant-joined-late-then-revoked',
    run: async (ctx) => workflowIds.communityGrant((await slackGrantScenario(ctx, 'recorded-grant')).grantId),
  },
  {
    // An order whose variant sells community access: completes after starting its grant.
    name: 'order-with-community-grant',
    run: async (ctx) => workflowIds.order((await slackGrantScenario(ctx, 'recorded-order-grant')).invoiceId),
  },
  { name: 'charge-webhook', run: (ctx) => chargeWebhookScenario(ctx) },
  {
    // Renewed once, then unpaid: expires after the grace window, revokes, stops Stripe billing.
    name: 'subscription-renewed-then-expired',
    async run(ctx) {
      const sub = await subscriptionFixture(ctx, 'recorded-sub-expiry', 2);
      const renewal = ctx.stripe.renew(sub.stripeId);
      await sub.deliver(renewal.events.invoice);
      await ctx.temporal.client.workflow.getHandle(workflowIds.subscription(sub.id)).result();
      return workflowIds.subscription(sub.id);
    },
  },
  {
    // Canceled now with a full refund; Stripe's deletion confirms it.
    name: 'subscription-canceled-now',
    async run(ctx) {
      const sub = await subscriptionFixture(ctx, 'recorded-sub-cancel', 3600);
      await ctx.db.transaction().execute((trx) => requestCancellation(trx, sub.id, { cancelAtPeriodEnd: false, refundLastPayment: true }));
      const row = await subscriptionRef(ctx, sub.id);
      await subscriptionChanged(ctx.temporal.client, ctx.taskQueue, row, 'cancel_requested');
      for (let i = 0; i < 100 && ctx.stripe.subscription(sub.stripeId)!.status !== 'canceled'; i += 1)
        await new Promise((r) => setTimeout(r, 100));
      await sub.deliver(ctx.stripe.deletedEvent(sub.stripeId));
      await ctx.temporal.client.workflow.getHandle(workflowIds.subscription(sub.id)).result();
      return workflowIds.subscription(sub.id);
    },
  },
  {
    // Canceled at period end (the action): Stripe is told, access lasts the short period, then ends.
    name: 'subscription-canceled-at-period-end',
    async run(ctx) {
      const sub = await subscriptionFixture(ctx, 'recorded-sub-period-end', 4);
      const row = await subscriptionRef(ctx, sub.id);
      await takeSubscriptionAction(ctx.temporal.client, ctx.taskQueue, row, {
        action: 'cancel_at_period_end',
        requestKey: 'recorded-period-end',
        actor: 'customer',
      });
      await ctx.temporal.client.workflow.getHandle(workflowIds.subscription(sub.id)).result();
      return workflowIds.subscription(sub.id);
    },
  },
  {
    // A renewal paid: its receipt goes to the buyer in a buyerNotice workflow (the relay starts it too: once).
    name: 'buyer-notice-renewal-receipt',
    async run(ctx) {
      const sub = await subscriptionFixture(ctx, 'recorded-renewal-receipt', 3600);
      await sub.deliver(ctx.stripe.renew(sub.stripeId).events.invoice);
      const payment = await ctx.db
        .selectFrom('subscription_payments as p')
        .innerJoin('subscriptions as s', 's.id', 'p.subscription_id')
        .select(['p.id', 's.invoice_id'])
        .where('p.subscription_id', '=', sub.id)
        .orderBy('p.period_start', 'desc')
        .executeTakeFirstOrThrow();
      const notice = { kind: 'renewal_receipt' as const, paymentId: payment.id };
      await startBuyerNotice(ctx.temporal.client, ctx.taskQueue, payment.invoice_id, notice);
      const workflowId = workflowIds.buyerNotice(payment.invoice_id, buyerNoticeKey(notice));
      await ctx.temporal.client.workflow.getHandle(workflowId).result();
      return workflowId;
    },
  },
  {
    name: 'subscription-paused-resumed-canceled',
    async run(ctx) {
      const sub = await subscriptionFixture(ctx, 'recorded-sub-actions', 3600);
      const row = await subscriptionRef(ctx, sub.id);
      // Each action an Update the workflow takes between its rounds; the last one ends it.
      for (const action of ['pause', 'resume', 'cancel_immediately'] as const)
        await takeSubscriptionAction(ctx.temporal.client, ctx.taskQueue, row, {
          action,
          requestKey: `recorded-${action}`,
          actor: 'seller',
        });
      await sub.deliver(ctx.stripe.deletedEvent(sub.stripeId));
      await ctx.temporal.client.workflow.getHandle(workflowIds.subscription(sub.id)).result();
      return workflowIds.subscription(sub.id);
    },
  },
  {
    name: 'subscription-card-update-then-canceled',
    async run(ctx) {
      const sub = await subscriptionFixture(ctx, 'recorded-sub-card', 3600);
      const row = await subscriptionRef(ctx, sub.id);
      await paymentMethodUpdatePage(ctx.temporal.client, ctx.taskQueue, row, { requestKey: 'recorded-card' });
      await takeSubscriptionAction(ctx.temporal.client, ctx.taskQueue, row, {
        action: 'cancel_immediately',
        requestKey: 'recorded-cancel',
        actor: 'customer',
      });
      await sub.deliver(ctx.stripe.deletedEvent(sub.stripeId));
      await ctx.temporal.client.workflow.getHandle(workflowIds.subscription(sub.id)).result();
      return workflowIds.subscription(sub.id);
    },
  },
  {
    // change-plan and change-renewal-date: each a preview beside the loop, then its confirm as an action.
    name: 'subscription-plan-and-renewal-changed-then-canceled',
    async run(ctx) {
      const sub = await subscriptionFixture(ctx, 'recorded-sub-changes', 3600);
      const row = await subscriptionRef(ctx, sub.id);
      const current = await ctx.db
        .selectFrom('subscriptions as s')
        .innerJoin('product_variants as v', 'v.id', 's.product_variant_id')
        .select(['v.product_id', 'v.store_id'])
        .where('s.id', '=', sub.id)
        .executeTakeFirstOrThrow();
      const actor = { storeId: current.store_id, storeSlug: 'recorded-sub-changes', livemode: true };
      const pro = await ctx.db.transaction().execute((trx) =>
        writeVariant(
          trx,
          actor,
          { productId: current.product_id },
          {
            priceCents: 900,
            currency: 'USD',
            paymentMethods: ['STRIPE'],
            deliverable: { types: ['LICENSE_KEY'] },
            pricingType: 'SUBSCRIPTION',
            frequency: { value: 1, interval: 'MONTH' },
          },
        ),
      );
      const client = ctx.temporal.client;
      const plan = await previewSubscriptionChange(client, ctx.taskQueue, row, {
        action: 'change_plan',
        requestKey: 'recorded-plan-preview',
        actor: 'customer',
        targetVariantId: pro,
      });
      await takeSubscriptionAction(client, ctx.taskQueue, row, {
        action: 'change_plan',
        requestKey: 'recorded-plan',
        actor: 'customer',
        previewToken: plan.preview_token,
      });
      const renewalDate = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
      const shift = await previewSubscriptionChange(client, ctx.taskQueue, row, {
        action: 'shift_billing_date',
        requestKey: 'recorded-renewal-preview',
        actor: 'seller',
        renewalDate,
      });
      await takeSubscriptionAction(client, ctx.taskQueue, row, {
        action: 'shift_billing_date',
        requestKey: 'recorded-renewal',
        actor: 'seller',
        previewToken: shift.preview_token,
      });
      await takeSubscriptionAction(client, ctx.taskQueue, row, {
        action: 'cancel_immediately',
        requestKey: 'recorded-cancel',
        actor: 'seller',
      });
      await sub.deliver(ctx.stripe.deletedEvent(sub.stripeId));
      await client.workflow.getHandle(workflowIds.subscription(sub.id)).result();
      return workflowIds.subscription(sub.id);
    },
  },
  {
    name: 'subscription-reconciliation',
    async run(ctx) {
      await ctx.temporal.client.workflow.execute('subscriptionReconciliation', {
        taskQueue: ctx.taskQueue,
        workflowId: 'subscription-reconciliation-recorded',
        args: [{ trigger: 'recorded' }],
      });
      return 'subscription-reconciliation-recorded';
    },
  },
  {
    name: 'affiliate-payout-cycle',
    async run(ctx) {
      const created = await ctx.db.transaction().execute((trx) => createStore(trx, { slug: 'recorded-affiliates' }));
      const workflowId = `payouts-${created.store.id}-recorded`;
      // No time given, as a schedule starts it: the run finds its own.
      await ctx.temporal.client.workflow.execute('affiliatePayoutCycle', {
        taskQueue: ctx.taskQueue,
        workflowId,
        args: [{ storeId: created.store.id, trigger: 'schedule' }],
      });
      return workflowId;
    },
  },
  {
    // Underpaid, topped up, confirmed: PARTIAL on the way, then paid and the order told.
    name: 'crypto-payment-topped-up',
    async run(ctx) {
      const slug = 'recorded-crypto';
      const created = await ctx.db.transaction().execute((trx) => createStore(trx, { slug }));
      const actor = { storeId: created.store.id, storeSlug: slug, livemode: true };
      await saveGatewaySettings(ctx.db, ctx.secrets, actor.storeId, 'BTC', true, { xpub: RECORDED_ZPUB });
      const variantId = await ctx.db.transaction().execute(async (trx) => {
        const productId = await createProduct(trx, actor, { title: 'Recorded crypto' });
        return writeVariant(
          trx,
          actor,
          { productId },
          { priceCents: 1000, currency: 'USD', paymentMethods: ['BTC'], deliverable: { types: ['MANUAL'], comment: 'hi' } },
        );
      });
      const id = await ctx.db.transaction().execute((trx) =>
        createInvoice(trx, actor, {
          customerEmail: 'r@e.co',
          paymentMethod: 'BTC',
          lines: [{ variantId, quantity: 1, additionalInformation: {} }],
        }),
      );
      const invoice = await ctx.db.selectFrom('invoices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      await new OrderWorkflows(ctx.temporal.client, ctx.taskQueue).start(invoice);
      await openCryptoPayment(ctx.db, ctx.secrets, ctx.crypto, invoice);
      const { address } = await ctx.db
        .selectFrom('crypto_payments')
        .select('address')
        .where('invoice_id', '=', id)
        .executeTakeFirstOrThrow();
      await startCryptoPaymentWorkflow(ctx.temporal.client, ctx.taskQueue, ctx.crypto, id, await cryptoAcceptanceOf(ctx.db, id));
      ctx.esplora.pay(address, 5_000, { confirmed: true });
      await new Promise((r) => setTimeout(r, 1500));
      ctx.esplora.pay(address, 15_000, { confirmed: true });
      await ctx.temporal.client.workflow.getHandle(workflowIds.cryptoPayment(id)).result();
      return workflowIds.cryptoPayment(id);
    },
  },
  { name: 'webhook-delivered', run: (ctx) => webhookScenario(ctx, 'recorded-hook-ok', 200) },
  { name: 'webhook-refused', run: (ctx) => webhookScenario(ctx, 'recorded-hook-410', 410) },
  {
    name: 'ping',
    async run(ctx) {
      await ctx.temporal.client.workflow.execute('ping', { taskQueue: ctx.taskQueue, workflowId: 'ping', args: ['recorded'] });
      return 'ping';
    },
  },
  {
    // Paid, one step out of stock, restocked, retried (the fulfillment Update; order-retried-by-signal
    // has the signal it replaced), completed.
    name: 'order-retried',
    async run(ctx) {
      const workflows = new OrderWorkflows(ctx.temporal.client, ctx.taskQueue);
      const fixture = await orderFixture(ctx.db, 'recorded-retry');
      const first = await fixture.invoice();
      const second = await fixture.invoice();
      await workflows.start(first);
      await pay(ctx, workflows, first);
      await ctx.temporal.client.workflow.getHandle(workflowIds.order(first.id)).result();
      await workflows.start(second);
      await pay(ctx, workflows, second);
      await untilNeedsAttention(ctx, second.id);
      await ctx.db.transaction().execute((trx) => restockSerials(trx, fixture.actor, fixture.variantId, { serials: 'TWO' }));
      await workflows.fulfillment(second, retryFulfillmentUpdate, {});
      await ctx.temporal.client.workflow.getHandle(workflowIds.order(second.id)).result();
      return workflowIds.order(second.id);
    },
  },
  {
    // Stuck on a refused dynamic step: ops re-send the notices (an Update running an activity), then skip the step.
    name: 'order-notices-resent-then-skipped',
    run: (ctx) =>
      stuckDynamicOrderScenario(ctx, 'recorded-notices-skip', async (workflows, invoice) => {
        await workflows.fulfillment(invoice, sendFulfillmentNoticesUpdate, {});
        await workflows.fulfillment(invoice, skipFulfillmentUpdate, {});
      }),
  },
  {
    // Stuck on a refused dynamic step; the seller's endpoint fixed, the API retries that step.
    name: 'order-dynamic-delivery-retried',
    run: (ctx) =>
      stuckDynamicOrderScenario(ctx, 'recorded-dynamic-retry', async (workflows, invoice, stepId) => {
        await workflows.fulfillment(invoice, retryDynamicDeliveryUpdate, { stepId });
      }),
  },
  {
    // Stuck on a refused dynamic step, the order is refunded whole: the outbox tells it, its delivery ends (outcome refunded).
    name: 'order-refunded-while-stuck',
    run: (ctx) =>
      stuckDynamicOrderScenario(ctx, 'recorded-stuck-refunded', async (workflows, invoice) => {
        await ctx.db.transaction().execute((trx) => transitionInvoice(trx, invoice.id, 'REFUNDED'));
        await workflows.saleChanged(invoice, 'REFUNDED');
      }),
  },
  {
    // Stuck on a refused dynamic step, the order is disputed (the workflow waits, unflagged), the
    // dispute is won (it waits for ops again), ops retry: delivered, the order completes.
    name: 'order-disputed-then-won-while-stuck',
    run: (ctx) =>
      stuckDynamicOrderScenario(ctx, 'recorded-stuck-disputed', async (workflows, invoice) => {
        const untilPhase = (phase: string) => untilOrderPhase(ctx, invoice, phase);
        await ctx.db.transaction().execute((trx) => transitionInvoice(trx, invoice.id, 'DISPUTING'));
        await workflows.saleChanged(invoice, 'DISPUTING');
        await untilPhase('disputed');
        await ctx.db.transaction().execute((trx) => transitionInvoice(trx, invoice.id, 'COMPLETED'));
        await workflows.saleChanged(invoice, 'COMPLETED');
        await untilPhase('needs_attention');
        await workflows.fulfillment(invoice, retryFulfillmentUpdate, {});
      }),
  },
  {
    // Stuck on a refused dynamic step, the order is disputed before its workflow hears of it (the
    // news left in the outbox); ops retry: the step meets the dispute, hands nothing over and waits,
    // pending; the dispute is won (PAID again): the step delivers, the order completes.
    name: 'order-step-held-by-dispute-then-won',
    run: (ctx) =>
      stuckDynamicOrderScenario(ctx, 'recorded-step-held', async (workflows, invoice) => {
        await ctx.db.transaction().execute(async (trx) => {
          await transitionInvoice(trx, invoice.id, 'DISPUTING');
          await trx
            .updateTable('engine_intents')
            .set({ delivered_at: new Date() })
            .where('kind', '=', 'order.sale_changed')
            .where('subject_id', '=', invoice.id)
            .execute();
        });
        await workflows.fulfillment(invoice, retryFulfillmentUpdate, {});
        await untilOrderPhase(ctx, invoice, 'disputed');
        await ctx.db.transaction().execute((trx) => restoreDisputedInvoice(trx, invoice.id));
        await workflows.saleChanged(invoice, 'PAID');
      }),
  },
  {
    // Delivered, but the SMTP server refuses the buyer's e-mail (550, final): the order stays COMPLETED, flagged.
    name: 'order-delivery-email-failed',
    async run(ctx) {
      const workflows = new OrderWorkflows(ctx.temporal.client, ctx.taskQueue);
      const invoice = await (await orderFixture(ctx.db, 'recorded-email-refused')).invoice();
      await workflows.start(invoice);
      ctx.smtp.control.refusing = true;
      try {
        await pay(ctx, workflows, invoice);
        await ctx.temporal.client.workflow.getHandle(workflowIds.order(invoice.id)).result();
      } finally {
        ctx.smtp.control.refusing = false;
      }
      return workflowIds.order(invoice.id);
    },
  },
  {
    // An unpaid checkout in a store that reminds: each reminder goes out after its own timer ("hours" of 1 s here).
    name: 'checkout-reminders-finished',
    async run(ctx) {
      const fixture = await orderFixture(ctx.db, 'recorded-reminders');
      const abandonedCart = { ...ABANDONED_CART_OFF, enabled: true, reminders: [{ after_hours: 2 }, { after_hours: 4 }] };
      await ctx.db
        .updateTable('stores')
        .set({ abandoned_cart: JSON.stringify(abandonedCart) })
        .where('id', '=', fixture.actor.storeId)
        .execute();
      const invoice = await fixture.invoice();
      // The relay starts it too, from the invoice's intent: one run either way.
      await startCheckoutReminders(ctx.temporal.client, ctx.taskQueue, invoice.id);
      await ctx.temporal.client.workflow.getHandle(workflowIds.checkoutReminders(invoice.id)).result();
      return workflowIds.checkoutReminders(invoice.id);
    },
  },
  {
    name: 'order-voided',
    async run(ctx) {
      const workflows = new OrderWorkflows(ctx.temporal.client, ctx.taskQueue);
      const invoice = await (await orderFixture(ctx.db, 'recorded-void')).invoice();
      await workflows.start(invoice);
      await ctx.db.transaction().execute((trx) => transitionInvoice(trx, invoice.id, 'VOIDED'));
      await workflows.voidRequested(invoice);
      await ctx.temporal.client.workflow.getHandle(workflowIds.order(invoice.id)).result();
      return workflowIds.order(invoice.id);
    },
  },
  {
    name: 'order-expired',
    async run(ctx) {
      const workflows = new OrderWorkflows(ctx.temporal.client, ctx.taskQueue);
      const invoice = await (await orderFixture(ctx.db, 'recorded-expiry')).invoice();
      await workflows.start({ ...invoice, expires_at: new Date(Date.now() + 1000) });
      await ctx.temporal.client.workflow.getHandle(workflowIds.order(invoice.id)).result();
      return workflowIds.order(invoice.id);
    },
  },
  {
    // Recorded with the relay that polled once a second (before 'relay-waits-for-news'): its runs must still replay.
    name: 'event-dispatcher-polling-before-news',
    async run(ctx) {
      await recordEvent(ctx.db, {
        storeId: (await orderFixture(ctx.db, 'recorded-polling')).actor.storeId,
        livemode: true,
        type: 'product.created',
        data: { id: 1 },
      });
      await new Promise((r) => setTimeout(r, 3_000));
      return workflowIds.eventDispatcher(ctx.taskQueue);
    },
  },
  {
    // The relay asleep, woken by news (an event and an unpaid invoice expiring), asleep again.
    name: 'event-dispatcher-woken-by-news',
    async run(ctx) {
      const relayAsleep = async () => {
        for (let waited = 0; waited < 30_000; waited += 100) {
          const row = await ctx.db.selectFrom('relay_state').select('sleeping').where('task_queue', '=', ctx.taskQueue).executeTakeFirst();
          const pending = await ctx.db.selectFrom('events').select('id').where('dispatched_at', 'is', null).executeTakeFirst();
          if (row?.sleeping && !pending) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('the relay never slept');
      };
      const fixture = await orderFixture(ctx.db, 'recorded-relay');
      await relayAsleep();
      const invoice = await fixture.invoice();
      await ctx.db
        .updateTable('invoices')
        .set({ expires_at: new Date(Date.now() + 1000) })
        .where('id', '=', invoice.id)
        .execute();
      await recordEvent(ctx.db, { storeId: invoice.store_id, livemode: true, type: 'product.created', data: { id: 1 } });
      for (let waited = 0; waited < 30_000; waited += 100) {
        const row = await ctx.db.selectFrom('invoices').select('status').where('id', '=', invoice.id).executeTakeFirstOrThrow();
        if (row.status === 'VOIDED') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await relayAsleep();
      return workflowIds.eventDispatcher(ctx.taskQueue);
    },
  },
];

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-record-'));
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !scenarios.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`No scenario named ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
  const stripe = await startStripeBilling();
  const paypal = await startPaypalFake();
  const esplora = await startEsplora();
  const slack = await startSlack();
  const smtp = await startSmtpSink();
  const config = loadConfig({
    ...process.env,
    SELLFLOW_DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    STRIPE_API_BASE: stripe.url,
    PAYPAL_API_URL: paypal.url,
    SUBSCRIPTION_CANCEL_CONFIRM_SECONDS: '60',
    SUBSCRIPTION_RENEWAL_CHECK_SECONDS: '1',
    SUBSCRIPTION_RENEWAL_LEEWAY_SECONDS: '1',
    CRYPTO_BTC_API_URL: esplora.url,
    CRYPTO_FIXED_RATES: '{"BTC":{"USD":50000}}',
    CRYPTO_CONFIRMATIONS: '{"BTC":1}',
    CRYPTO_POLL_SECONDS: '0.5',
    SLACK_API_URL: slack.url,
    SMTP_URL: smtp.url,
    CHECKOUT_REMINDER_HOUR_SECONDS: '1',
    COMMUNITY_CHECK_SECONDS: '0.3',
    COMMUNITY_CHECK_MAX_SECONDS: '1',
    PAYPAL_CAPTURE_CHECK_SECONDS: '0.5',
    PAYPAL_CAPTURE_CHECK_MAX_SECONDS: '1',
  });
  installTemporalRuntimeLogger(createLogger('warn'));
  const cli = await resolveTemporalCli({ configuredPath: config.temporal.cliPath, searchPath: config.temporal.searchPath });
  const dev = await startDevServer({
    binary: cli.path,
    port: await freePort(),
    uiPort: null,
    dbFile: path.join(dir, 't.sqlite'),
    namespace: 'default',
    logFile: path.join(dir, 't.log'),
  });
  const database = await openEmbedded(path.join(dir, 'pglite'), { own: true });
  await migrateToLatest(database.db);
  const connection = await connectWorker(config, dev.address);
  const taskQueue = 'record-histories';
  const worker = await createWorker({ config, db: database.db, connection, logger: createLogger('warn'), taskQueue });
  const temporal = await connectClient(config, dev.address);
  const out = path.join(__dirname, 'histories');
  fs.mkdirSync(out, { recursive: true });
  try {
    await worker.runUntil(async () => {
      for (const scenario of scenarios.filter((s) => only.length === 0 || only.includes(s.name))) {
        const workflowId = await scenario.run({
          temporal,
          taskQueue,
          db: database.db,
          secrets: SecretBox.fromConfig(config.secrets),
          stripe,
          paypal,
          esplora,
          slack,
          smtp,
          crypto: config.crypto,
          community: config.community,
        });
        const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
        // The file name carries the workflow id the replayer needs: <scenario>--<workflowId>.json
        fs.writeFileSync(
          path.join(out, `${scenario.name}--${workflowId}.json`),
          JSON.stringify(JSON.parse(historyToJSON(history)), null, 2) + '\n',
        );
        process.stdout.write(`recorded ${scenario.name} (${history.events?.length ?? 0} events)\n`);
      }
    });
  } catch (error) {
    // Said before the clean-up below, which can wait on a fake's open connections.
    process.stderr.write(`recording failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    throw error;
  } finally {
    await temporal.close();
    await connection.close();
    await database.close();
    await dev.stop();
    await stripe.close();
    await paypal.close();
    await esplora.close();
    await slack.close();
    await smtp.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
