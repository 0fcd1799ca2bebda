import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { ApiDependencies } from './context';
import { redactRequest, redactResponse } from './log-redaction';
import { authenticate } from './middleware/authenticate';
import { authenticateCustomer } from './middleware/authenticate-customer';
import { customerPortalRouter } from './routes/customer-portal';
import { dialect, errorHandler, notFoundRoute } from './middleware/error-handler';
import { inputGuard, jsonBody } from './middleware/input-guard';
import { idempotency } from './middleware/idempotency';
import { publicRateLimit, rateLimit } from './middleware/rate-limit';
import { createRegistry, generateDocument } from './openapi';
import { mountFamilies } from './families/family';
import { sellFamily } from './families/sell';
import { sellappFamily } from './families/sellapp';
import { sellappV1Family } from './families/sellapp-v1';
import { LocalObjectStorage } from '../storage/local-storage';
import { StripeGateway } from '../gateways/stripe-gateway';
import { PaypalGateway } from '../gateways/paypal/paypal-gateway';
import { SecretBox } from '../security/secret-box';
import { filesRouter } from './routes/files';
import { stripeWebhookRouter } from './routes/stripe-webhook';
import { paypalWebhookRouter } from './routes/paypal-webhook';
import { paypalReturnRouter } from './routes/paypal-return';
import { communityCallbacksRouter } from './routes/community-callbacks';
import { healthRouter } from './routes/health';
import { fastCheckoutRouter } from './routes/fast-checkout';
import { httpMetrics, metricsRouter } from '../observability/http-metrics';
import { consoleRouter } from '../console/router';
import { hostedCheckoutRouter } from '../hosted-checkout/router';
import { mmdbAsnLookup, noAsnLookup } from '../blacklists/asn-lookup';

// The official SDKs decode `request_id` as a uuid: an incoming id is kept only when it is one.
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createApp(deps: ApiDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Which proxies may name the client in X-Forwarded-For (TRUST_PROXY; loopback unless set).
  app.set('trust proxy', deps.config.api.trustProxy);
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
        res: redactResponse,
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  app.use(httpMetrics());
  app.use(inputGuard());
  const secrets = SecretBox.fromConfig(deps.config.secrets);
  const stripe = new StripeGateway(deps.config.stripe.apiBase);
  const paypal = new PaypalGateway(deps.config.paypal.apiUrl);
  const rateLimitStore = deps.rateLimitStore ?? { kind: 'memory' };
  // No key on these: provider webhooks, platform callbacks and signed file URLs count per client address.
  app.use(['/webhooks', '/community', '/files'], publicRateLimit(deps.config.rateLimit, rateLimitStore));
  // Presigned uploads and signed webhooks carry raw bytes: mounted before the JSON parser.
  if (deps.storage instanceof LocalObjectStorage) app.use(dialect('sell'), filesRouter(deps.storage, deps.db));
  app.use(dialect('sell'), stripeWebhookRouter(deps, stripe, secrets));
  app.use(dialect('sell'), paypalWebhookRouter(deps, paypal, secrets));
  app.use(jsonBody({ limit: '10mb' }));

  const registry = createRegistry();
  const limiter = rateLimit(deps.config.rateLimit, rateLimitStore);
  const authenticated = [authenticate(deps.db), limiter, idempotency(deps.db)];

  app.use(healthRouter(deps));
  app.use(metricsRouter(deps.db));
  app.use('/console', consoleRouter(deps));
  app.use(dialect('sellapp'), communityCallbacksRouter(deps, secrets));
  app.get('/api/openapi.json', (_req, res) => {
    res.json(generateDocument(registry, deps.config.api.publicBaseUrl));
  });

  const asn = deps.config.geoip.asnDatabase ? mmdbAsnLookup(deps.config.geoip.asnDatabase) : noAsnLookup;
  // The storefront embed's checkout: no key, so before the families' authenticated /api/v2.
  app.use('/api/v2/fast-checkout', dialect('embed'), fastCheckoutRouter(deps, { stripe, paypal, secrets, asn }, rateLimitStore));
  // The same checkout as pages, for buyers without an embed (and the order page Stripe returns them to).
  // PayPal's return of the buyer: owes the capture, then on to the page the checkout came from.
  app.use('/checkout/:store/invoices/:invoice/paypal-return', publicRateLimit(deps.config.rateLimit, rateLimitStore));
  app.use(dialect('sell'), paypalReturnRouter(deps));
  app.use('/checkout', hostedCheckoutRouter(deps, { stripe, paypal, secrets, asn }, rateLimitStore));
  // The customer portal is its own trust zone, mounted before /api/v2: customer session tokens only.
  const portal = customerPortalRouter(registry, deps);
  app.use(portal.mountPath, dialect('sellapp'), authenticateCustomer(deps.db), limiter, portal.router, notFoundRoute());

  // Each family's routes answer in its own error dialect; what none answers under /api is SellApp's 404.
  mountFamilies(
    app,
    [
      sellappFamily(registry, deps, { stripe, paypal, secrets, asn }),
      sellappV1Family(registry, deps, { stripe, paypal, secrets, asn }),
      sellFamily(registry, deps),
    ],
    authenticated,
    'sellapp',
  );

  app.use(dialect('sell'), notFoundRoute());
  app.use(errorHandler(deps.config.api.publicBaseUrl));
  return app;
}
