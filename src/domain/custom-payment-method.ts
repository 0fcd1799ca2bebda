/**
 * A store's custom payment methods, without I/O: what a redirect URL may name and how it is
 * filled, and what an instruction method may show.
 */
import { minorUnitsOf } from './currency-minor-units';

export const CUSTOM_METHOD_TYPES = ['instructions', 'redirect'] as const;
export type CustomMethodType = (typeof CUSTOM_METHOD_TYPES)[number];

/** The invoices' payment_method for every custom method; custom_payment_method_id says which. */
export const CUSTOM_PAYMENT_METHOD = 'CUSTOM_PAYMENT_METHOD';

export const MAX_CHECKOUT_STEPS = 3;

/** The variables a redirect URL may carry (SellApp's list). */
export const REDIRECT_VARIABLES = [
  'id',
  'invoice_id',
  'customer_email',
  'currency',
  'price',
  'price_usd',
  'product_name',
  'quantity',
] as const;
export type RedirectVariable = (typeof REDIRECT_VARIABLES)[number];

/** `{name}` placeholders in a URL that are not ours: a typo the seller should hear of on save. */
export function unknownRedirectVariables(template: string): string[] {
  const names = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
  return names.filter((n) => !(REDIRECT_VARIABLES as readonly string[]).includes(n));
}

/** The redirect URL with every variable filled, each value URL-encoded (an email's `+` and `@` survive). */
export function fillRedirectUrl(template: string, values: Record<RedirectVariable, string>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) =>
    (REDIRECT_VARIABLES as readonly string[]).includes(name) ? encodeURIComponent(values[name as RedirectVariable]) : whole,
  );
}

/**
 * A method's modifier as the invoice totals take it: positive percentage/fixed = discount,
 * negative = fee. `fixed` is an amount of the invoice's currency (SellApp's "5" is five of it),
 * so its minor units are the currency's: 5 USD is 500, 5 JPY is 5, 5 KWD is 5000.
 */
export function modifierAdjustment(
  modifier: { percentage: string | null; fixed: string | null } | null,
  currency: string,
): { percent: number; fixedCents: number } {
  const fixedCents = modifier?.fixed ? minorUnitsOf(modifier.fixed, currency) : 0;
  // Saved methods were checked to be decimals (gateways/custom-payment-methods): anything else is a broken row.
  if (fixedCents === null) throw new Error(`Custom payment method modifier.fixed is not a decimal: ${modifier?.fixed}`);
  return { percent: Number(modifier?.percentage ?? 0), fixedCents };
}

/** attention_reason prefix of an order waiting for the seller to confirm a custom payment. */
export const CUSTOM_REVIEW_ATTENTION = 'custom_payment_review';

/** Proof images the buyer may upload: screenshots, at most 5 MB. */
export const PROOF_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
export const MAX_PROOF_IMAGE_BYTES = 5 * 1024 * 1024;
export const MAX_PROOF_TEXT_LENGTH = 5_000;
