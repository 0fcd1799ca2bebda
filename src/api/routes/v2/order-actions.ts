import type { Response } from 'express';
import type { z } from 'zod';
import type { AsnLookup } from '../../../blacklists/asn-lookup';
import type { StripeGateway } from '../../../gateways/stripe-gateway';
import type { PaypalGateway } from '../../../gateways/paypal/paypal-gateway';
import { checkout } from '../../../orders/checkout';
import { invoiceCheckoutUrl } from '../../../orders/invoice-checkout-link';
import { issueReplacement } from '../../../orders/issue-replacement';
import { resendFulfillmentNotices, retryDynamicDelivery, retryFulfillment } from '../../../orders/order-ops';
import { placeInvoice } from '../../../orders/place-invoice';
import { findStoreInvoice } from '../../../orders/store-invoice';
import { updateInvoiceStatus } from '../../../orders/update-status';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import { engineOf } from '../../engine';
import { ApiError, notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { requestKeyOf } from '../../middleware/idempotency';
import type { fulfillmentNotificationsBody, fulfillmentRetryBody, invoiceCreateBody, statusChangeBody } from '../../schemas/invoices';
import { actorOf } from './products';

export interface OrderGateways {
  stripe: StripeGateway;
  paypal: PaypalGateway;
  secrets: SecretBox;
  asn: AsnLookup;
}

/**
 * What the invoice routes and the order routes both do to an order: the same services, the same
 * workflow Updates and outbox intents, whichever path a client calls. Each route only shapes the
 * answer (the invoice model or the order model).
 */
export function orderActions(deps: ApiDependencies, gateways: OrderGateways) {
  const engine = engineOf(deps);

  /** One of the store's invoices (never a charge), or a 404 naming the resource the client asked for. */
  const find = async (auth: RequestAuth, id: number, resource = 'Invoice') => {
    const invoice = await findStoreInvoice(deps.db, auth.store.id, id);
    if (!invoice) throw notFound(resource);
    return invoice;
  };

  return {
    engine,
    find,

    /** A pending invoice; its payment starts the order (signal-with-start, through the outbox). The new id. */
    create: (auth: RequestAuth, body: z.infer<typeof invoiceCreateBody>, res: Response) =>
      placeInvoice(
        deps.db,
        actorOf(auth),
        {
          customerEmail: body.customer_email ?? null,
          paymentMethod: body.payment_method,
          customPaymentMethodId: body.custom_payment_method_id,
          lines: Object.entries(body.product_variants).map(([variantId, line]) => ({
            variantId: Number(variantId),
            quantity: line.quantity,
            additionalInformation: line.additional_information ?? {},
          })),
          customerIp: body.customer_ip,
          fingerprint: body.checkout_fingerprint,
          coupon: body.coupon,
          vatId: body.vat_id,
          country: body.country,
          affiliate: body.affiliate,
          visitorId: body.visitor_id,
          extra: body.extra,
          customer:
            body.customer_id !== undefined
              ? { id: body.customer_id }
              : body.external_customer_id !== undefined
                ? { externalId: body.external_customer_id }
                : undefined,
          requestKey: requestKeyOf(res),
        },
        gateways.asn,
        deps.config.checkoutReminders,
      ),

    /** Stripe sends the buyer back to the invoice's own hosted page, where they follow it until delivered. */
    checkout: async (auth: RequestAuth, id: number, resource?: string) =>
      checkout(
        {
          engine,
          stripe: gateways.stripe,
          paypal: gateways.paypal,
          secrets: gateways.secrets,
          publicBaseUrl: deps.config.api.publicBaseUrl,
        },
        auth.store,
        await find(auth, id, resource),
        { returnUrl: invoiceCheckoutUrl(deps.config.api.publicBaseUrl, gateways.secrets, auth.store, id) },
      ),

    /** Re-delivers the named lines as a new, paid invoice linked to the original: the replacement's id. */
    replace: async (auth: RequestAuth, id: number, variantIds: number[], res: Response, resource?: string) =>
      issueReplacement(engine, actorOf(auth), await find(auth, id, resource), variantIds, requestKeyOf(res)),

    setStatus: async (auth: RequestAuth, id: number, body: z.infer<typeof statusChangeBody>, resource?: string) =>
      updateInvoiceStatus(engine, await find(auth, id, resource), body.status, body.expected_status),

    /** The order workflow's Update: how many failed steps it reset (409 with why when nothing waits). */
    retryFulfillment: async (auth: RequestAuth, id: number, body: z.infer<typeof fulfillmentRetryBody>, resource?: string) => {
      const invoice = await find(auth, id, resource);
      if (body.email)
        throw new ApiError(
          'invalid_request',
          'unsupported_parameter',
          "A replacement delivery e-mail is not supported; the delivery goes to the invoice's e-mail",
          { param: 'email', status: 422 },
        );
      return (await retryFulfillment(engine, invoice.id, auth.store.id, body.steps ? { kinds: body.steps } : {})).steps;
    },

    retryDynamicDelivery: async (auth: RequestAuth, id: number, stepId: number, resource?: string) => {
      await retryDynamicDelivery(engine, (await find(auth, id, resource)).id, stepId);
    },

    /** How many notices went out again. */
    resendNotices: async (auth: RequestAuth, id: number, body: z.infer<typeof fulfillmentNotificationsBody>, resource?: string) =>
      resendFulfillmentNotices(engine, (await find(auth, id, resource)).id, {
        ...(body.email ? { email: body.email } : {}),
        ...(body.product_variant_ids ? { productVariantIds: body.product_variant_ids } : {}),
      }),
  };
}

export type OrderActions = ReturnType<typeof orderActions>;
