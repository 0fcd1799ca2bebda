import { type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import type { AsnLookup } from '../../blacklists/asn-lookup';
import type { StripeGateway } from '../../gateways/stripe-gateway';
import type { PaypalGateway } from '../../gateways/paypal/paypal-gateway';
import {
  type FastCheckoutPrefill,
  type FastCheckoutStore,
  fastCheckoutProduct,
  findFastCheckoutStore,
  hostedOrderUrl,
  placeFastCheckout,
  prefillAnswers,
  prefilledMethod,
  quoteFastCheckout,
} from '../../orders/fast-checkout';
import { buyerOrder } from '../../orders/buyer-order';
import { startProofUpload, submitPaymentProof } from '../../orders/payment-proof';
import type { SecretBox } from '../../security/secret-box';
import { customCheckoutAnswer } from '../custom-checkout-answer';
import type { ApiDependencies } from '../context';
import { engineOf } from '../engine';
import { notFound, validationFailed } from '../errors';
import { storeCors } from '../middleware/cors';
import { notFoundRoute } from '../middleware/error-handler';
import { publicRateLimit, type RateLimitStore } from '../middleware/rate-limit';
import { buyerAddress } from '../trust-proxy';
import {
  fastCheckoutOrderBodyFor,
  fastCheckoutOrderParams,
  fastCheckoutProductParams,
  fastCheckoutProductQuery,
  fastCheckoutQuoteQuery,
  fastCheckoutVariantParams,
  paymentProofBody,
  paymentProofUploadBody,
} from '../schemas/fast-checkout';

function parse<T>(schema: z.ZodType<T>, value: unknown, location: 'body' | 'query' | 'params'): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw validationFailed(result.error, location);
  return result.data;
}

/** `additional-[key]=value` pre-fills, by key. */
function additionalPrefill(query: Request['query']): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query)
      .filter((entry): entry is [string, string] => entry[0].startsWith('additional-') && typeof entry[1] === 'string')
      .map(([name, value]) => [name.slice('additional-'.length), value]),
  );
}

function prefillOf(query: z.infer<typeof fastCheckoutProductQuery>, req: Request): FastCheckoutPrefill {
  return {
    email: query.email,
    coupon: query.coupon,
    paymentMethod: query.payment_method,
    quantity: query.quantity,
    variant: query.variant,
    affiliate: query.affiliate ?? query.aff,
    additional: additionalPrefill(req.query),
  };
}

/**
 * Fast checkout for storefront embeds, without a key: CORS for the store's listed sites, limited
 * per client address, answering in the embed's error shape (`{message, errors}`, 422 / 403 / 429).
 */
export function fastCheckoutRouter(
  deps: ApiDependencies,
  gateways: { stripe: StripeGateway; paypal: PaypalGateway; secrets: SecretBox; asn: AsnLookup },
  rateLimitStore: RateLimitStore,
): Router {
  const router = Router();
  const checkoutDeps = {
    db: deps.db,
    engine: engineOf(deps),
    stripe: gateways.stripe,
    paypal: gateways.paypal,
    secrets: gateways.secrets,
    publicBaseUrl: deps.config.api.publicBaseUrl,
    asn: gateways.asn,
    checkoutReminders: deps.config.checkoutReminders,
  };
  const storeOf = (res: Response) => res.locals.fastCheckoutStore as FastCheckoutStore;

  router.all(
    '/:store/*rest',
    storeCors(async (req) => {
      const store = await findFastCheckoutStore(deps.db, String(req.params.store));
      if (store) (req.res as Response).locals.fastCheckoutStore = store;
      return store?.allowedOrigins ?? null;
    }),
    publicRateLimit(deps.config.rateLimit, rateLimitStore),
    (_req, res, next) => {
      if (!res.locals.fastCheckoutStore) throw notFound('Store');
      next();
    },
  );

  router.get('/:store/orders/:token', async (req, res) => {
    const params = parse(fastCheckoutOrderParams, req.params, 'params');
    res.json({ data: await buyerOrder(deps, storeOf(res), { token: params.token }) });
  });

  // The buyer's proof of a custom payment, by the order token only they hold.
  router.post('/:store/orders/:token/proof/uploads', async (req, res) => {
    const params = parse(fastCheckoutOrderParams, req.params, 'params');
    const body = parse(paymentProofUploadBody, req.body, 'body');
    const upload = await startProofUpload(deps.db, deps.storage, storeOf(res).id, params.token, {
      fileName: body.file_name,
      contentType: body.content_type,
      contentLength: body.content_length,
    });
    res.status(201).json({
      data: {
        key: upload.key,
        url: upload.url,
        method: 'PUT',
        headers: { 'Content-Type': body.content_type },
        expires_at: upload.expiresAt.toISOString(),
      },
    });
  });

  router.post('/:store/orders/:token/proof', async (req, res) => {
    const params = parse(fastCheckoutOrderParams, req.params, 'params');
    const body = parse(paymentProofBody, req.body, 'body');
    const result = await submitPaymentProof(deps.db, deps.storage, storeOf(res).id, params.token, {
      text: body.text,
      imageKey: body.image_key,
    });
    res.status(201).json({
      message: 'Your proof of payment was sent: the seller reviews it before your order is delivered.',
      data: { order_id: result.invoiceId, status: result.status },
    });
  });

  router.get('/:store/:product', async (req, res) => {
    const params = parse(fastCheckoutProductParams, req.params, 'params');
    const query = parse(fastCheckoutProductQuery, req.query, 'query');
    const view = await fastCheckoutProduct(deps.db, storeOf(res), params.product, {
      withoutVariants: query.withoutVariants,
      prefill: prefillOf(query, req),
    });
    res.json({ data: view });
  });

  router.get('/:store/:product/:variant', async (req, res) => {
    const params = parse(fastCheckoutVariantParams, req.params, 'params');
    const query = parse(fastCheckoutQuoteQuery, req.query, 'query');
    const quote = await quoteFastCheckout(deps.db, storeOf(res), params.product, params.variant, {
      quantity: query.quantity,
      coupon: query.coupon,
      extra: query.extra,
      paymentMethod: query.payment_method,
    });
    res.json({ data: quote });
  });

  router.post('/:store/:product/:variant', async (req, res) => {
    const params = parse(fastCheckoutVariantParams, req.params, 'params');
    const prefill = prefillOf(parse(fastCheckoutProductQuery, req.query, 'query'), req);
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const store = storeOf(res);
    // What the page's pre-fill carried, unless the buyer's form says otherwise: read as the
    // product view reads it (a custom method by its id, answers as JSON when they are JSON).
    const method = prefilledMethod(prefill.paymentMethod);
    const body = parse(
      fastCheckoutOrderBodyFor(store),
      {
        customer_email: prefill.email,
        ...(raw.payment_method === undefined && method
          ? { payment_method: method.paymentMethod, custom_payment_method_id: method.customPaymentMethodId }
          : { payment_method: prefill.paymentMethod }),
        quantity: prefill.quantity,
        coupon: prefill.coupon,
        affiliate: prefill.affiliate,
        ...raw,
        additional_information: { ...prefillAnswers(prefill.additional), ...((raw.additional_information as object | undefined) ?? {}) },
      },
      'body',
    );
    const placed = await placeFastCheckout(checkoutDeps, store, params.product, params.variant, {
      customerEmail: body.customer_email ?? null,
      paymentMethod: body.payment_method,
      customPaymentMethodId: body.custom_payment_method_id,
      quantity: body.quantity,
      coupon: body.coupon,
      extra: body.extra,
      additionalInformation: body.additional_information,
      vatId: body.vat_id,
      country: body.country,
      affiliate: body.affiliate,
      customerIp: buyerAddress(req),
      fingerprint: body.checkout_fingerprint ?? body.fingerprint,
    });
    const order = {
      id: placed.invoiceId,
      token: placed.token,
      status_url: `${deps.config.api.publicBaseUrl.replace(/\/$/, '')}/api/v2/fast-checkout/${store.id}/orders/${placed.token}`,
      // The same order as a page the buyer can keep open: it updates itself until delivered.
      page_url: hostedOrderUrl(deps.config.api.publicBaseUrl, store, placed.token),
    };
    const { outcome } = placed;
    res.status(201);
    if (outcome.kind === 'free')
      return void res.json({ message: 'Nothing to pay: your order is being delivered.', payment_url: null, order });
    if ('paymentUrl' in outcome)
      return void res.json({ message: 'A new payment session has been generated.', payment_url: outcome.paymentUrl, order });
    if (outcome.kind === 'custom') {
      const { message, payment_url, custom } = customCheckoutAnswer(outcome.custom, deps.config.api.publicBaseUrl, store.id);
      return void res.json({ message, payment_url: payment_url ?? null, custom, order });
    }
    const { crypto } = outcome;
    res.json({
      message: `Pay ${crypto.amount} ${crypto.currency} to ${crypto.address} before ${crypto.expires_at}.`,
      payment_url: crypto.payment_uri ?? null,
      crypto,
      order,
    });
  });

  router.use(notFoundRoute());
  return router;
}
