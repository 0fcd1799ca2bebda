import path from 'node:path';
import { Eta } from 'eta';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import QRCode from 'qrcode';
import type { ApiDependencies } from '../api/context';
import { toApiError } from '../api/domain-errors';
import { engineOf } from '../api/engine';
import { ApiError, validationFailed } from '../api/errors';
import { publicRateLimit, type RateLimitStore } from '../api/middleware/rate-limit';
import { buyerAddress } from '../api/trust-proxy';
import { fastCheckoutOrderBodyFor, fastCheckoutOrderParams, fastCheckoutProductQuery } from '../api/schemas/fast-checkout';
import { rowId } from '../api/schemas/common';
import type { AsnLookup } from '../blacklists/asn-lookup';
import type { StripeGateway } from '../gateways/stripe-gateway';
import type { PaypalGateway } from '../gateways/paypal/paypal-gateway';
import { buyerOrder } from '../orders/buyer-order';
import { checkout } from '../orders/checkout';
import { invoiceCheckoutSignatureMatches, invoiceCheckoutUrl } from '../orders/invoice-checkout-link';
import { findStoreInvoice } from '../orders/store-invoice';
import {
  type FastCheckoutStore,
  fastCheckoutProduct,
  findFastCheckoutStore,
  hostedOrderUrl,
  placeFastCheckout,
} from '../orders/fast-checkout';
import type { SecretBox } from '../security/secret-box';
import { PAGE_LIBRARY_ASSETS, type PageAsset, pageAssets, pageSecurityHeaders } from '../api/middleware/page-shell';
import {
  chosenMethod,
  formErrors,
  methodChoice,
  type FormState,
  type FormValues,
  methodChoices,
  methodLabel,
  money,
  type ProductField,
} from './form';
import { paymentPage, webAddress } from './payment-page';
import { type OrderPageRef, proofRoutes } from './proof-routes';
import { sellerMarkdown } from './seller-markdown';
import { uploadOrigins } from './upload-origins';
import { browserFingerprint, ensureBrowserFingerprint } from './browser-fingerprint';

/** The static files the pages load, from their npm packages and this folder (no CDN). */
const ASSETS: Record<string, PageAsset> = {
  ...PAGE_LIBRARY_ASSETS,
  'checkout.css': { file: path.join(__dirname, 'assets', 'checkout.css'), type: 'text/css' },
  'proof.js': { file: path.join(__dirname, 'assets', 'proof.js'), type: 'text/javascript' },
};

/** Seconds between two looks of the order page while the order is still moving. */
const POLL_SECONDS = 2;
/** htmx stops polling when a poll answers 286. */
const STOP_POLLING = 286;

class PageNotFound extends Error {}

/**
 * The hosted checkout at /checkout, for buyers without a storefront embed: the product page
 * (variant, quantity, the product's questions, e-mail, payment method) buys through fast
 * checkout's own path (attempt limits, blacklist, the invoice rules), then the buyer pays on
 * Stripe's page or to the crypto address shown with its QR code, and follows the order on a
 * page found by their order token, which updates itself (htmx polling a fragment) until the
 * order is delivered, shows the deliverables and the seller's post-purchase link. Server-rendered
 * (Eta escapes every seller and buyer value), no inline script or style (a strict CSP).
 */
export function hostedCheckoutRouter(
  deps: ApiDependencies,
  gateways: { stripe: StripeGateway; paypal: PaypalGateway; secrets: SecretBox; asn: AsnLookup },
  rateLimitStore: RateLimitStore,
): Router {
  const eta = new Eta({ views: path.join(__dirname, 'views'), cache: deps.config.env === 'production' });
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
  const router = Router();
  const connectSrc = ["'self'", ...uploadOrigins(deps.config)].join(' ');
  const render = (res: Response, view: string, data: Record<string, unknown>, status = 200) =>
    res
      .status(status)
      .type('html')
      .send(eta.render(view, { ...data, money, methodLabel }));

  router.use(
    pageSecurityHeaders({
      // Stripe's page is reached by a redirect from our form: form-action must allow it.
      // The proof image is PUT to the file store's presigned URL (this server's /files, or S3).
      contentSecurityPolicy: `default-src 'self'; img-src 'self' data: https:; connect-src ${connectSrc}; object-src 'none'; frame-ancestors 'none'; form-action 'self' https:; base-uri 'none'`,
      // The order page's address is its secret: never sent on to Stripe or the seller's site.
      referrerPolicy: 'no-referrer',
    }),
  );
  router.use(pageAssets(ASSETS));
  router.use(publicRateLimit(deps.config.rateLimit, rateLimitStore));
  router.use(express.urlencoded({ extended: false, limit: '32kb' }));

  const storeOf = async (ref: string): Promise<FastCheckoutStore> => {
    const store = await findFastCheckoutStore(deps.db, ref);
    if (!store) throw new PageNotFound();
    return store;
  };

  /** The order page's moving part; the QR code encodes the wallet URI (address and amount) when the coin has one. */
  const liveData = async (store: FastCheckoutStore, by: { token: string } | { invoiceId: number }, pagePath: string) => {
    const order = await buyerOrder(deps, store, by);
    const qr = order.crypto ? await QRCode.toString(order.crypto.payment_uri ?? order.crypto.address, { type: 'svg', margin: 1 }) : null;
    const redirect = webAddress(order.redirect_url);
    return {
      order,
      qr,
      redirect,
      redirectHost: redirect ? new URL(redirect).host : null,
      // A custom method's instructions are the seller's text: rendered, then sanitized.
      customInstructions: order.custom?.instructions ? sellerMarkdown(order.custom.instructions) : null,
      customRedirect: webAddress(order.custom?.redirect_url ?? null),
      proofAction: `${pagePath}/proof`,
      store,
      liveUrl: `${pagePath}/live`,
      // Only the invoice page opens a payment itself; a fast-checkout order was checked out when placed.
      payAction: 'invoiceId' in by ? pagePath : null,
    };
  };
  const notFoundAsPage = async <T>(find: () => Promise<T>): Promise<T> => {
    try {
      return await find();
    } catch (error) {
      if (toApiError(error)?.status === 404) throw new PageNotFound();
      throw error;
    }
  };
  /** An order by the buyer's token (fast checkout, hosted or embedded). */
  const tokenPage = (req: Request): Promise<OrderPageRef> =>
    notFoundAsPage(async () => {
      const params = fastCheckoutOrderParams.safeParse(req.params);
      if (!params.success) throw new PageNotFound();
      const store = await storeOf(String(req.params.store));
      return {
        store,
        by: { token: params.data.token },
        pagePath: `/checkout/${encodeURIComponent(store.slug)}/orders/${params.data.token}`,
      };
    });
  const byToken = async (req: Request) => {
    const { store, by, pagePath } = await tokenPage(req);
    return liveData(store, by, pagePath);
  };
  /** An invoice by its own page's signed address (a key-created invoice's `checkout`). */
  const invoiceOf = async (req: Request) => {
    const invoiceId = rowId.safeParse(req.params.invoice);
    const signature = String(req.params.signature);
    if (!invoiceId.success || !invoiceCheckoutSignatureMatches(gateways.secrets, invoiceId.data, signature)) throw new PageNotFound();
    const store = await storeOf(String(req.params.store));
    return {
      store,
      invoiceId: invoiceId.data,
      pagePath: `/checkout/${encodeURIComponent(store.slug)}/invoices/${invoiceId.data}/${signature}`,
    };
  };
  const signaturePage = (req: Request): Promise<OrderPageRef> =>
    notFoundAsPage(async () => {
      const { store, invoiceId, pagePath } = await invoiceOf(req);
      return { store, by: { invoiceId }, pagePath };
    });
  const bySignature = async (req: Request) => {
    const { store, by, pagePath } = await signaturePage(req);
    return liveData(store, by, pagePath);
  };

  const orderPage = async (
    req: Request,
    res: Response,
    data: Awaited<ReturnType<typeof liveData>>,
    proofError: string | null = null,
    status = 200,
  ) =>
    render(
      res,
      'order',
      { ...data, pollSeconds: POLL_SECONDS, returned: req.query.checkout === 'cancelled' ? 'cancelled' : null, proofError },
      status,
    );
  const livePart = (res: Response, data: Awaited<ReturnType<typeof liveData>>) =>
    render(res, 'order-live', data, data.order.settled ? STOP_POLLING : 200);

  router.get('/:store/orders/:token', async (req, res) => orderPage(req, res, await byToken(req)));
  router.get('/:store/orders/:token/live', async (req, res) => livePart(res, await byToken(req)));
  router.get('/:store/invoices/:invoice/:signature', async (req, res) => orderPage(req, res, await bySignature(req)));
  router.get('/:store/invoices/:invoice/:signature/live', async (req, res) => livePart(res, await bySignature(req)));
  proofRoutes(router, deps, {
    pages: { '/:store/orders/:token': tokenPage, '/:store/invoices/:invoice/:signature': signaturePage },
    refusedPage: async (req, res, page, message, status) =>
      orderPage(req, res, await notFoundAsPage(() => liveData(page.store, page.by, page.pagePath)), message, status),
  });

  /** Pays a pending invoice: Stripe's page, or back to this page with the crypto address. */
  router.post('/:store/invoices/:invoice/:signature', async (req, res) => {
    const { store, invoiceId, pagePath } = await invoiceOf(req);
    const invoice = await findStoreInvoice(deps.db, store.id, invoiceId);
    if (!invoice) throw new PageNotFound();
    // Already paid for or over (a second click, another tab): the page says where it stands.
    if (invoice.status !== 'PENDING') return res.redirect(303, pagePath);
    try {
      const returnUrl = invoiceCheckoutUrl(deps.config.api.publicBaseUrl, gateways.secrets, store, invoice.id);
      const outcome = await checkout(checkoutDeps, store, invoice, { returnUrl });
      res.redirect(303, paymentPage(outcome) ?? pagePath);
    } catch (error) {
      const refused = formErrors(error);
      if (!refused) throw error;
      for (const [name, value] of Object.entries(refused.headers)) res.setHeader(name, value);
      const reasons = [...Object.values(refused.fields).flat(), ...refused.other];
      render(res, 'error', { title: 'This invoice cannot be paid now', message: reasons.join(' ') || refused.message }, refused.status);
    }
  });

  /** The product page, its form filled from the link's pre-fill (or what the buyer sent, with what to fix). */
  const productPage = async (req: Request, res: Response, form: FormState | null, status = 200) => {
    const store = await storeOf(String(req.params.store));
    // The form then carries it back (a cookie): the store's per-fingerprint attempt limit counts it.
    ensureBrowserFingerprint(req, res, { secure: deps.config.api.publicBaseUrl.startsWith('https:') });
    const query = fastCheckoutProductQuery.safeParse(req.query);
    const prefillQuery = query.success ? query.data : { withoutVariants: false };
    const additional = Object.fromEntries(
      Object.entries(req.query)
        .filter((entry): entry is [string, string] => entry[0].startsWith('additional-') && typeof entry[1] === 'string')
        .map(([name, value]) => [name.slice('additional-'.length), value]),
    );
    let view;
    try {
      view = await fastCheckoutProduct(deps.db, store, String(req.params.product), {
        withoutVariants: false,
        prefill: {
          email: prefillQuery.email,
          coupon: prefillQuery.coupon,
          paymentMethod: prefillQuery.payment_method,
          quantity: prefillQuery.quantity,
          variant: prefillQuery.variant,
          affiliate: prefillQuery.affiliate ?? prefillQuery.aff,
          additional,
        },
      });
    } catch (error) {
      if (toApiError(error)?.status === 404) throw new PageNotFound();
      throw error;
    }
    const variants = view.variants ?? [];
    const prefill = view.prefill;
    const values: FormValues = form?.values ?? {
      variant: String(prefill.variant_id ?? variants[0]?.id ?? ''),
      quantity: String(prefill.quantity ?? variants[0]?.minimum_purchase_quantity ?? 1),
      customer_email: prefill.email ?? '',
      coupon: prefill.coupon ?? '',
      payment_method: prefill.payment_method ? methodChoice(prefill.payment_method, prefill.custom_payment_method_id) : '',
      affiliate: prefill.affiliate ?? '',
      additional: Object.fromEntries(Object.entries(prefill.additional_information).map(([k, v]) => [k, String(v)])),
    };
    const methods = methodChoices(variants);
    render(
      res,
      'product',
      {
        store,
        product: view.product,
        fields: view.product.additional_information as ProductField[],
        variants,
        methods,
        values,
        errors: form?.errors ?? { fields: {}, other: [] },
        message: form?.message ?? null,
        action: req.originalUrl,
      },
      status,
    );
  };

  router.get('/:store/:product', (req, res) => productPage(req, res, null));

  router.post('/:store/:product', async (req, res) => {
    const store = await storeOf(String(req.params.store));
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const text = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string) : '');
    const additional: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      if (name.startsWith('additional-') && typeof value === 'string') additional[name.slice('additional-'.length)] = value;
    }
    const values: FormValues = {
      variant: text('variant'),
      quantity: text('quantity'),
      customer_email: text('customer_email').trim(),
      coupon: text('coupon').trim(),
      payment_method: text('payment_method'),
      affiliate: text('affiliate'),
      additional,
    };
    try {
      const variant = rowId.safeParse(values.variant);
      if (!variant.success)
        throw new ApiError('invalid_request', 'invalid_field', 'Choose one of the options', {
          param: 'variant',
          fieldErrors: { variant: ['Choose one of the options'] },
        });
      const method = chosenMethod(values.payment_method);
      const parsed = fastCheckoutOrderBodyFor(store).safeParse({
        // Left empty where the store does not ask for it: absent.
        customer_email: store.asksEmail ? values.customer_email : values.customer_email || undefined,
        payment_method: method.paymentMethod || undefined,
        custom_payment_method_id: method.customPaymentMethodId,
        quantity: values.quantity || undefined,
        coupon: values.coupon || undefined,
        affiliate: values.affiliate || undefined,
        // An unticked box sends nothing; a ticked one "on": the product's rules see a yes or no.
        additional_information: Object.fromEntries(Object.entries(additional).map(([k, v]) => [k, v === 'on' ? true : v])),
      });
      if (!parsed.success) throw validationFailed(parsed.error, 'body');
      const body = parsed.data;
      const placed = await placeFastCheckout(checkoutDeps, store, String(req.params.product), variant.data, {
        customerEmail: body.customer_email ?? null,
        paymentMethod: body.payment_method,
        customPaymentMethodId: body.custom_payment_method_id,
        quantity: body.quantity,
        coupon: body.coupon,
        additionalInformation: body.additional_information,
        affiliate: body.affiliate,
        customerIp: buyerAddress(req),
        fingerprint: browserFingerprint(req),
      });
      const orderPage = hostedOrderUrl('', store, placed.token);
      res.redirect(303, paymentPage(placed.outcome) ?? orderPage);
    } catch (error) {
      const refused = formErrors(error);
      if (!refused) throw error;
      for (const [name, value] of Object.entries(refused.headers)) res.setHeader(name, value);
      await productPage(req, res, { values, errors: refused, message: refused.message }, refused.status);
    }
  });

  // A buyer's page answers in HTML, whatever went wrong.
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof PageNotFound)
      return render(res, 'error', { title: 'Not found', message: 'There is nothing to buy or follow at this address.' }, 404);
    const apiError = toApiError(error);
    if (apiError && apiError.status < 500) {
      for (const [name, value] of Object.entries(apiError.options.headers ?? {})) res.setHeader(name, value);
      return render(res, 'error', { title: 'Not now', message: apiError.options.sellappMessage ?? apiError.message }, apiError.status);
    }
    deps.logger.error({ err: error }, 'hosted checkout request failed');
    render(res, 'error', { title: 'Something went wrong', message: 'Please try again in a moment.' }, 500);
  });
  return router;
}
