import {
  ApiError,
  CheckoutPaymentIntent,
  type CapturedPayment,
  type Client,
  type Order,
  OrdersController,
  PaymentsController,
  PaypalExperienceUserAction,
  type Refund,
} from '@paypal/paypal-server-sdk';
import { currencyDecimals } from '../../domain/currency-minor-units';
import { GatewayError } from '../gateway-error';
import { PAYPAL_ORIGINS, type PaypalCredentials, paypalClient } from './client';

/** A minor-unit amount as PayPal writes it ("19.99", JPY "1999"). */
export function paypalAmount(minor: number, currency: string): string {
  const digits = currencyDecimals(currency);
  return (minor / 10 ** digits).toFixed(digits);
}

/** PayPal's "19.99" in minor units; null when it is not an amount. */
export function minorUnits(value: string | undefined, currency: string): number | null {
  if (!value || !/^\d+(\.\d+)?$/.test(value)) return null;
  return Math.round(Number(value) * 10 ** currencyDecimals(currency));
}

/**
 * The invoice_id PayPal is given for an invoice: PayPal refuses an invoice_id an account was paid
 * under before, so it names the store too (two stores or installs may share an account; their
 * invoice numbers may meet). Only for PayPal's books and its duplicate check: events are matched
 * by our order id, and custom_id keeps the bare invoice id.
 */
export const paypalInvoiceId = (storeId: number, invoiceId: number) => `sellflow-${storeId}-${invoiceId}`;

/**
 * The verify-webhook-signature request with the event spliced in as the raw JSON text it arrived
 * as: parsed and serialised again, its bytes could differ (spacing, escapes, number forms) and
 * PayPal would refuse a genuine delivery. The caller has checked it is JSON.
 */
export function verifyRequestBody(webhookId: string, transmission: PaypalTransmission, rawEvent: string): string {
  const fields = JSON.stringify({
    auth_algo: transmission.authAlgo,
    cert_url: transmission.certUrl,
    transmission_id: transmission.transmissionId,
    transmission_sig: transmission.transmissionSig,
    transmission_time: transmission.transmissionTime,
    webhook_id: webhookId,
  });
  return `${fields.slice(0, -1)},"webhook_event":${rawEvent}}`;
}

/** A capture in our terms: PayPal's status, why it waits, what it took. */
export interface PaypalCapture {
  id: string;
  /** COMPLETED, PENDING, DECLINED, REFUNDED, PARTIALLY_REFUNDED, FAILED */
  status: string;
  /** Why a PENDING capture waits (RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION, PENDING_REVIEW …). */
  reason: string | null;
  amountMinor: number | null;
  currency: string | null;
  customId: string | null;
  invoiceId: string | null;
}

/** A refund in our terms: PayPal's status and why it waits or failed. */
export interface PaypalRefund {
  id: string;
  /** COMPLETED, PENDING, FAILED, CANCELLED (null: PayPal said none). */
  status: string | null;
  /** status_details.reason: why it is PENDING (ECHECK …) or FAILED. */
  reason: string | null;
}

const refundOf = (refund: Refund): PaypalRefund => ({
  id: refund.id ?? '',
  status: refund.status ?? null,
  reason: refund.statusDetails?.reason ?? null,
});

/** An order in our terms: its status and, once captured, its capture. */
export interface PaypalOrder {
  id: string;
  /** CREATED, PAYER_ACTION_REQUIRED, APPROVED, COMPLETED, VOIDED, SAVED */
  status: string;
  amountMinor: number | null;
  currency: string | null;
  customId: string | null;
  capture: PaypalCapture | null;
}

function captureOf(capture: CapturedPayment): PaypalCapture {
  const currency = capture.amount?.currencyCode ?? null;
  return {
    id: capture.id ?? '',
    status: capture.status ?? '',
    reason: capture.statusDetails?.reason ?? null,
    amountMinor: currency ? minorUnits(capture.amount?.value, currency) : null,
    currency,
    customId: capture.customId ?? null,
    invoiceId: capture.invoiceId ?? null,
  };
}

function orderOf(order: Order): PaypalOrder {
  const unit = order.purchaseUnits?.[0];
  const capture = unit?.payments?.captures?.[0];
  const currency = unit?.amount?.currencyCode ?? null;
  return {
    id: order.id ?? '',
    status: order.status ?? '',
    amountMinor: currency ? minorUnits(unit?.amount?.value, currency) : null,
    currency,
    customId: unit?.customId ?? null,
    capture: capture ? captureOf(capture) : null,
  };
}

/** PayPal's answer to a refused request: its status, error name and first issue ("UNPROCESSABLE_ENTITY: ORDER_NOT_APPROVED"). */
export interface PaypalIssue {
  status: number;
  name: string;
  issue: string | null;
  debugId: string | null;
}

/** The issue in PayPal's error body (REST APIs: name, details; OAuth: error). */
function issueOf(status: number, result: unknown): PaypalIssue {
  const body = (result ?? {}) as { name?: string; error?: string; debug_id?: string; details?: { issue?: string }[] };
  return {
    status,
    name: body.name ?? body.error ?? 'UNKNOWN',
    issue: body.details?.[0]?.issue ?? null,
    debugId: body.debug_id ?? null,
  };
}

/** PayPal's refusal as the SDK reports it; null for anything else. */
export function paypalIssue(error: unknown): PaypalIssue | null {
  return error instanceof ApiError ? issueOf(error.statusCode, error.result) : null;
}

/** Which store setting holds the credentials of a mode (for the seller to fix). */
export const paypalSetting = (credentials: PaypalCredentials) => (credentials.mode === 'live' ? 'client_secret' : 'sandbox_client_secret');

/**
 * What PayPal's failure means for the seller: the app's credentials refused (they fix them),
 * the request refused, or PayPal down or busy (retry later). Other errors come back as they are.
 */
export function classifyPaypalError(error: unknown, credentials: PaypalCredentials): unknown {
  const issue = paypalIssue(error);
  if (!issue) {
    // No HTTP answer: connection refused, reset, timed out.
    if (error instanceof Error && !(error instanceof GatewayError))
      return new GatewayError('PayPal', 'unavailable', 'PayPal could not be reached; retry shortly', { retryAfterSeconds: 5 });
    return error;
  }
  return classifyPaypalIssue(issue, credentials);
}

function classifyPaypalIssue(issue: PaypalIssue, credentials: PaypalCredentials): GatewayError {
  const details = {
    providerStatus: issue.status,
    ...(issue.debugId ? { requestId: issue.debugId } : {}),
    ...(issue.issue ? { issue: issue.issue } : {}),
  };
  if (issue.status === 401 || issue.status === 403) {
    const setting = paypalSetting(credentials);
    const message = `PayPal refused the store's ${credentials.mode} REST app credentials (PAYPAL payment settings, ${setting}); update them`;
    return new GatewayError('PayPal', 'misconfigured', message, { ...details, setting });
  }
  if (issue.status === 429)
    return new GatewayError('PayPal', 'rate_limited', 'PayPal is rate limiting this store; retry shortly', {
      ...details,
      retryAfterSeconds: 2,
    });
  if (issue.status >= 500)
    return new GatewayError('PayPal', 'unavailable', 'PayPal failed; retry shortly', { ...details, retryAfterSeconds: 5 });
  return new GatewayError(
    'PayPal',
    'rejected',
    `PayPal refused the request: ${issue.name}${issue.issue ? ` (${issue.issue})` : ''}`,
    details,
  );
}

/** The PAYPAL-* headers of a webhook delivery, as verify-webhook-signature takes them. */
export interface PaypalTransmission {
  authAlgo: string;
  certUrl: string;
  transmissionId: string;
  transmissionSig: string;
  transmissionTime: string;
}

/**
 * PayPal through its official server SDK (Orders v2, Payments v2). One SDK client per REST app
 * is kept, so its OAuth token is reused until it expires. PAYPAL_API_URL points it elsewhere.
 */
export class PaypalGateway {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly apiUrl?: string) {}

  client(credentials: PaypalCredentials): Client {
    const key = `${credentials.mode}\u0000${credentials.clientId}\u0000${credentials.clientSecret}`;
    let client = this.clients.get(key);
    if (!client) {
      client = paypalClient(credentials, { apiUrl: this.apiUrl });
      // Bounded: a store that rotates its secret leaves one stale entry behind.
      if (this.clients.size > 500) this.clients.clear();
      this.clients.set(key, client);
    }
    return client;
  }

  /** Asks PayPal for an OAuth token with these credentials: they work, or a GatewayError says why not. */
  async checkCredentials(credentials: PaypalCredentials): Promise<void> {
    try {
      await paypalClient(credentials, { apiUrl: this.apiUrl }).clientCredentialsAuthManager.fetchToken();
    } catch (error) {
      throw classifyPaypalError(error, credentials);
    }
  }

  /**
   * One PayPal order per invoice (intent CAPTURE, the invoice's amount and currency, our invoice
   * id as custom_id, paypalInvoiceId as invoice_id). The PayPal-Request-Id makes a repeated checkout answer the
   * order the first one created. Answers the order id and the URL the buyer approves it at.
   */
  async createOrder(
    credentials: PaypalCredentials,
    input: {
      storeId: number;
      invoiceId: number;
      amountMinor: number;
      currency: string;
      description: string;
      returnUrl: string;
      cancelUrl: string;
      requestId: string;
    },
  ): Promise<{ id: string; approvalUrl: string }> {
    let order: Order;
    try {
      const answer = await new OrdersController(this.client(credentials)).createOrder({
        paypalRequestId: input.requestId,
        prefer: 'return=representation',
        body: {
          intent: CheckoutPaymentIntent.Capture,
          purchaseUnits: [
            {
              referenceId: 'default',
              amount: { currencyCode: input.currency.toUpperCase(), value: paypalAmount(input.amountMinor, input.currency) },
              customId: String(input.invoiceId),
              invoiceId: paypalInvoiceId(input.storeId, input.invoiceId),
              description: input.description.slice(0, 127),
            },
          ],
          paymentSource: {
            paypal: {
              experienceContext: { returnUrl: input.returnUrl, cancelUrl: input.cancelUrl, userAction: PaypalExperienceUserAction.PayNow },
            },
          },
        },
      });
      order = answer.result;
    } catch (error) {
      throw classifyPaypalError(error, credentials);
    }
    const approval = order.links?.find((l) => l.rel === 'payer-action' || l.rel === 'approve')?.href;
    if (!order.id || !approval)
      throw new GatewayError('PayPal', 'unavailable', 'PayPal returned an order without an approval link', { retryAfterSeconds: 5 });
    return { id: order.id, approvalUrl: approval };
  }

  async getOrder(credentials: PaypalCredentials, orderId: string): Promise<PaypalOrder | null> {
    try {
      return orderOf((await new OrdersController(this.client(credentials)).getOrder({ id: orderId })).result);
    } catch (error) {
      if (paypalIssue(error)?.status === 404) return null;
      throw classifyPaypalError(error, credentials);
    }
  }

  /**
   * Captures an approved order. The request id (one per invoice's order) makes a retried
   * capture answer the first capture, never take the money twice; an order captured already
   * (ORDER_ALREADY_CAPTURED, a capture under another request id) answers the order as it is.
   */
  async captureOrder(credentials: PaypalCredentials, orderId: string, requestId: string): Promise<PaypalOrder> {
    const orders = new OrdersController(this.client(credentials));
    try {
      return orderOf((await orders.captureOrder({ id: orderId, paypalRequestId: requestId, prefer: 'return=representation' })).result);
    } catch (error) {
      if (paypalIssue(error)?.issue === 'ORDER_ALREADY_CAPTURED') {
        const order = await this.getOrder(credentials, orderId);
        if (order) return order;
      }
      throw classifyPaypalError(error, credentials);
    }
  }

  /** A capture as PayPal shows it now (GET /v2/payments/captures/{id}); null when PayPal knows no such capture. */
  async getCapture(credentials: PaypalCredentials, captureId: string): Promise<PaypalCapture | null> {
    try {
      return captureOf((await new PaymentsController(this.client(credentials)).getCapturedPayment({ captureId })).result);
    } catch (error) {
      if (paypalIssue(error)?.status === 404) return null;
      throw classifyPaypalError(error, credentials);
    }
  }

  /**
   * Refunds `amountMinor` of a capture; the request id (one per refund) makes a retry answer the
   * first refund. Our refund id goes as custom_id, so PayPal's later word on it names it.
   */
  async refundCapture(
    credentials: PaypalCredentials,
    input: {
      captureId: string;
      amountMinor: number;
      currency: string;
      requestId: string;
      storeId: number;
      invoiceId: number;
      refundId: number;
    },
  ): Promise<PaypalRefund> {
    try {
      const refund = await new PaymentsController(this.client(credentials)).refundCapturedPayment({
        captureId: input.captureId,
        paypalRequestId: input.requestId,
        prefer: 'return=representation',
        body: {
          amount: { currencyCode: input.currency.toUpperCase(), value: paypalAmount(input.amountMinor, input.currency) },
          invoiceId: paypalInvoiceId(input.storeId, input.invoiceId),
          customId: String(input.refundId),
        },
      });
      return refundOf(refund.result);
    } catch (error) {
      throw classifyPaypalError(error, credentials);
    }
  }

  /** A refund as PayPal shows it now (GET /v2/payments/refunds/{id}); null when PayPal knows no such refund. */
  async getRefund(credentials: PaypalCredentials, refundId: string): Promise<PaypalRefund | null> {
    try {
      return refundOf((await new PaymentsController(this.client(credentials)).getRefund({ refundId })).result);
    } catch (error) {
      if (paypalIssue(error)?.status === 404) return null;
      throw classifyPaypalError(error, credentials);
    }
  }

  /**
   * Whether PayPal knows this webhook on the app (Webhooks Management's show webhook details,
   * GET /v1/notifications/webhooks/{id}): false when PayPal answers 404, as it does for an id of
   * another app or mode. It asks for a token first, so refused credentials are the GatewayError
   * checkCredentials throws; PayPal away is one too.
   */
  async knowsWebhook(credentials: PaypalCredentials, webhookId: string): Promise<boolean> {
    const response = await this.notificationsCall(credentials, 'check the webhook id', `/webhooks/${encodeURIComponent(webhookId)}`, {
      method: 'GET',
    });
    const body: unknown = await response.json().catch(() => null);
    if (response.ok) return true;
    if (response.status === 404) return false;
    throw classifyPaypalIssue(issueOf(response.status, body), credentials);
  }

  /**
   * PayPal's verify-webhook-signature call: the transmission headers, the event as received and
   * the webhook id configured for this mode. True only on SUCCESS.
   */
  async verifyWebhook(
    credentials: PaypalCredentials,
    webhookId: string,
    transmission: PaypalTransmission,
    /** The delivery's body exactly as PayPal sent it (JSON text): PayPal checks its signature over those bytes. */
    rawEvent: string,
  ): Promise<boolean> {
    const response = await this.notificationsCall(credentials, 'verify the webhook', '/verify-webhook-signature', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: verifyRequestBody(webhookId, transmission, rawEvent),
    });
    if (!response.ok) return false;
    const answer = (await response.json().catch(() => null)) as { verification_status?: string } | null;
    return answer?.verification_status === 'SUCCESS';
  }

  /**
   * A call to PayPal's notifications API (/v1/notifications…), which the SDK has no controller
   * for, with a new OAuth token from the app's SDK client. PayPal's answer below 500; its token refused,
   * PayPal out of reach or failing are a GatewayError (`purpose` says what for).
   */
  private async notificationsCall(
    credentials: PaypalCredentials,
    purpose: string,
    path: string,
    init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  ): Promise<globalThis.Response> {
    let token: string;
    try {
      token = (await this.client(credentials).clientCredentialsAuthManager.fetchToken()).accessToken;
    } catch (error) {
      throw classifyPaypalError(error, credentials);
    }
    const origin = this.apiUrl?.replace(/\/$/, '') ?? PAYPAL_ORIGINS[credentials.mode];
    let response: globalThis.Response;
    try {
      response = await fetch(`${origin}/v1/notifications${path}`, {
        ...init,
        headers: { ...init.headers, Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(20_000),
      });
    } catch {
      throw new GatewayError('PayPal', 'unavailable', `PayPal could not be reached to ${purpose}; retry shortly`, {
        retryAfterSeconds: 5,
      });
    }
    if (response.status >= 500)
      throw new GatewayError('PayPal', 'unavailable', `PayPal failed to ${purpose}; retry shortly`, { retryAfterSeconds: 5 });
    return response;
  }
}
