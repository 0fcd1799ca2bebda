import path from 'node:path';
import { z } from 'zod';
import { type FixedRates, parseFixedRates } from './gateways/crypto/rate-source';
import { parseTrustProxy } from './api/trust-proxy';

/**
 * The only reader of process.env: everything else receives a typed Config.
 * Every variable here is listed in the README's configuration table.
 */
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
const optionalUrl = optionalString.refine((value) => value === undefined || URL.canParse(value), 'must be an http(s) URL');

const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: port(3000),
  HOST: z.string().default('127.0.0.1'),
  // Whose X-Forwarded-For names the buyer: see src/api/trust-proxy.ts and the README.
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((text, ctx) => {
      const parsed = parseTrustProxy(text);
      if ('value' in parsed) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }),
  SELLFLOW_DATA_DIR: z.string().default('.data'),
  DATABASE_URL: optionalString,
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_TASK_QUEUE_PREFIX: z.string().default('sellflow'),
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  // Worker tuning; unset keeps the Temporal SDK's defaults (README "Performance" has the measurements).
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).optional(),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).optional(),
  WORKER_WORKFLOW_TASK_POLLERS: z.coerce.number().int().min(2).optional(),
  WORKER_ACTIVITY_TASK_POLLERS: z.coerce.number().int().min(1).optional(),
  LOG_FORMAT: z.enum(['json', 'pretty', 'auto']).default('auto'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Crash tests only: named points where the process kills itself (see src/failpoints.ts).
  SELLFLOW_FAILPOINTS: z.string().default(''),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(60),
  // Unauthenticated routes (provider webhooks, community callbacks, signed files), per client address.
  RATE_LIMIT_PUBLIC_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_PUBLIC_BURST: z.coerce.number().int().min(1).default(300),
  PUBLIC_BASE_URL: optionalString,
  // Unset: a worker-only process serves no metrics (the API serves them on its own port).
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  // The Temporal Web UI the console links each order's workflow to (the dev server's UI when unset).
  TEMPORAL_UI_URL: optionalString,
  // Set: traces go there over OTLP/HTTP (protobuf); unset: no tracing at all (the SDK is not even loaded).
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  PATH: z.string().default(''),
  SELLFLOW_SIGNING_SECRET: optionalString,
  SELLFLOW_ENCRYPTION_KEY: optionalString,
  STRIPE_API_BASE: optionalString,
  // PayPal's REST API origin for both live and sandbox apps (a local fake in tests); unset, PayPal's own hosts.
  PAYPAL_API_URL: optionalUrl,
  SMTP_URL: optionalString,
  SMTP_FROM: z.string().default('Sellflow <no-reply@sellflow.local>'),
  DISCORD_API_BASE: z.string().url().default('https://discord.com'),
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  S3_BUCKET: optionalString,
  S3_REGION: z.string().default('us-east-1'),
  S3_ENDPOINT: optionalString,
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  GEOIP_ASN_DATABASE: optionalString,
  SUBSCRIPTION_CANCEL_CONFIRM_SECONDS: z.coerce.number().int().min(1).default(3600),
  SUBSCRIPTION_RENEWAL_CHECK_SECONDS: z.coerce.number().int().min(1).default(3600),
  SUBSCRIPTION_RENEWAL_LEEWAY_SECONDS: z.coerce.number().int().min(0).default(86_400),
  SUBSCRIPTION_ROUNDS_PER_RUN: z.coerce.number().int().min(1).max(10_000).default(100),
  SUBSCRIPTION_RECONCILE_HOUR_UTC: z.coerce.number().int().min(0).max(23).default(3),
  CRYPTO_FIXED_RATES: optionalString,
  CRYPTO_RATES_API_URL: z.string().url().default('https://api.coingecko.com/api/v3'),
  CRYPTO_BTC_API_URL: z.string().url().default('https://blockstream.info/api'),
  CRYPTO_LTC_API_URL: z.string().url().default('https://litecoinspace.org/api'),
  CRYPTO_ETH_RPC_URL: z.string().url().default('https://ethereum-rpc.publicnode.com'),
  CRYPTO_BNB_RPC_URL: z.string().url().default('https://bsc-rpc.publicnode.com'),
  CRYPTO_MATIC_RPC_URL: z.string().url().default('https://polygon-bor-rpc.publicnode.com'),
  CRYPTO_SOL_RPC_URL: z.string().url().default('https://api.mainnet-beta.solana.com'),
  CRYPTO_TRX_API_URL: z.string().url().default('https://api.trongrid.io'),
  CRYPTO_TRX_API_KEY: optionalString,
  CRYPTO_TOKEN_CONTRACTS: optionalString,
  CRYPTO_CONFIRMATIONS: optionalString,
  CRYPTO_UNDERPAID_PERCENTAGE: z.coerce.number().min(0).max(50).default(0),
  CRYPTO_PAYMENT_WINDOW_SECONDS: z.coerce
    .number()
    .min(1)
    .max(7 * 86_400)
    .default(3600),
  CRYPTO_POLL_SECONDS: z.coerce.number().min(0.2).max(3600).default(30),
  CRYPTO_LATE_WATCH_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(86_400),
  CRYPTO_POLLS_PER_RUN: z.coerce.number().int().min(1).max(10_000).default(200),
  DISCORD_BOT_TOKEN: optionalString,
  DISCORD_CLIENT_ID: optionalString,
  DISCORD_CLIENT_SECRET: optionalString,
  TELEGRAM_API_ROOT: z.string().url().default('https://api.telegram.org'),
  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_WEBHOOK_SECRET: optionalString,
  TELEGRAM_POLLING: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  SLACK_API_URL: z.string().url().default('https://slack.com/api/'),
  WHATSAPP_API_URL: z.string().url().default('https://graph.facebook.com/v23.0'),
  COMMUNITY_CHECK_SECONDS: z.coerce.number().min(0.2).max(86_400).default(30),
  /** How long one hour of an abandoned-checkout reminder schedule lasts; tests shorten it. */
  CHECKOUT_REMINDER_HOUR_SECONDS: z.coerce.number().min(0.05).max(3600).default(3600),
  COMMUNITY_CHECK_MAX_SECONDS: z.coerce.number().min(0.2).max(86_400).default(900),
  /** A capture PayPal holds as pending is asked about after this, backing off to the max, for so many days. */
  PAYPAL_CAPTURE_CHECK_SECONDS: z.coerce.number().min(0.2).max(86_400).default(60),
  PAYPAL_CAPTURE_CHECK_MAX_SECONDS: z.coerce.number().min(0.2).max(86_400).default(21_600),
  PAYPAL_CAPTURE_CHECK_DAYS: z.coerce.number().min(0).max(365).default(30),
});

function fixedRates(text: string | undefined): FixedRates | undefined {
  if (text === undefined) return undefined;
  try {
    return parseFixedRates(text);
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  ${(error as Error).message}`);
  }
}

function jsonRecord<T>(name: string, text: string | undefined, value: z.ZodType<T>): Record<string, T> {
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`Invalid configuration:\n  ${name}: not JSON`);
  }
  const parsed = z.record(z.string(), value).safeParse(json);
  if (!parsed.success)
    throw new ConfigError(
      `Invalid configuration:\n  ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [k.toUpperCase(), v]));
}

export type Config = ReturnType<typeof loadConfig>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SELLFLOW_DATA_DIR);
  return {
    env: e.NODE_ENV,
    dataDir,
    api: {
      host: e.HOST,
      port: e.PORT,
      publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://${e.HOST}:${e.PORT}`,
      trustProxy: e.TRUST_PROXY,
    },
    metrics: { port: e.METRICS_PORT },
    tracing: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT },
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      embeddedDir: path.join(dataDir, 'pglite'),
    },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS || e.TEMPORAL_API_KEY !== undefined,
      tlsCertPath: e.TEMPORAL_TLS_CERT_PATH,
      tlsKeyPath: e.TEMPORAL_TLS_KEY_PATH,
      cliPath: e.TEMPORAL_CLI_PATH,
      /** Searched for `temporal` and `go` when TEMPORAL_CLI_PATH is unset. */
      searchPath: e.PATH,
      devServer: {
        port: e.TEMPORAL_DEV_PORT,
        uiPort: e.TEMPORAL_UI_PORT,
        dbFile: path.join(dataDir, 'temporal.sqlite'),
      },
      taskQueuePrefix: e.TEMPORAL_TASK_QUEUE_PREFIX,
      uiUrl: e.TEMPORAL_UI_URL ?? `http://127.0.0.1:${e.TEMPORAL_UI_PORT}`,
      /** On SIGTERM, how long in-flight activities may run to completion before they are cancelled and retried elsewhere. */
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
      tuning: {
        maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
        maxConcurrentWorkflowTaskExecutions: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
        maxConcurrentWorkflowTaskPolls: e.WORKER_WORKFLOW_TASK_POLLERS,
        maxConcurrentActivityTaskPolls: e.WORKER_ACTIVITY_TASK_POLLERS,
      },
    },
    storage: {
      dir: path.join(dataDir, 'files'),
      /** Signs upload and download URLs; generated once into the data directory when unset. */
      signingSecret: e.SELLFLOW_SIGNING_SECRET,
      secretFile: path.join(dataDir, 'signing-secret'),
      s3: e.S3_BUCKET
        ? {
            bucket: e.S3_BUCKET,
            region: e.S3_REGION,
            endpoint: e.S3_ENDPOINT,
            accessKeyId: e.S3_ACCESS_KEY_ID,
            secretAccessKey: e.S3_SECRET_ACCESS_KEY,
            // Custom endpoints (MinIO, R2, fakes) usually need path-style addressing.
            forcePathStyle: e.S3_FORCE_PATH_STYLE ? e.S3_FORCE_PATH_STYLE === 'true' : e.S3_ENDPOINT !== undefined,
          }
        : undefined,
    },
    stripe: { apiBase: e.STRIPE_API_BASE },
    paypal: {
      apiUrl: e.PAYPAL_API_URL,
      /** How a capture PayPal holds as pending is polled (its webhook may never come): first wait, ceiling, for how long. */
      captureChecks: {
        firstMs: Math.round(e.PAYPAL_CAPTURE_CHECK_SECONDS * 1000),
        ceilingMs: Math.round(Math.max(e.PAYPAL_CAPTURE_CHECK_SECONDS, e.PAYPAL_CAPTURE_CHECK_MAX_SECONDS) * 1000),
        forMs: Math.round(e.PAYPAL_CAPTURE_CHECK_DAYS * 86_400_000),
      },
    },
    /** A MaxMind-format ASN database for ASN blacklist rules; without one they match nothing. */
    geoip: { asnDatabase: e.GEOIP_ASN_DATABASE },
    subscriptions: {
      /** After an immediate cancel, how long to wait for the provider's webhook before asking it. */
      cancelConfirmWindowMs: e.SUBSCRIPTION_CANCEL_CONFIRM_SECONDS * 1000,
      /** Past its deadline with no failure reported, a renewal is checked with the provider this often, for up to the leeway. */
      renewalCheckMs: e.SUBSCRIPTION_RENEWAL_CHECK_SECONDS * 1000,
      renewalLeewayMs: e.SUBSCRIPTION_RENEWAL_LEEWAY_SECONDS * 1000,
      /** Rounds (renewals, notices, waits) a subscription workflow run handles before continueAsNew. */
      roundsPerRun: e.SUBSCRIPTION_ROUNDS_PER_RUN,
      reconcileHourUtc: e.SUBSCRIPTION_RECONCILE_HOUR_UTC,
    },
    crypto: {
      /** Pinned rates ({"BTC":{"USD":50000}}), for demos and tests; otherwise the rate API. */
      fixedRates: fixedRates(e.CRYPTO_FIXED_RATES),
      ratesApiUrl: e.CRYPTO_RATES_API_URL.replace(/\/$/, ''),
      /** Esplora-style APIs (BTC, LTC) and JSON-RPC nodes (EVM chains). */
      chainApis: {
        BTC: e.CRYPTO_BTC_API_URL,
        LTC: e.CRYPTO_LTC_API_URL,
        ETH: e.CRYPTO_ETH_RPC_URL,
        BNB: e.CRYPTO_BNB_RPC_URL,
        MATIC: e.CRYPTO_MATIC_RPC_URL,
        SOL: e.CRYPTO_SOL_RPC_URL,
        TRX: e.CRYPTO_TRX_API_URL,
      },
      tronApiKey: e.CRYPTO_TRX_API_KEY,
      /** Overrides of the token contracts by method ({"ETH_USDT":"0x…"}). */
      tokenContracts: jsonRecord('CRYPTO_TOKEN_CONTRACTS', e.CRYPTO_TOKEN_CONTRACTS, z.string().regex(/^0x[0-9a-fA-F]{40}$/)),
      /** Overrides of the confirmations required by method ({"BTC":1}). */
      // At least one: a mempool transaction can still be replaced.
      confirmations: jsonRecord('CRYPTO_CONFIRMATIONS', e.CRYPTO_CONFIRMATIONS, z.number().int().min(1).max(10_000)),
      /** The tolerated underpayment of a store that set none (basis points of the quote). */
      underpaidToleranceBp: Math.round(e.CRYPTO_UNDERPAID_PERCENTAGE * 100),
      paymentWindowMs: Math.round(e.CRYPTO_PAYMENT_WINDOW_SECONDS * 1000),
      pollMs: Math.round(e.CRYPTO_POLL_SECONDS * 1000),
      /** After the window closes, how long an address is still watched for late money. */
      lateWatchMs: e.CRYPTO_LATE_WATCH_SECONDS * 1000,
      pollsPerRun: e.CRYPTO_POLLS_PER_RUN,
      /** Store-supplied wallet servers (Monero) follow the webhooks' rule on private addresses. */
      allowPrivateWalletRpc: e.WEBHOOKS_ALLOW_PRIVATE_NETWORKS,
    },
    community: {
      /** Our official Discord bot and OAuth2 app; a store may bring its own instead. */
      discord: {
        apiBase: e.DISCORD_API_BASE.replace(/\/$/, ''),
        botToken: e.DISCORD_BOT_TOKEN,
        clientId: e.DISCORD_CLIENT_ID,
        clientSecret: e.DISCORD_CLIENT_SECRET,
      },
      /** Our official Telegram bot: updates by getUpdates polling, or the webhook route when a secret is set. */
      telegram: {
        apiRoot: e.TELEGRAM_API_ROOT.replace(/\/$/, ''),
        botToken: e.TELEGRAM_BOT_TOKEN,
        webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
        polling: e.TELEGRAM_POLLING,
      },
      slack: { apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/` },
      whatsapp: { apiBase: e.WHATSAPP_API_URL.replace(/\/$/, '') },
      /** A waiting grant looks again after this, backing off to the ceiling. */
      checkMs: Math.round(e.COMMUNITY_CHECK_SECONDS * 1000),
      checkCeilingMs: Math.round(Math.max(e.COMMUNITY_CHECK_SECONDS, e.COMMUNITY_CHECK_MAX_SECONDS) * 1000),
    },
    webhooks: { allowPrivateNetworks: e.WEBHOOKS_ALLOW_PRIVATE_NETWORKS },
    checkoutReminders: { hourMs: Math.round(e.CHECKOUT_REMINDER_HOUR_SECONDS * 1000) },
    notifications: { smtpUrl: e.SMTP_URL, from: e.SMTP_FROM, discordApiBase: e.DISCORD_API_BASE.replace(/\/$/, '') },
    secrets: { encryptionKey: e.SELLFLOW_ENCRYPTION_KEY, keyFile: path.join(dataDir, 'encryption-key') },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    failpoints: e.SELLFLOW_FAILPOINTS.split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    rateLimit: {
      perMinute: e.RATE_LIMIT_PER_MINUTE,
      burst: e.RATE_LIMIT_BURST,
      publicPerMinute: e.RATE_LIMIT_PUBLIC_PER_MINUTE,
      publicBurst: e.RATE_LIMIT_PUBLIC_BURST,
    },
  };
}
