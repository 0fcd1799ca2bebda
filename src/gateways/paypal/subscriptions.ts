import {
  ApplicationContextUserAction,
  ExperienceContextShippingPreference,
  type IntervalUnit,
  PlanRequestStatus,
  SetupFeeFailureAction,
  type Subscription,
  SubscriptionsController,
  TenureType,
} from '@paypal/paypal-server-sdk';
import type { BillingInterval } from '../../domain/billing-interval';
import { GatewayError } from '../gateway-error';
import type { PaypalCredentials } from './client';
import { classifyPaypalError, minorUnits, type PaypalGateway, paypalAmount, paypalIssue } from './paypal-gateway';

/** A PayPal subscription in our terms. */
export interface PaypalSubscription {
  id: string;
  /** APPROVAL_PENDING, APPROVED, ACTIVE, SUSPENDED, CANCELLED, EXPIRED */
  status: string;
  customId: string | null;
  planId: string | null;
  nextBillingTime: Date | null;
  lastPayment: { amountMinor: number | null; currency: string | null; time: Date | null } | null;
}

const dateOf = (value: string | undefined) => (value ? new Date(value) : null);

export function paypalSubscriptionOf(s: Subscription): PaypalSubscription {
  const last = s.billingInfo?.lastPayment;
  const currency = last?.amount?.currencyCode ?? null;
  return {
    id: s.id ?? '',
    status: s.status ?? '',
    customId: s.customId ?? null,
    planId: s.planId ?? null,
    nextBillingTime: dateOf(s.billingInfo?.nextBillingTime),
    lastPayment: last
      ? { amountMinor: currency ? minorUnits(last.amount?.value, currency) : null, currency, time: dateOf(last.time) }
      : null,
  };
}

/**
 * PayPal Subscriptions (billing plans and subscriptions) through the official server SDK's
 * SubscriptionsController. Two calls the SDK has no method for, catalog products
 * (POST /v1/catalogs/products) and refunds of a subscription's sale (POST
 * /v1/payments/sale/{id}/refund), go through the SDK client's own request builder: the same
 * OAuth token, origin (PAYPAL_API_URL), timeouts and error type as the SDK's calls.
 */
export class PaypalBilling {
  constructor(private readonly gateway: PaypalGateway) {}

  private controller(credentials: PaypalCredentials) {
    return new SubscriptionsController(this.gateway.client(credentials));
  }

  /** A JSON call the SDK has no method for, authenticated like its own. */
  private async rawJson(credentials: PaypalCredentials, method: 'POST', path: string, body: object, requestId: string) {
    const request = this.gateway.client(credentials).getRequestBuilderFactory()(method, path);
    request.header('Content-Type', 'application/json');
    request.header('PayPal-Request-Id', requestId);
    request.header('Prefer', 'return=representation');
    request.json(body);
    request.authenticate([{ oauth2: true }]);
    const answer = await request.callAsText();
    return JSON.parse(answer.result || '{}') as Record<string, unknown>;
  }

  /** A catalog product (type DIGITAL) for a variant; the request id makes a retry answer the first product. */
  async createProduct(credentials: PaypalCredentials, input: { name: string; requestId: string }): Promise<string> {
    try {
      const product = await this.rawJson(
        credentials,
        'POST',
        '/v1/catalogs/products',
        { name: input.name.slice(0, 127) || 'Subscription', type: 'DIGITAL', category: 'SOFTWARE' },
        input.requestId,
      );
      if (typeof product.id !== 'string') throw new GatewayError('PayPal', 'unavailable', 'PayPal returned a product without an id');
      return product.id;
    } catch (error) {
      throw classifyPaypalError(error, credentials);
    }
  }

  /** An active plan billing the fixed price every interval, without end; three failed payments suspend it. */
  async createPlan(
    credentials: PaypalCredentials,
    input: {
      productId: string;
      name: string;
      amountMinor: number;
      currency: string;
      interval: BillingInterval;
      intervalCount: number;
      requestId: string;
    },
  ): Promise<string> {
    try {
      const plan = await this.controller(credentials).createBillingPlan({
        paypalRequestId: input.requestId,
        prefer: 'return=representation',
        body: {
          productId: input.productId,
          name: input.name.slice(0, 127) || 'Subscription',
          status: PlanRequestStatus.Active,
          billingCycles: [
            {
              frequency: { intervalUnit: input.interval as IntervalUnit, intervalCount: input.intervalCount },
              tenureType: TenureType.Regular,
              sequence: 1,
              totalCycles: 0,
              pricingScheme: {
                fixedPrice: { currencyCode: input.currency.toUpperCase(), value: paypalAmount(input.amountMinor, input.currency) },
              },
            },
          ],
          paymentPreferences: {
            autoBillOutstanding: true,
            setupFeeFailureAction: SetupFeeFailureAction.Cancel,
            paymentFailureThreshold: 3,
          },
        },
      });
      if (!plan.result.id) throw new GatewayError('PayPal', 'unavailable', 'PayPal returned a plan without an id');
      return plan.result.id;
    } catch (error) {
      throw classifyPaypalError(error, credentials);
    }
  }

  /**
   * A subscription to a plan, waiting for the buyer's approval; our invoice id is its custom_id.
   * The request id (one per invoice) makes a repeated checkout answer the same subscription.
   */
  async createSubscription(
    credentials: PaypalCredentials,
    input: { planId: string; invoiceId: number; email: string | null; returnUrl: string; cancelUrl: string; requestId: string },
  ): Promise<{ id: string; approvalUrl: string }> {
    let created: Subscription;
    try {
      created = (
        await this.controller(credentials).createSubscription({
          paypalRequestId: input.requestId,
          prefer: 'return=representation',
          body: {
            planId: input.planId,
            customId: String(input.invoiceId),
            ...(input.email ? { subscriber: { emailAddress: input.email } } : {}),
            applicationContext: {
              returnUrl: input.returnUrl,
              cancelUrl: input.cancelUrl,
              userAction: ApplicationContextUserAction.SubscribeNow,
              shippingPreference: ExperienceContextShippingPreference.NoShipping,
            },
          },
        })
      ).result;
    } catch (error) {
      throw classifyPaypalError(error, credentials);
    }
    const approval = created.links?.find((l) => l.rel === 'approve')?.href;
    if (!created.id || !approval)
      throw new GatewayError('PayPal', 'unavailable', 'PayPal returned a subscription without an approval link', { retryAfterSeconds: 5 });
    return { id: created.id, approvalUrl: approval };
  }

  /** The subscription as PayPal has it; null when PayPal knows no such subscription. */
  async getSubscription(credentials: PaypalCredentials, id: string): Promise<PaypalSubscription | null> {
    try {
      return paypalSubscriptionOf((await this.controller(credentials).getSubscription({ id })).result);
    } catch (error) {
      if (paypalIssue(error)?.status === 404) return null;
      throw classifyPaypalError(error, credentials);
    }
  }

  /**
   * Stops the billing. PayPal's cancel takes no request id; cancelling one that is cancelled or
   * expired already (a retry, the buyer was first) is a 422 SUBSCRIPTION_STATUS_INVALID: done.
   */
  async cancelSubscription(credentials: PaypalCredentials, id: string, reason: string): Promise<void> {
    try {
      await this.controller(credentials).cancelSubscription({ id, body: { reason: reason.slice(0, 127) } });
    } catch (error) {
      const issue = paypalIssue(error);
      if (issue?.status === 422 && issue.issue === 'SUBSCRIPTION_STATUS_INVALID') {
        const remote = await this.getSubscription(credentials, id);
        if (!remote || remote.status === 'CANCELLED' || remote.status === 'EXPIRED') return;
      }
      throw classifyPaypalError(error, credentials);
    }
  }

  /**
   * Holds the billing (a seller's pause): PayPal bills nothing while SUSPENDED. The SDK's call,
   * like PayPal's API reference, takes no PayPal-Request-Id: a repeat is made harmless by the
   * state instead. Suspending one that is not ACTIVE is a 422 SUBSCRIPTION_STATUS_INVALID; when
   * it is SUSPENDED already (a retry whose first call PayPal took), that is done.
   */
  async suspendSubscription(credentials: PaypalCredentials, id: string, reason: string): Promise<void> {
    await this.moveTo(credentials, id, 'SUSPENDED', (controller) =>
      controller.suspendSubscription({ id, body: { reason: reason.slice(0, 127) } }),
    );
  }

  /** Bills again (a seller's resume); a retry finding it ACTIVE already is done, as for suspend. */
  async activateSubscription(credentials: PaypalCredentials, id: string, reason: string): Promise<void> {
    await this.moveTo(credentials, id, 'ACTIVE', (controller) =>
      controller.activateSubscription({ id, body: { reason: reason.slice(0, 127) } }),
    );
  }

  private async moveTo(
    credentials: PaypalCredentials,
    id: string,
    status: 'SUSPENDED' | 'ACTIVE',
    call: (controller: SubscriptionsController) => Promise<unknown>,
  ): Promise<void> {
    try {
      await call(this.controller(credentials));
    } catch (error) {
      const issue = paypalIssue(error);
      if (issue?.status === 422 && issue.issue === 'SUBSCRIPTION_STATUS_INVALID') {
        const remote = await this.getSubscription(credentials, id);
        if (remote?.status === status) return;
      }
      throw classifyPaypalError(error, credentials);
    }
  }

  /** Refunds `amountMinor` of a subscription payment (a sale); the request id (one per payment) makes a retry answer the first refund. */
  async refundSale(
    credentials: PaypalCredentials,
    input: { saleId: string; amountMinor: number; currency: string; requestId: string },
  ): Promise<{ refundId: string; status: string | null }> {
    try {
      const refund = await this.rawJson(
        credentials,
        'POST',
        `/v1/payments/sale/${encodeURIComponent(input.saleId)}/refund`,
        { amount: { total: paypalAmount(input.amountMinor, input.currency), currency: input.currency.toUpperCase() } },
        input.requestId,
      );
      return { refundId: typeof refund.id === 'string' ? refund.id : '', status: typeof refund.state === 'string' ? refund.state : null };
    } catch (error) {
      throw classifyPaypalError(error, credentials);
    }
  }
}
