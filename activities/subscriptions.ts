import { requestGrantRevocation } from '../src/community/grant-records';
import { sql } from 'kysely';
import Stripe from 'stripe';
import type { Db } from '../src/db/schema';
import { hasEnded, nextStep } from '../src/domain/subscription-lifecycle';
import { recordEvent } from '../src/events/record';
import { GatewayError } from '../src/gateways/gateway-error';
import type { PaypalGateway } from '../src/gateways/paypal/paypal-gateway';
import { NoPaymentToRefundError, type ProviderSubscription, type StripeGateway } from '../src/gateways/stripe-gateway';
import type { SecretBox } from '../src/security/secret-box';
import { sendBuyerNotice } from '../src/orders/buyer-notices';
import { StripeNotConfiguredError, stripeSecretKey } from '../src/subscriptions/stripe-key';
import { recordRenewal } from '../src/subscriptions/stripe-subscription-events';
import { capabilitiesOf } from '../src/subscriptions/capabilities';
import type { PaypalSubscription } from '../src/gateways/paypal/subscriptions';
import { PaypalNotConfiguredError, paypalEnded, paypalSubscriptionCalls } from '../src/subscriptions/paypal-subscription-provider';
import {
  recordSubscriptionAction,
  type SubscriptionActionDecision,
  type SubscriptionActionRequest,
  type SubscriptionActionView,
  subscriptionActionView,
} from '../src/subscriptions/subscription-actions';
import { applyToSubscription, graceMs, progressOf, settleSubscription } from '../src/subscriptions/subscription-records';
import { PREVIEW_TTL_MS, presentPreview, previewOfRequest, recordPreview, variantPrice } from '../src/subscriptions/subscription-changes';
import type { NotificationConfig } from '../src/webhooks/notifications';
import type {
  PaymentMethodUpdateRequest,
  SubscriptionChangePreviewRequest,
  SubscriptionChangePreviewView,
  SubscriptionPlan,
} from '../src/temporal/contracts/subscription';

export interface SubscriptionActivityDependencies {
  db: Db;
  secrets: SecretBox;
  stripe: StripeGateway;
  /** PayPal subscriptions' cancels and refunds (PAYPAL_API_URL). */
  paypal: PaypalGateway;
  notifications: NotificationConfig;
  /** PUBLIC_BASE_URL: the failed-payment e-mail links to the customer portal there. */
  publicBaseUrl: string;
  subscriptions: { cancelConfirmWindowMs: number; roundsPerRun: number; renewalCheckMs: number; renewalLeewayMs: number };
}

type Ref = { subscriptionId: number };

/**
 * The subscription workflow's side effects. Each checks the record first and writes what it
 * did, and every provider call carries an idempotency key, so a retry never cancels,
 * refunds or revokes twice.
 */
export function createSubscriptionActivities(deps: SubscriptionActivityDependencies) {
  const { db } = deps;
  const load = (id: number) => db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const keyFor = (row: { store_id: number; livemode: boolean }) => stripeSecretKey(db, deps.secrets, row.store_id, row.livemode);
  const paypal = paypalSubscriptionCalls({ db, secrets: deps.secrets, paypal: deps.paypal });
  const isPaypal = (row: { provider: string }) => row.provider === 'paypal';

  return {
    async planSubscriptionStep(input: Ref): Promise<SubscriptionPlan> {
      const row = await load(input.subscriptionId);
      const { cancelConfirmWindowMs, renewalCheckMs, renewalLeewayMs } = deps.subscriptions;
      const timing = { graceMs: await graceMs(db, row.store_id), confirmWindowMs: cancelConfirmWindowMs, renewalCheckMs, renewalLeewayMs };
      const step = nextStep(progressOf(row), timing, new Date());
      return {
        status: row.status,
        step: step.kind,
        until: step.kind === 'wait' ? step.until.toISOString() : null,
        roundsPerRun: deps.subscriptions.roundsPerRun,
        capabilities: capabilitiesOf(row),
      };
    },

    async settleSubscriptionDeadline(input: Ref): Promise<void> {
      await db.transaction().execute((trx) => settleSubscription(trx, input.subscriptionId, deps.subscriptions.renewalLeewayMs));
    },

    /** Sends the seller's cancellation to the provider: schedule it, or cancel now and refund. */
    async sendSubscriptionCancellation(input: Ref): Promise<void> {
      await sendCancellation(input.subscriptionId);
    },

    /** Decides and records one lifecycle action under the row lock (src/subscriptions/subscription-actions.ts). */
    async recordSubscriptionAction(input: Ref & SubscriptionActionRequest): Promise<SubscriptionActionDecision> {
      const { subscriptionId, ...request } = input;
      return db.transaction().execute((trx) => recordSubscriptionAction(trx, subscriptionId, request));
    },

    /** The provider's hosted page for a new card, or why the subscription allows none now. */
    async createPaymentMethodSession(
      input: Ref & PaymentMethodUpdateRequest,
    ): Promise<{ url: string } | { refused: string; message: string }> {
      const row = await load(input.subscriptionId);
      const capability = capabilitiesOf(row).update_payment_method!;
      if (!capability.allowed)
        return { refused: capability.reason!, message: `The subscription's payment method cannot be updated now: ${capability.reason}` };
      if (!row.provider_customer_id) return { refused: 'no_provider_customer', message: 'The provider has not named the customer yet' };
      const url = await deps.stripe.createPaymentMethodSession(await keyFor(row), {
        customerId: row.provider_customer_id,
        returnUrl: input.returnUrl,
        idempotencyKey: `sellflow-sub-${row.id}-update-payment-method-${input.requestKey}`,
      });
      return { url };
    },

    /**
     * What a change would do, as its confirm will do it: for a plan, Stripe's invoice preview of
     * the item update prorated from now (the date is kept for the confirm); for a renewal date,
     * no charge (the days between are free or given up, never prorated). Recorded under a token;
     * a retried request (same key) answers with the first preview.
     */
    async previewSubscriptionChange(
      input: Ref & SubscriptionChangePreviewRequest,
    ): Promise<SubscriptionChangePreviewView | { refused: string; message: string }> {
      const row = await load(input.subscriptionId);
      const seen = await previewOfRequest(db, row.id, input.requestKey);
      if (seen) return presentPreview(seen, deps.secrets);
      const capability = capabilitiesOf(row)[input.action === 'change_plan' ? 'change_plan' : 'shift_billing_date']!;
      if (!capability.allowed)
        return {
          refused: capability.reason!,
          message: `The subscription cannot ${input.action.replace(/_/g, ' ')} now: ${capability.reason}`,
        };
      const now = new Date();
      const current = await variantPrice(db, row.product_variant_id);
      let total = 0;
      let currency = current.currency;
      let prorationDate: Date | null = null;
      if (input.action === 'change_plan') {
        // Whole seconds: Stripe's proration date is a Unix time, and the confirm sends this one.
        prorationDate = new Date(Math.floor(now.getTime() / 1000) * 1000);
        let preview: { totalCents: number; currency: string };
        try {
          preview = await deps.stripe.previewPriceChange(await keyFor(row), {
            subscriptionId: row.provider_subscription_id,
            price: await variantPrice(db, input.targetVariantId!),
            prorationDate,
          });
        } catch (error) {
          // Stripe refused for good (the subscription ended there, its period is not now): say why.
          if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
          return { refused: 'provider_refused', message: `Stripe cannot preview this change: ${error.message}` };
        }
        total = preview.totalCents;
        currency = preview.currency.toUpperCase();
      }
      const preview = await recordPreview(db, deps.secrets, {
        subscription_id: row.id,
        store_id: row.store_id,
        action: input.action,
        actor: input.actor,
        request_key: input.requestKey,
        from_variant_id: row.product_variant_id,
        to_variant_id: input.targetVariantId ?? null,
        period_end: row.current_period_end,
        renewal_date: input.renewalDate ? new Date(input.renewalDate) : null,
        proration_date: prorationDate,
        total_cents: total,
        currency,
        reason: input.reason ?? null,
        expires_at: new Date(now.getTime() + PREVIEW_TTL_MS),
      });
      return presentPreview(preview, deps.secrets);
    },

    /**
     * Tells the provider of a recorded action and confirms it. Stripe's idempotency key names the
     * subscription, the action and its request key, so a retried activity (or request) is one call.
     */
    async sendSubscriptionAction(input: { actionId: number }): Promise<SubscriptionActionView> {
      const action = await db.selectFrom('subscription_actions').selectAll().where('id', '=', input.actionId).executeTakeFirstOrThrow();
      if (action.status !== 'pending') return subscriptionActionView(db, action.id);
      const row = await load(action.subscription_id);
      if (action.action === 'cancel_at_period_end' || action.action === 'cancel_immediately') {
        await sendCancellation(row.id);
      } else if (action.action === 'change_plan' || action.action === 'shift_billing_date') {
        return applyChange(action.id, row);
      } else if (isPaypal(row)) {
        const pause = action.action === 'pause';
        let remote: PaypalSubscription | null = null;
        try {
          if (pause) await paypal.suspend(row, action.id);
          else remote = await paypal.activate(row, action.id);
        } catch (error) {
          // PayPal refused for good (ended there, or suspended for failed payments: not ours to resume).
          if (!(error instanceof GatewayError) || error.kind !== 'rejected') throw error;
          return failPauseOrResume(action.id, row.id, pause, error.message);
        }
        // PayPal bills next when it says (the day of the resume, when the paid period passed while
        // paused): access runs until then.
        const next = remote?.nextBillingTime;
        if (next && next > row.current_period_end) {
          await db
            .updateTable('subscriptions')
            .set({ current_period_start: new Date(Math.min(Date.now(), next.getTime())), current_period_end: next, updated_at: new Date() })
            .where('id', '=', row.id)
            .where('current_period_end', '<', next)
            .execute();
        }
      } else {
        const pause = action.action === 'pause';
        let remote: ProviderSubscription;
        try {
          remote = await deps.stripe.setPauseCollection(
            await keyFor(row),
            row.provider_subscription_id,
            pause,
            `sellflow-sub-${row.id}-${action.action}-${action.request_key}`,
          );
        } catch (error) {
          if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
          // Stripe refused for good (the subscription ended there).
          return failPauseOrResume(action.id, row.id, pause, error.message);
        }
        // Stripe kept moving the period while collection was paused: access resumes on its current one.
        if (!pause && remote.periodStart && remote.periodEnd && remote.periodEnd > row.current_period_end) {
          await db
            .updateTable('subscriptions')
            .set({ current_period_start: remote.periodStart, current_period_end: remote.periodEnd, updated_at: new Date() })
            .where('id', '=', row.id)
            .where('current_period_end', '<', remote.periodEnd)
            .execute();
        }
      }
      await db
        .updateTable('subscription_actions')
        .set({ status: 'confirmed', confirmed_at: new Date(), updated_at: new Date() })
        .where('id', '=', action.id)
        .where('status', '=', 'pending')
        .execute();
      return subscriptionActionView(db, action.id);
    },

    /**
     * The deadline passed with no failure reported: Stripe may be renewing right now (it bills
     * about an hour after the period ends) or its webhook got lost. Ask it, and adopt what it says.
     */
    async verifySubscriptionRenewal(input: Ref): Promise<'renewed' | 'failed' | 'canceled' | 'pending' | 'unknown'> {
      const row = await load(input.subscriptionId);
      if (isPaypal(row)) return verifyPaypalRenewal(row);
      let remote: ProviderSubscription | null | undefined;
      try {
        remote = await deps.stripe.retrieveSubscription(await keyFor(row), row.provider_subscription_id);
      } catch (error) {
        if (!(error instanceof StripeNotConfiguredError) && !(error instanceof Stripe.errors.StripeError)) throw error;
        remote = undefined;
      }
      return db.transaction().execute(async (trx) => {
        let outcome: 'renewed' | 'failed' | 'canceled' | 'pending' | 'unknown' = remote ? 'pending' : 'unknown';
        const at = new Date();
        if (remote && (remote.status === 'canceled' || remote.status === 'incomplete_expired')) {
          await applyToSubscription(trx, row.id, { kind: 'deleted', at });
          outcome = 'canceled';
        } else if (remote && (remote.status === 'past_due' || remote.status === 'unpaid')) {
          await applyToSubscription(trx, row.id, {
            kind: 'updated',
            providerStatus: remote.status,
            periodStart: remote.periodStart,
            periodEnd: remote.periodEnd,
            cancelAtPeriodEnd: remote.cancelAtPeriodEnd,
            at,
          });
          outcome = 'failed';
        } else if (
          remote?.latestInvoice?.paid &&
          remote.latestInvoice.renews &&
          remote.latestInvoice.periodEnd &&
          remote.latestInvoice.periodEnd > row.current_period_end
        ) {
          await recordRenewal(trx, row.id, { ...remote.latestInvoice, paidAt: remote.latestInvoice.paidAt ?? at });
          outcome = 'renewed';
        }
        await trx.updateTable('subscriptions').set({ renewal_checked_at: at }).where('id', '=', row.id).execute();
        return outcome;
      });
    },

    /** Ends what the subscription gave: its license keys expire now (community grants join here). */
    async revokeSubscriptionEntitlements(input: Ref): Promise<{ licenseKeys: number }> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('subscriptions')
          .select(['id', 'invoice_id', 'entitlements_revoked_at'])
          .where('id', '=', input.subscriptionId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (row.entitlements_revoked_at) return { licenseKeys: 0 };
        const now = new Date();
        const keys = await trx
          .updateTable('license_keys')
          .set({ active: false, expires_at: sql`least(coalesce(expires_at, ${now}), ${now})`, updated_at: now })
          .where((eb) => eb.or([eb('subscription_id', '=', row.id), eb('invoice_id', '=', row.invoice_id)]))
          .where('active', '=', true)
          .executeTakeFirst();
        await trx.updateTable('subscriptions').set({ entitlements_revoked_at: now, updated_at: now }).where('id', '=', row.id).execute();
        // Community access marked "remove on expiry" ends too; the relay tells the grants.
        await requestGrantRevocation(trx, { invoiceId: row.invoice_id }, 'subscription_ended');
        return { licenseKeys: Number(keys.numUpdatedRows) };
      });
    },

    /** An ended subscription must not be billed again (expired while past due, canceled by us). */
    async endSubscriptionAtProvider(input: Ref): Promise<void> {
      const row = await load(input.subscriptionId);
      if (row.provider_ended_at) return;
      if (isPaypal(row)) await paypal.cancel(row, 'The subscription ended');
      else
        await deps.stripe.cancelSubscription(
          await keyFor(row),
          row.provider_subscription_id,
          `sellflow-sub-${row.id}-end-${row.provider_end_attempt}`,
        );
      await db
        .updateTable('subscriptions')
        .set({ provider_ended_at: new Date(), updated_at: new Date() })
        .where('id', '=', row.id)
        .execute();
    },

    /** The provider's webhook never confirmed an immediate cancel: ask it, and resend if needed. */
    async confirmSubscriptionCancellation(input: Ref): Promise<'confirmed' | 'resend'> {
      const row = await load(input.subscriptionId);
      const ended = isPaypal(row)
        ? paypalEnded(await paypal.retrieve(row))
        : await deps.stripe
            .retrieveSubscription(await keyFor(row), row.provider_subscription_id)
            .then((remote) => !remote || remote.status === 'canceled' || remote.status === 'incomplete_expired');
      if (ended) {
        await db.transaction().execute((trx) => applyToSubscription(trx, row.id, { kind: 'deleted', at: new Date() }));
        return 'confirmed';
      }
      // Ask again under a new idempotency key: Stripe would replay the first answer for the old one.
      const request = row.cancel_request ? { ...row.cancel_request, attempt: (row.cancel_request.attempt ?? 0) + 1 } : null;
      await db
        .updateTable('subscriptions')
        .set({ cancel_request: request && JSON.stringify(request), cancel_request_sent_at: null, updated_at: new Date() })
        .where('id', '=', row.id)
        .execute();
      return 'resend';
    },

    /**
     * E-mails the customer once per failure (the buyer-notice path: one delivery_emails row per
     * failure); the store learned from subscription.payment_failed.
     */
    async notifySubscriptionPaymentFailed(input: Ref): Promise<{ emailed: boolean }> {
      const row = await db
        .selectFrom('subscriptions')
        .select(['id', 'invoice_id', 'payment_failed_at', 'payment_failure_notified_at'])
        .where('id', '=', input.subscriptionId)
        .executeTakeFirstOrThrow();
      if (!row.payment_failed_at || (row.payment_failure_notified_at && row.payment_failure_notified_at >= row.payment_failed_at))
        return { emailed: false };
      const outcome = await sendBuyerNotice({ db, mail: deps.notifications, publicBaseUrl: deps.publicBaseUrl }, row.invoice_id, {
        kind: 'payment_failed',
        subscriptionId: row.id,
        failedAt: row.payment_failed_at.toISOString(),
      });
      // Never earlier than the failure it answers, whatever the clocks say: one e-mail per failure.
      await db
        .updateTable('subscriptions')
        .set({ payment_failure_notified_at: sql<Date>`greatest(now(), ${row.payment_failed_at})`, updated_at: new Date() })
        .where('id', '=', row.id)
        .execute();
      return { emailed: outcome.status === 'sent' };
    },
  };

  /** The provider refused a pause or resume for good: the action fails, and a pause it never took is undone. */
  async function failPauseOrResume(actionId: number, subscriptionId: number, pause: boolean, message: string) {
    await db.transaction().execute(async (trx) => {
      if (pause)
        await trx.updateTable('subscriptions').set({ paused_at: null, updated_at: new Date() }).where('id', '=', subscriptionId).execute();
      await trx
        .updateTable('subscription_actions')
        .set({ status: 'failed', failed_at: new Date(), customer_message: message, updated_at: new Date() })
        .where('id', '=', actionId)
        .execute();
    });
    return subscriptionActionView(db, actionId);
  }

  /**
   * Applies a confirmed preview at Stripe, exactly as previewed (its proration date, its price,
   * its renewal date) under one idempotency key per preview, then on our record: the variant
   * moves only from what the preview saw (a renewal recorded meanwhile is kept); the period end
   * becomes the one Stripe answers, its next bill.
   * Stripe refusing for good (the subscription ended there, the period moved on) fails the action,
   * and so does a renewal date whose period Stripe renewed since the preview (below).
   */
  async function applyChange(actionId: number, row: Awaited<ReturnType<typeof load>>): Promise<SubscriptionActionView> {
    const action = await db.selectFrom('subscription_actions').selectAll().where('id', '=', actionId).executeTakeFirstOrThrow();
    const preview = await db
      .selectFrom('subscription_change_previews')
      .selectAll()
      .where('id', '=', action.preview_id!)
      .executeTakeFirstOrThrow();
    const key = await keyFor(row);
    const idempotencyKey = `sellflow-sub-${row.id}-${action.action.replace(/_/g, '-')}-${preview.id}`;
    let invoiceId: string | null = null;
    let renewsAt: Date | null = null;
    const fail = async (message: string) => {
      await db
        .updateTable('subscription_actions')
        .set({ status: 'failed', failed_at: new Date(), customer_message: message, updated_at: new Date() })
        .where('id', '=', action.id)
        .where('status', '=', 'pending')
        .execute();
      return subscriptionActionView(db, action.id);
    };
    try {
      if (action.action === 'change_plan') {
        ({ invoiceId } = await deps.stripe.changeSubscriptionPrice(key, {
          subscriptionId: row.provider_subscription_id,
          price: await variantPrice(db, preview.to_variant_id!),
          prorationDate: preview.proration_date!,
          idempotencyKey,
        }));
      } else {
        // Stripe may have renewed since the preview, its webhook not here yet (the row lock saw no
        // renewal): the date was chosen against a period that is over, and moving it now would cut
        // the period just paid short, uncredited. Preview again. Stripe already on the new date is
        // this action's own earlier attempt.
        const current = await deps.stripe.retrieveSubscription(key, row.provider_subscription_id);
        const seconds = (d: Date | null | undefined) => (d ? Math.floor(d.getTime() / 1000) : null);
        const end = seconds(current?.periodEnd);
        if (end !== null && end !== seconds(preview.period_end) && end !== seconds(preview.renewal_date))
          return await fail('The subscription renewed since the preview: preview the change again');
        const remote = await deps.stripe.shiftRenewalDate(key, row.provider_subscription_id, preview.renewal_date!, idempotencyKey);
        renewsAt = remote.periodEnd ?? preview.renewal_date!;
      }
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
      return fail(error.message);
    }
    await db.transaction().execute(async (trx) => {
      const now = new Date();
      // The action flips to confirmed once, and only the flip applies the change: an attempt that
      // finds it confirmed (a retry whose first run committed) leaves the record to what came since.
      const confirmed = await trx
        .updateTable('subscription_actions')
        .set({ status: 'confirmed', confirmed_at: now, updated_at: now })
        .where('id', '=', action.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(confirmed.numUpdatedRows) === 0) return;
      const change =
        action.action === 'change_plan'
          ? trx
              .updateTable('subscriptions')
              .set({ product_variant_id: preview.to_variant_id!, updated_at: now })
              .where('product_variant_id', '=', preview.from_variant_id)
          : // Stripe's answer is when it bills next, even if a renewal was recorded meanwhile.
            trx.updateTable('subscriptions').set({ current_period_end: renewsAt!, updated_at: now });
      await change.where('id', '=', row.id).execute();
      await recordEvent(trx, {
        storeId: row.store_id,
        livemode: row.livemode,
        type: 'subscription.updated',
        data: {
          id: row.id,
          invoice_id: row.invoice_id,
          actor: action.actor,
          reason: action.action === 'change_plan' ? 'plan_changed' : 'renewal_date_changed',
          product_variant_id: preview.to_variant_id ?? preview.from_variant_id,
          previous_product_variant_id: preview.from_variant_id,
          renewal_date: (preview.renewal_date ?? null)?.toISOString() ?? null,
          proration_cents: preview.total_cents,
          provider_invoice_id: invoiceId,
        },
      });
    });
    return subscriptionActionView(db, action.id);
  }

  /**
   * PayPal's side of a deadline with no news: an ended or suspended subscription is adopted.
   * A renewal is recorded only from its sale (PAYMENT.SALE.COMPLETED, the sale id its key), so
   * an active one is `pending` until that event, or the leeway, settles it.
   */
  async function verifyPaypalRenewal(row: Awaited<ReturnType<typeof load>>): Promise<'failed' | 'canceled' | 'pending' | 'unknown'> {
    let remote: Awaited<ReturnType<typeof paypal.retrieve>> | undefined;
    try {
      remote = await paypal.retrieve(row);
    } catch (error) {
      if (!(error instanceof PaypalNotConfiguredError) && !(error instanceof GatewayError)) throw error;
      remote = undefined;
    }
    return db.transaction().execute(async (trx) => {
      const at = new Date();
      let outcome: 'failed' | 'canceled' | 'pending' | 'unknown' = remote === undefined ? 'unknown' : 'pending';
      if (remote !== undefined && paypalEnded(remote)) {
        await applyToSubscription(trx, row.id, { kind: 'deleted', at });
        outcome = 'canceled';
      } else if (remote?.status === 'SUSPENDED' && !row.paused_at) {
        // Suspended by PayPal (failed payments past the plan's threshold); a seller's pause is not a failure.
        await applyToSubscription(trx, row.id, { kind: 'payment_failed', periodEnd: null, at });
        outcome = 'failed';
      }
      await trx.updateTable('subscriptions').set({ renewal_checked_at: at }).where('id', '=', row.id).execute();
      return outcome;
    });
  }

  async function sendCancellation(subscriptionId: number): Promise<void> {
    const row = await load(subscriptionId);
    const request = row.cancel_request;
    if (!request || row.cancel_request_sent_at) return;
    if (isPaypal(row)) {
      // PayPal has no cancel at period end: its billing stops now either way, and the record
      // keeps access to the period's end (at period end) or ends it now (immediately).
      if (!request.at_period_end || !hasEnded(row.status))
        await paypal.cancel(row, request.at_period_end ? 'Cancelled at the end of the paid period' : 'Cancelled by the seller');
      if (!request.at_period_end && request.refund_cents > 0 && request.refund_payment_id)
        await refundPayment(row, request.refund_payment_id, request.refund_cents, (payment) =>
          paypal.refund(row, payment, request.refund_cents),
        );
      await markCancellationSent(row.id, request);
      return;
    }
    const key = await keyFor(row);
    const attempt = `${request.requested_at}-${request.attempt ?? 0}`;
    if (request.at_period_end) {
      // Ended meanwhile: there is nothing left to schedule.
      if (!hasEnded(row.status))
        await deps.stripe.setCancelAtPeriodEnd(
          key,
          row.provider_subscription_id,
          true,
          `sellflow-sub-${row.id}-cancel-at-period-end-${attempt}`,
        );
    } else {
      // Cancel before refunding: a refund for a subscription that keeps billing is worse.
      await deps.stripe.cancelSubscription(key, row.provider_subscription_id, `sellflow-sub-${row.id}-cancel-${attempt}`);
      // Owed even when the subscription ended before this ran.
      if (request.refund_cents > 0 && request.refund_payment_id)
        await refundPayment(row, request.refund_payment_id, request.refund_cents, (payment) =>
          deps.stripe.refundInvoicePayment(key, {
            providerInvoiceId: payment.provider_invoice_id,
            paymentIntentId: payment.provider_payment_intent_id,
            amountCents: request.refund_cents,
            idempotencyKey: `sellflow-sub-${row.id}-refund-${payment.id}`,
            metadata: { subscription_id: String(row.id), invoice_id: String(row.invoice_id) },
          }),
        );
    }
    await markCancellationSent(row.id, request);
  }

  /** Only this request is sent: a newer one recorded meanwhile waits for its own turn. */
  async function markCancellationSent(subscriptionId: number, request: { requested_at: string; attempt?: number }): Promise<void> {
    await db
      .updateTable('subscriptions')
      .set({ cancel_request_sent_at: new Date(), updated_at: new Date() })
      .where('id', '=', subscriptionId)
      .where(sql<string>`cancel_request->>'requested_at'`, '=', request.requested_at)
      .where(sql<number>`coalesce((cancel_request->>'attempt')::int, 0)`, '=', request.attempt ?? 0)
      .execute();
  }

  async function refundPayment(
    row: { id: number; store_id: number; livemode: boolean; invoice_id: number },
    paymentId: number,
    amountCents: number,
    send: (payment: {
      id: number;
      provider_invoice_id: string;
      provider_payment_intent_id: string | null;
      currency: string;
    }) => Promise<{ refundId: string; paymentIntentId: string }>,
  ): Promise<void> {
    const payment = await db
      .selectFrom('subscription_payments')
      .selectAll()
      .where('id', '=', paymentId)
      .where('subscription_id', '=', row.id)
      .executeTakeFirstOrThrow();
    if (payment.provider_refund_id) return;
    let refund: { refundId: string; paymentIntentId: string };
    try {
      refund = await send(payment);
    } catch (error) {
      // The provider refused it for good (already refunded in its dashboard, nothing to refund…):
      // a person settles the money; the cancellation and revoke go on.
      const refused =
        error instanceof Stripe.errors.StripeInvalidRequestError ||
        error instanceof NoPaymentToRefundError ||
        (error instanceof GatewayError && error.kind === 'rejected');
      if (!refused) throw error;
      await recordEvent(db, {
        storeId: row.store_id,
        livemode: row.livemode,
        type: 'delivery.needs_attention',
        data: { id: row.invoice_id, subscription_id: row.id, reason: `refund of ${amountCents} cents refused: ${error.message}` },
      });
      return;
    }
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('subscription_payments')
        .set({ refunded_cents: amountCents, provider_refund_id: refund.refundId, provider_payment_intent_id: refund.paymentIntentId })
        .where('id', '=', payment.id)
        .execute();
      await recordEvent(trx, {
        storeId: row.store_id,
        livemode: row.livemode,
        type: 'order.refunded',
        data: { id: row.invoice_id, subscription_id: row.id, amount_refunded: amountCents, partial: amountCents < payment.amount_cents },
      });
    });
  }
}

export type SubscriptionActivities = ReturnType<typeof createSubscriptionActivities>;
