import { sql } from 'kysely';
import type { CatalogActor } from '../catalog/actor';
import { availableCount } from '../catalog/serial-stock';
import type { DbExecutor } from '../db/schema';
import { CUSTOM_PAYMENT_METHOD, modifierAdjustment } from '../domain/custom-payment-method';
import { invoiceTotals, lineTotals, quantityProblem } from '../domain/invoice-totals';
import { applicableCoupon } from '../coupons/apply-coupon';
import { recordEvent } from '../events/record';
import { attributeInvoice } from '../affiliates/attribute-invoice';
import { customerForEmail, type CustomerReference, namedCustomerId } from '../customers/customers';
import { InvoiceRuleError } from './errors';
import { invoiceCreatedBy } from './request-key';

export interface InvoiceLineRequest {
  variantId: number;
  quantity: number;
  additionalInformation: Record<string, unknown>;
}

export interface CreateInvoiceInput {
  /** Null only where the store disabled the checkout e-mail (placeInvoice checks), never for a subscription. */
  customerEmail: string | null;
  paymentMethod: string;
  lines: InvoiceLineRequest[];
  customerIp?: string | null;
  coupon?: string;
  vatId?: string;
  country?: string;
  affiliate?: string | null;
  /** The storefront's visitor id, to match referral link clicks it reported. */
  visitorId?: string | null;
  extra?: { amount: number; currency: string };
  replacementOf?: number;
  /** A replacement costs the customer nothing: totals are zero. */
  free?: boolean;
  /** The creating request's Idempotency-Key (requestKeyOf): a retry gets the same invoice. */
  requestKey?: string;
  /** sha256 of the token a fast-checkout buyer follows the order by. */
  statusTokenHash?: string;
  /** paymentMethod CUSTOM_PAYMENT_METHOD: which of the store's custom methods. */
  customPaymentMethodId?: string | null;
  /** The seller's existing customer the invoice belongs to; without one, the customer of customerEmail. */
  customer?: CustomerReference;
}

const PURCHASABLE = new Set(['PUBLIC', 'HIDDEN']);

/** Whether buyers may buy a product: public or hidden (link only), and not a draft. */
export const isPurchasable = (product: { visibility: string; status: string }) =>
  PURCHASABLE.has(product.visibility) && product.status !== 'DRAFT';
/** Gateways that can bill a subscription every period. */
const SUBSCRIPTION_METHODS = new Set(['STRIPE', 'PAYPAL']);

const QUANTITY_MESSAGES = {
  below_minimum: 'is below the minimum purchase quantity',
  above_maximum: 'is above the maximum purchase quantity',
  not_an_increment: 'is not an allowed quantity step',
} as const;

/** What pricing an invoice needs: its lines, and the payment method once the buyer chose one. */
export type PriceInvoiceInput = Pick<CreateInvoiceInput, 'lines' | 'coupon' | 'extra' | 'customPaymentMethodId'> & {
  paymentMethod?: string;
  /** A quote before the buyer answered: required checkout questions are not asked for yet. */
  quote?: boolean;
};

/**
 * Checks every rule of the catalogue for these lines (the variant is for sale, accepts the
 * payment method, allows the quantity and has the stock, the required checkout questions are
 * answered) and prices them: what a new invoice is made of, and what a buyer is quoted before
 * choosing how to pay. Throws InvoiceRuleError naming the field at fault.
 */
export async function priceInvoice(trx: DbExecutor, actor: CatalogActor, input: PriceInvoiceInput) {
  if (input.lines.length === 0)
    throw new InvoiceRuleError('missing_field', 'An invoice needs at least one product variant', 'product_variants');

  const variantIds = input.lines.map((l) => l.variantId);
  const rows = await trx
    .selectFrom('product_variants as v')
    .innerJoin('products as p', 'p.id', 'v.product_id')
    .select([
      'v.id',
      'v.product_id',
      'v.title',
      'v.price_cents',
      'v.currency',
      'v.humble',
      'v.minimum_purchase_quantity',
      'v.maximum_purchase_quantity',
      'v.other_settings',
      'v.bulk_discount',
      'v.payment_methods',
      'v.custom_payment_method_ids',
      'v.deliverable_types',
      'v.deliverable',
      'v.pricing_type',
      'p.title as product_title',
      'p.visibility',
      'p.status as product_status',
      'p.additional_information',
    ])
    .where('v.store_id', '=', actor.storeId)
    .where('v.id', 'in', variantIds)
    .where('v.deleted_at', 'is', null)
    .where('p.deleted_at', 'is', null)
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const custom = await customMethodOf(trx, actor.storeId, input);

  for (const [i, line] of input.lines.entries()) {
    const param = `product_variants.${line.variantId}`;
    const variant = byId.get(line.variantId);
    if (!variant) throw new InvoiceRuleError('variant_not_found', `No product variant ${line.variantId} for sale in this store`, param);
    if (!isPurchasable({ visibility: variant.visibility, status: variant.product_status })) {
      throw new InvoiceRuleError(
        'not_for_sale',
        `"${variant.product_title}" cannot be bought (${variant.product_status === 'DRAFT' ? 'draft' : variant.visibility})`,
        param,
      );
    }
    if (custom && !variant.custom_payment_method_ids.includes(custom.id)) {
      throw new InvoiceRuleError(
        'payment_method_not_accepted',
        `"${variant.title}" does not accept ${custom.name}`,
        'custom_payment_method_id',
      );
    }
    if (!custom && input.paymentMethod !== undefined && !variant.payment_methods.includes(input.paymentMethod)) {
      throw new InvoiceRuleError(
        'payment_method_not_accepted',
        `"${variant.title}" does not accept ${input.paymentMethod}`,
        'payment_method',
      );
    }
    const problem = quantityProblem(line.quantity, {
      minimum: variant.minimum_purchase_quantity,
      maximum: variant.maximum_purchase_quantity,
      increments: Number(variant.other_settings.quantity_increments ?? 1),
    });
    if (problem)
      throw new InvoiceRuleError(
        problem,
        `Quantity ${line.quantity} ${QUANTITY_MESSAGES[problem]} of "${variant.title}"`,
        `${param}.quantity`,
      );
    if (variant.deliverable_types.includes('TEXT')) {
      const stock = await availableCount(trx, variant.id);
      if (stock < line.quantity)
        throw new InvoiceRuleError('out_of_stock', `Only ${stock} of "${variant.title}" left`, `${param}.quantity`);
    } else if (variant.deliverable.stock !== null && variant.deliverable.stock !== undefined && variant.deliverable.stock < line.quantity) {
      throw new InvoiceRuleError('out_of_stock', `Only ${variant.deliverable.stock} of "${variant.title}" left`, `${param}.quantity`);
    }
    for (const field of variant.additional_information as { key: string; label: string; required: boolean; type?: string }[]) {
      const answer = line.additionalInformation[field.key];
      if (field.required && !input.quote && (answer === undefined || answer === null || answer === '')) {
        throw new InvoiceRuleError('missing_field', `"${field.label}" is required`, `${param}.additional_information.${field.key}`);
      }
      // A required box ("I agree to the Terms of Service") answered no is not agreed to.
      if (field.required && !input.quote && field.type === 'checkbox' && !ticked(answer)) {
        throw new InvoiceRuleError('missing_field', `"${field.label}" must be accepted`, `${param}.additional_information.${field.key}`);
      }
    }
    if (i > 0 && variant.currency !== byId.get(input.lines[0]!.variantId)!.currency) {
      throw new InvoiceRuleError('mixed_currencies', 'All product variants of an invoice must share one currency', param);
    }
  }

  // A subscription bills on its own: one variant per invoice, through a gateway that can
  // charge every period (Stripe, PayPal; add-ons and bundles are one-time only).
  const recurring = input.lines.find((l) => byId.get(l.variantId)!.pricing_type === 'SUBSCRIPTION');
  if (recurring) {
    const param = `product_variants.${recurring.variantId}`;
    if (input.lines.length > 1)
      throw new InvoiceRuleError('subscription_not_alone', 'A subscription must be the only product variant of its invoice', param);
    if (input.paymentMethod !== undefined && !SUBSCRIPTION_METHODS.has(input.paymentMethod)) {
      throw new InvoiceRuleError(
        'payment_method_not_accepted',
        `Subscriptions are paid with ${[...SUBSCRIPTION_METHODS].join(' or ')}, not ${input.paymentMethod}`,
        'payment_method',
      );
    }
  }

  const first = byId.get(input.lines[0]!.variantId)!;
  if (input.extra) {
    if (!input.lines.some((l) => byId.get(l.variantId)!.humble))
      throw new InvoiceRuleError('extra_not_allowed', 'None of these variants is pay-what-you-want', 'extra');
    if (input.extra.currency.toUpperCase() !== first.currency)
      throw new InvoiceRuleError('invalid_field', `extra must be in ${first.currency}`, 'extra.currency');
  }
  const lineInputs = input.lines.map((l) => {
    const v = byId.get(l.variantId)!;
    return { unitPriceCents: v.price_cents, quantity: l.quantity, bulkDiscount: v.bulk_discount };
  });
  const coupon = input.coupon
    ? await applicableCoupon(
        trx,
        actor.storeId,
        input.coupon,
        input.lines.map((l, i) => ({ productId: byId.get(l.variantId)!.product_id, netCents: lineTotals(lineInputs[i]!).netCents })),
      )
    : null;
  const totals = invoiceTotals({
    lines: lineInputs,
    method: custom ? modifierAdjustment(custom.modifier, first.currency) : undefined,
    extraCents: input.extra?.amount ?? 0,
    couponDiscountCents: coupon?.discountCents ?? 0,
  });
  return { byId, first, coupon, totals };
}

/** The enabled custom method a CUSTOM_PAYMENT_METHOD invoice names; null for every other method. */
async function customMethodOf(trx: DbExecutor, storeId: number, input: PriceInvoiceInput) {
  if (input.paymentMethod !== CUSTOM_PAYMENT_METHOD) {
    if (input.customPaymentMethodId)
      throw new InvoiceRuleError(
        'invalid_field',
        `custom_payment_method_id goes with payment_method ${CUSTOM_PAYMENT_METHOD}`,
        'custom_payment_method_id',
      );
    return null;
  }
  if (!input.customPaymentMethodId)
    throw new InvoiceRuleError(
      'missing_field',
      `payment_method ${CUSTOM_PAYMENT_METHOD} needs custom_payment_method_id`,
      'custom_payment_method_id',
    );
  const method = await trx
    .selectFrom('custom_payment_methods')
    .select(['id', 'name', 'modifier'])
    .where('store_id', '=', storeId)
    .where('id', '=', input.customPaymentMethodId)
    .where('enabled', '=', true)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!method)
    throw new InvoiceRuleError(
      'payment_method_not_accepted',
      'No enabled custom payment method of this store has that id',
      'custom_payment_method_id',
    );
  return method;
}

/**
 * Creates a PENDING invoice after every rule of the catalogue is checked: the variant is
 * for sale, accepts the payment method, allows the quantity and has the stock, and the
 * required checkout questions are answered. Totals come from the pure domain code.
 */
export async function createInvoice(trx: DbExecutor, actor: CatalogActor, input: CreateInvoiceInput): Promise<number> {
  const existing = await invoiceCreatedBy(trx, actor.storeId, input.requestKey);
  if (existing !== null) return existing;
  const { byId, first, coupon, totals } = await priceInvoice(trx, actor, input);
  // Null only where the store disabled the checkout e-mail (placeInvoice), or a replacement copying such an order.
  const customerEmail = input.customerEmail?.trim().toLowerCase() || null;
  // Renewal receipts, payment notices and the customer portal need someone to reach.
  if (customerEmail === null && [...byId.values()].some((v) => v.pricing_type === 'SUBSCRIPTION'))
    throw new InvoiceRuleError(
      'missing_field',
      'customer_email is required: a subscription needs an e-mail address to reach the buyer',
      'customer_email',
    );
  if (input.free) {
    totals.couponDiscountCents = 0;
    totals.subtotalCents = 0;
    totals.totalCents = 0;
    totals.methodAdjustmentCents = 0;
    for (const line of totals.lines) line.netCents = 0;
  }

  const attribution = input.free
    ? null
    : await attributeInvoice(trx, actor.storeId, {
        affiliateCode: input.affiliate,
        visitorId: input.visitorId,
        customerEmail,
        couponAffiliateId: coupon?.affiliateId ?? null,
      });

  const scope = { storeId: actor.storeId, livemode: actor.livemode };
  // The customer the seller names, else the e-mail's; no e-mail, no customer: nothing names the buyer again.
  const customerId = input.customer
    ? await namedCustomerId(trx, scope, input.customer)
    : customerEmail === null
      ? null
      : await customerForEmail(trx, scope, customerEmail);
  if (input.customer && customerId === null) {
    const param = 'id' in input.customer ? 'customer_id' : 'external_customer_id';
    throw new InvoiceRuleError('customer_not_found', `No customer of this store has that ${param}`, param);
  }
  const invoice = await trx
    .insertInto('invoices')
    .values({
      store_id: actor.storeId,
      livemode: actor.livemode,
      customer_email: customerEmail,
      customer_id: customerId,
      customer_ip: input.customerIp ?? null,
      country: input.country ?? null,
      vat_id: input.vatId ?? null,
      payment_method: input.paymentMethod,
      custom_payment_method_id: input.paymentMethod === CUSTOM_PAYMENT_METHOD ? input.customPaymentMethodId : null,
      coupon_code: coupon?.code ?? null,
      coupon_id: coupon?.id ?? null,
      coupon_discount_cents: totals.couponDiscountCents,
      affiliate: input.affiliate ?? null,
      affiliate_id: attribution?.affiliateId ?? null,
      affiliate_source: attribution?.source ?? null,
      currency: first.currency,
      subtotal_cents: totals.subtotalCents,
      method_adjustment_cents: totals.methodAdjustmentCents,
      extra_cents: totals.extraCents,
      total_cents: totals.totalCents,
      units: totals.units,
      gateway: JSON.stringify({ type: input.paymentMethod, data: {} }),
      replacement_of: input.replacementOf ?? null,
      request_key: input.requestKey ?? null,
      status_token_hash: input.statusTokenHash ?? null,
      // The store's invoice lifetime, read by the insert itself (one round trip fewer on every create).
      expires_at: sql<Date>`now() + make_interval(secs => (select invoice_ttl_seconds from stores where id = ${actor.storeId}))`,
      paid_at: null,
      completed_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();

  await trx
    .insertInto('invoice_lines')
    .values(
      input.lines.map((l, i) => {
        const v = byId.get(l.variantId)!;
        return {
          invoice_id: invoice.id,
          store_id: actor.storeId,
          product_id: v.product_id,
          variant_id: v.id,
          title: `${v.product_title} — ${v.title}`,
          quantity: l.quantity,
          unit_price_cents: v.price_cents,
          bulk_discount_cents: totals.lines[i]!.bulkDiscountCents,
          total_cents: totals.lines[i]!.netCents,
          additional_information: JSON.stringify(l.additionalInformation),
          deliverable_types: v.deliverable_types,
        };
      }),
    )
    .execute();
  await recordEvent(trx, { storeId: actor.storeId, livemode: actor.livemode, type: 'order.created', data: { id: invoice.id } });
  return invoice.id;
}

/** A checkbox's answer as JSON, a form or the embed gives it: ticked or not. */
function ticked(answer: unknown): boolean {
  return answer === true || answer === 1 || (typeof answer === 'string' && ['true', '1', 'on', 'yes'].includes(answer.toLowerCase()));
}
