import { toApiError } from '../api/domain-errors';
import { majorUnits } from '../domain/currency-minor-units';
import { CUSTOM_PAYMENT_METHOD } from '../domain/custom-payment-method';

/** What the product page says about a refused order: beside each field it concerns, the rest above the form. */
export interface FormRefusal {
  status: number;
  message: string;
  fields: Record<string, string[]>;
  other: string[];
  headers: Record<string, string>;
}

/**
 * The form field an error names: the invoice rules name `product_variants.{id}.quantity` and
 * `…additional_information.{key}`, the body schema the embed's names; the page's fields are
 * `quantity`, `additional-{key}` and the embed's names for the rest.
 */
function formField(param: string): string {
  const answer = /(?:^|\.)additional_information\.(.+)$/.exec(param);
  if (answer) return `additional-${answer[1]}`;
  if (param === 'quantity' || param.endsWith('.quantity')) return 'quantity';
  if (/^product_variants\.\d+$/.test(param)) return 'variant';
  // Which of the seller's own methods is part of the payment method choice on the page.
  if (param === 'custom_payment_method_id') return 'payment_method';
  return param;
}

const FORM_FIELDS = new Set(['variant', 'quantity', 'customer_email', 'coupon', 'payment_method']);

/** A refusal the buyer can act on (4xx), or null for what is ours to fix. */
export function formErrors(error: unknown): FormRefusal | null {
  const apiError = toApiError(error);
  if (!apiError || (apiError.status >= 500 && apiError.status !== 503)) return null;
  const reported = apiError.options.fieldErrors ?? (apiError.options.param ? { [apiError.options.param]: [apiError.message] } : {});
  const fields: Record<string, string[]> = {};
  const other: string[] = [];
  for (const [param, messages] of Object.entries(reported)) {
    const field = formField(param);
    if (FORM_FIELDS.has(field) || field.startsWith('additional-')) (fields[field] ??= []).push(...messages);
    else other.push(...messages);
  }
  const fieldless = Object.keys(reported).length === 0;
  const message =
    apiError.status === 429
      ? 'Too many attempts: please wait a little and try again.'
      : apiError.status === 403
        ? 'This order cannot be placed.'
        : apiError.status === 503
          ? 'Payment is unavailable for a moment: please try again shortly.'
          : fieldless
            ? apiError.message
            : 'Please check the form.';
  // SellApp's (and the embed's) validation status.
  const status = apiError.status === 400 ? 422 : apiError.status;
  return { status, message, fields, other, headers: apiError.options.headers ?? {} };
}

const METHOD_LABELS: Record<string, string> = {
  STRIPE: 'Card (Stripe)',
  PAYPAL: 'PayPal',
  BTC: 'Bitcoin (BTC)',
  LTC: 'Litecoin (LTC)',
  ETH: 'Ether (ETH)',
  XMR: 'Monero (XMR)',
  SOL: 'Solana (SOL)',
  CUSTOM_PAYMENT_METHOD: 'the seller’s own method',
};

export function methodLabel(method: string): string {
  return METHOD_LABELS[method] ?? method.replace('_', ' ');
}

/** Minor units as the buyer reads them, in the currency's own digits: 1500 USD → 15.00 USD, 1500 JPY → 1500 JPY. */
export function money(cents: string | number, currency: string): string {
  return `${majorUnits(Number(cents), currency)} ${currency}`;
}

/** A payment choice on the product page: a built-in method's name, or `custom:<id>` for one of the seller's own. */
export interface MethodChoice {
  value: string;
  label: string;
}

const CUSTOM_CHOICE = 'custom:';

/** The built-in methods the variants accept, then the seller's own methods they offer. */
export function methodChoices(
  variants: { payment_methods: string[]; custom_payment_methods: { id: string; name: string }[] }[],
): MethodChoice[] {
  const builtIn = [...new Set(variants.flatMap((v) => v.payment_methods))].filter((m) => m !== CUSTOM_PAYMENT_METHOD);
  const custom = new Map(variants.flatMap((v) => v.custom_payment_methods).map((m) => [m.id, m.name]));
  return [
    ...builtIn.map((m) => ({ value: m, label: methodLabel(m) })),
    ...[...custom].map(([id, name]) => ({ value: methodChoice(CUSTOM_PAYMENT_METHOD, id), label: name })),
  ];
}

/** The form's choice of a method: a built-in one by name, a custom one as `custom:{id}`. */
export function methodChoice(paymentMethod: string, customPaymentMethodId: string | null): string {
  return customPaymentMethodId !== null ? `${CUSTOM_CHOICE}${customPaymentMethodId}` : paymentMethod;
}

/** The form's choice as the invoice takes it: a method, and for a custom one which. */
export function chosenMethod(choice: string): { paymentMethod: string; customPaymentMethodId?: string } {
  if (!choice.startsWith(CUSTOM_CHOICE)) return { paymentMethod: choice };
  return { paymentMethod: CUSTOM_PAYMENT_METHOD, customPaymentMethodId: choice.slice(CUSTOM_CHOICE.length) };
}

export interface FormValues {
  variant: string;
  quantity: string;
  customer_email: string;
  coupon: string;
  payment_method: string;
  affiliate: string;
  additional: Record<string, string>;
}

export interface FormState {
  values: FormValues;
  errors: { fields: Record<string, string[]>; other: string[] };
  message: string;
}

export interface ProductField {
  key: string;
  type: string;
  label: string;
  required: boolean;
  placeholder?: string;
  description?: string;
  options?: unknown[];
}
