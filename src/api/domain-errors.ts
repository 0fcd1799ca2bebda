import { AffiliateConflictError, AffiliateNotFoundError, AffiliateRuleError } from '../affiliates/errors';
import { CatalogConflictError, CatalogNotFoundError, CatalogRuleError, LivemodeForbiddenError } from '../catalog/errors';
import {
  CheckoutError,
  FulfillmentRefusedError,
  InvoiceRuleError,
  InvoiceStatusChangedError,
  InvoiceStatusConflictError,
  PaypalCaptureInFlightError,
} from '../orders/errors';
import { CheckoutAttemptsExceededError } from '../orders/checkout-attempts';
import { BlacklistedCustomerError } from '../blacklists/screen-customer';
import { LicenseActivationError } from '../licenses/license-keys';
import { SubscriptionConflictError, SubscriptionRuleError } from '../subscriptions/errors';
import { CommunityConflictError, CommunityNotFoundError, CommunityRuleError } from '../community/errors';
import { CommunityPlatformError } from '../community/platform';
import { GatewayError } from '../gateways/gateway-error';
import { WalletSettingsError } from '../gateways/crypto/wallet-settings';
import { LivemodeViolationError } from '../db/livemode-scope';
import { CustomerConflictError, CustomerNotFoundError, CustomerRuleError } from '../customers/errors';
import { RefundConflictError, RefundedOrderNotFoundError, RefundRuleError } from '../refunds/errors';
import { ApiError, conflict, invalidRequest, notFound, permissionDenied } from './errors';

/** What a platform said when the API called it (connect, health check, linking). */
function platformError(error: CommunityPlatformError): ApiError {
  if (error.kind === 'rate_limited') {
    const seconds = Math.ceil((error.retryAfterMs ?? 1000) / 1000);
    return new ApiError('rate_limited', 'platform_rate_limited', `${error.platform} is rate limiting us: ${error.message}`, {
      headers: { 'Retry-After': String(seconds) },
      extra: { retry_after: seconds },
    });
  }
  if (error.kind === 'unavailable') {
    return new ApiError('bad_gateway', 'platform_unavailable', `${error.platform} could not be reached: ${error.message}`, {
      headers: { 'Retry-After': '10' },
      extra: { retry_after: 10 },
    });
  }
  return new ApiError('invalid_request', `platform_${error.kind}`, `${error.platform}: ${error.message}`, { status: 422 });
}

/**
 * What a payment gateway said: a refused key is the seller's to fix (422, naming the setting); an
 * outage or rate limit is a 502 / 503 with Retry-After; never an internal error.
 */
function gatewayError(error: GatewayError): ApiError {
  const code = `gateway_${error.kind}`;
  if (error.kind === 'misconfigured' || error.kind === 'rejected') {
    return new ApiError('invalid_request', code, error.message, { param: error.details.setting ?? 'payment_method', status: 422 });
  }
  const seconds = error.details.retryAfterSeconds ?? 5;
  const retry = { headers: { 'Retry-After': String(seconds) }, extra: { retry_after: seconds } };
  if (error.kind === 'rate_limited') return new ApiError('service_unavailable', code, error.message, retry);
  return new ApiError('bad_gateway', code, error.message, retry);
}

/** A checkout refused: 409 for the invoice's status, 422 for the gateway, 503 with Retry-After while a rate or chain is away. */
function checkoutError(error: CheckoutError): ApiError {
  if (error.kind === 'conflict') return conflict(error.code, error.message, error.param);
  if (error.kind === 'unavailable')
    return new ApiError('service_unavailable', error.code, error.message, {
      param: error.param,
      headers: { 'Retry-After': '30' },
      extra: { retry_after: 30 },
    });
  return new ApiError('invalid_request', error.code, error.message, { param: error.param, status: 422 });
}

/** Over one of the store's checkout attempt limits: 429 with when to try again. */
function attemptsExceeded(error: CheckoutAttemptsExceededError): ApiError {
  const seconds = error.retryAfterSeconds;
  return new ApiError('rate_limited', 'checkout_attempts_exceeded', error.message, {
    headers: { 'Retry-After': String(seconds) },
    extra: { retry_after: seconds, retry_at: new Date(Date.now() + seconds * 1000).toISOString() },
    sellappMessage: 'Too Many Attempts.',
  });
}

/** Domain errors become the API's envelope here, once, for every route. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof CatalogRuleError) return invalidRequest(error.code, error.message, error.param);
  if (error instanceof CatalogConflictError) return conflict(error.code, error.message, error.param);
  if (error instanceof CatalogNotFoundError) return notFound(error.resource);
  if (error instanceof InvoiceRuleError) return invalidRequest(error.code, error.message, error.param);
  if (error instanceof InvoiceStatusConflictError) return conflict('invalid_status', error.message, 'status');
  if (error instanceof RefundRuleError)
    return new ApiError('invalid_request', error.code, error.message, { param: error.param, status: 422 });
  if (error instanceof RefundConflictError) return conflict(error.code, error.message, 'status');
  if (error instanceof RefundedOrderNotFoundError) return notFound('Order');
  if (error instanceof CheckoutError) return checkoutError(error);
  if (error instanceof PaypalCaptureInFlightError)
    return new ApiError('conflict', 'capture_in_flight', error.message, {
      param: 'status',
      headers: { 'Retry-After': String(error.retryAfterSeconds) },
      extra: { retry_after: error.retryAfterSeconds },
    });
  if (error instanceof InvoiceStatusChangedError) return conflict('status_changed', error.message, 'expected_status');
  if (error instanceof FulfillmentRefusedError)
    return error.unprocessable
      ? new ApiError('invalid_request', error.refusal, error.message, { param: error.param, status: 422 })
      : conflict(error.refusal, error.message, error.param);
  if (error instanceof SubscriptionRuleError) return invalidRequest(error.code, error.message, error.param);
  if (error instanceof SubscriptionConflictError) return conflict(error.code, error.message, 'status');
  if (error instanceof CheckoutAttemptsExceededError) return attemptsExceeded(error);
  if (error instanceof BlacklistedCustomerError) return permissionDenied('customer_blacklisted', error.message);
  if (error instanceof LicenseActivationError) return conflict(error.code, error.message, error.param);
  if (error instanceof AffiliateRuleError) return invalidRequest(error.code, error.message, error.param);
  if (error instanceof AffiliateConflictError) return conflict(error.code, error.message, error.param);
  if (error instanceof AffiliateNotFoundError) return notFound(error.resource);
  if (error instanceof CommunityRuleError) return invalidRequest(error.code, error.message, error.param);
  if (error instanceof CommunityConflictError) return conflict(error.code, error.message, error.param);
  if (error instanceof CommunityNotFoundError) return notFound(error.resource);
  if (error instanceof CommunityPlatformError) return platformError(error);
  if (error instanceof GatewayError) return gatewayError(error);
  if (error instanceof CustomerRuleError) return invalidRequest(error.code, error.message, error.param);
  if (error instanceof CustomerConflictError) return conflict(error.code, error.message, error.param);
  if (error instanceof CustomerNotFoundError) return notFound(error.resource);
  if (error instanceof WalletSettingsError) return invalidRequest(error.code, error.message, error.param);
  if (error instanceof LivemodeForbiddenError || error instanceof LivemodeViolationError)
    return permissionDenied('livemode_required', error.message);
  return null;
}
