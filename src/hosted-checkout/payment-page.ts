import type { CheckoutOutcome } from '../orders/checkout';

/** The seller's link, only when it is a web address (never javascript: or the like). */
export function webAddress(url: string | null): string | null {
  return url && /^https?:\/\//i.test(url) && URL.canParse(url) ? url : null;
}

/**
 * Where the buyer pays off this site: the gateway's page (Stripe, PayPal), or a redirect method's page when the seller
 * skips the interstitial page; null for the order page (which, for a redirect method, is that
 * interstitial: the link onward, and the page the buyer keeps to follow the order).
 */
export function paymentPage(outcome: CheckoutOutcome): string | null {
  if ('paymentUrl' in outcome) return outcome.paymentUrl;
  if (outcome.kind === 'custom' && outcome.custom.skip_interstitial_page) return webAddress(outcome.custom.redirect_url);
  return null;
}
