import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { ApiDependencies } from './context';
import { redactRequest } from './log-redaction';
import { authenticate } from './middleware/authenticate';
import { dialect, errorHandler, notFoundRoute } from './middleware/error-handler';
import { inputGuard, jsonBody } from './middleware/input-guard';
import { idempotency } from './middleware/idempotency';
import { publicRateLimit, rateLimit } from './middleware/rate-limit';
import { createRegistry, generateDocument } from './openapi';
import { DocumentedRouter } from './route';
import { LocalObjectStorage } from '../storage/local-storage';
import { StripeGateway } from '../gateways/stripe-gateway';
import { SecretBox } from '../security/secret-box';
import { filesRouter } from './routes/files';
import { stripeWebhookRouter } from './routes/stripe-webhook';
import { registerPaymentSettingsRoutes } from './routes/v2/payment-settings';
import { registerNotificationRoutes } from './routes/v2/notifications';
import { registerCommunityRoutes } from './routes/v2/community';
import { registerCommunityAccessRoutes } from './routes/v2/community-access';
import { registerInvoiceCommunityRoutes } from './routes/v2/invoice-community';
import { communityCallbacksRouter } from './routes/community-callbacks';
import { registerWebhookRoutes } from './routes/v2/webhooks';
import { healthRouter } from './routes/health';
import { httpMetrics, metricsRouter } from '../observability/http-metrics';
import { registerApiKeyRoutes } from './routes/v2/api-keys';
import { registerInvoiceRoutes } from './routes/v2/invoices';
import { registerOpsRoutes } from './routes/v2/ops';
import { registerCouponRoutes } from './routes/v1/coupons';
import { registerBlacklistRoutes } from './routes/v1/blacklists';
import { registerSectionRoutes } from './routes/v1/sections';
import { registerFeedbackRoutes } from './routes/v1/feedback';
import { registerTicketRoutes } from './routes/v1/tickets';
import { registerGroupRoutes } from './routes/v2/groups';
import { registerChargeRoutes } from './routes/v2/charges';
import { registerAffiliateRoutes } from './routes/v2/affiliates';
import { registerAffiliatePayoutRoutes } from './routes/v2/affiliate-payouts';
import { registerAffiliatePortalRoutes } from './routes/v2/affiliate-portal';
import { registerAffiliateReferralRoutes } from './routes/v2/affiliate-referrals';
import { mmdbAsnLookup, noAsnLookup } from '../blacklists/asn-lookup';
import { registerReconciliationRoutes } from './routes/v2/subscription-reconciliations';
import { registerSubscriptionRoutes } from './routes/v2/subscriptions';
import { registerLicenseKeyRoutes } from './routes/v2/license-keys';
import { registerProductRoutes } from './routes/v2/products';
import { registerVariantRoutes } from './routes/v2/variants';
import { registerListingRoutes } from './routes/v1/listings';
import { registerSellProductRoutes } from './routes/v1/sell-products';
import { registerSellReleaseRoutes } from './routes/v1/sell-releases';
import { registerUploadRoutes } from './routes/v1/uploads';

// The official SDKs decode `request_id` as a uuid: an incoming id is kept only when it is one.
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createApp(deps: ApiDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // Laravel-style arrays in query strings: status[]=PAID&status[]=COMPLETED.
  app.set('query parser', 'extended');

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming.toLowerCase() : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      serializers: {
        // Signed-URL signatures, Discord's OAuth2 code and state, tokens in queries: logged as [redacted].
        req: redactRequest,
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  app.use(httpMetrics());
  app.use(inputGuard());
  const secrets = SecretBox.fromConfig(deps.config.secrets);
  const stripe = new StripeGateway(deps.config.stripe.apiBase);
  const rateLimitStore = deps.rateLimitStore ?? { kind: 'memory' };
  // No key on these: provider webhooks, platform callbacks and signed file URLs count per client address.
  app.use(['/webhooks', '/community', '/files'], publicRateLimit(deps.config.rateLimit, rateLimitStore));
  // Presigned uploads and signed webhooks carry raw bytes: mounted before the JSON parser.
  if (deps.storage instanceof LocalObjectStorage) app.use(dialect('sell'), filesRouter(deps.storage, deps.db));
  app.use(dialect('sell'), stripeWebhookRouter(deps, stripe, secrets));
  app.use(jsonBody({ limit: '10mb' }));

  const registry = createRegistry();
  const limiter = rateLimit(deps.config.rateLimit, rateLimitStore);
  const authenticated = [authenticate(deps.db), limiter, idempotency(deps.db)];

  app.use(healthRouter(deps));
  app.use(metricsRouter(deps.db));
  app.use(dialect('sellapp'), communityCallbacksRouter(deps, secrets));
  app.get('/api/openapi.json', (_req, res) => {
    res.json(generateDocument(registry, deps.config.api.publicBaseUrl));
  });

  const v2 = new DocumentedRouter(registry, '/api/v2');
  registerApiKeyRoutes(v2, deps);
  registerOpsRoutes(v2, deps);
  registerProductRoutes(v2, deps);
  registerVariantRoutes(v2, deps);
  const asn = deps.config.geoip.asnDatabase ? mmdbAsnLookup(deps.config.geoip.asnDatabase) : noAsnLookup;
  registerInvoiceRoutes(v2, deps, { stripe, secrets, asn });
  registerSubscriptionRoutes(v2, deps);
  registerLicenseKeyRoutes(v2, deps);
  registerGroupRoutes(v2, deps);
  registerChargeRoutes(v2, deps, secrets);
  // Literal /affiliates/referrals|payouts paths before /affiliates/:affiliate.
  registerAffiliateReferralRoutes(v2, deps);
  registerAffiliatePayoutRoutes(v2, deps, secrets);
  registerAffiliateRoutes(v2, deps, secrets);
  registerAffiliatePortalRoutes(v2, deps);
  registerReconciliationRoutes(v2, deps);
  registerPaymentSettingsRoutes(v2, deps, secrets);
  registerWebhookRoutes(v2, deps, secrets);
  registerNotificationRoutes(v2, deps, secrets);
  registerCommunityRoutes(v2, deps, secrets);
  registerCommunityAccessRoutes(v2, deps);
  registerInvoiceCommunityRoutes(v2, deps, secrets);
  app.use('/api/v2', dialect('sellapp'), ...authenticated, v2.router);
  app.use('/api/v2', dialect('sellapp'), notFoundRoute());

  // /api/v1 holds two families: SellApp's v1 resources (listings, coupons, blacklists…) and the Sell publishing API.
  const v1 = new DocumentedRouter(registry, '/api/v1');
  registerListingRoutes(v1, deps);
  registerSellProductRoutes(v1, deps);
  registerSellReleaseRoutes(v1, deps);
  registerUploadRoutes(v1, deps);
  registerCouponRoutes(v1, deps);
  registerBlacklistRoutes(v1, deps);
  registerSectionRoutes(v1, deps);
  registerFeedbackRoutes(v1, deps);
  registerTicketRoutes(v1, deps);
  // The Sell publishing API owns /products and /uploads; everything else under /api/v1 is SellApp's.
  const v1Dialect = (req: express.Request, res: express.Response, next: express.NextFunction) => {
    res.locals.errorDialect = /^\/(products|uploads)(\/|$)/.test(req.path) ? 'sell' : 'sellapp';
    next();
  };
  app.use('/api/v1', v1Dialect, ...authenticated, v1.router);
  app.use('/api/v1', v1Dialect, notFoundRoute());

  app.use(dialect('sell'), notFoundRoute());
  app.use(errorHandler(deps.config.api.publicBaseUrl));
  return app;
}
