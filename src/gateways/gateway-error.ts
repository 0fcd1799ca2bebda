/**
 * A payment provider's answer, classified for the seller:
 * - misconfigured: the provider refused our credentials (401/403); the seller fixes `setting`;
 * - rejected: the provider refused the request itself (400/404), retrying the same will not help;
 * - unavailable: it could not be reached or failed (connection, 5xx): retry after a while;
 * - rate_limited: it asked us to slow down (429): retry after a while.
 */
export type GatewayFailureKind = 'misconfigured' | 'rejected' | 'unavailable' | 'rate_limited';

export class GatewayError extends Error {
  constructor(
    readonly gateway: string,
    readonly kind: GatewayFailureKind,
    message: string,
    readonly details: {
      /** The store setting to fix (misconfigured). */
      setting?: string;
      /** When to try again (unavailable, rate_limited). */
      retryAfterSeconds?: number;
      /** The provider's HTTP status, when it answered. */
      providerStatus?: number;
      /** The provider's request id, for its support. */
      requestId?: string;
      /** The provider's own code of what it refused (PayPal's INSTRUMENT_DECLINED, ORDER_NOT_APPROVED …). */
      issue?: string;
    } = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}
