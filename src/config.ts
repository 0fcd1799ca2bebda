import path from 'node:path';
import { z } from 'zod';

/**
 * The only reader of process.env: everything else receives a typed Config.
 * Every variable here is listed in the README's configuration table.
 */
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: port(3000),
  HOST: z.string().default('127.0.0.1'),
  SELLFLOW_DATA_DIR: z.string().default('.data'),
  DATABASE_URL: optionalString,
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_TASK_QUEUE_PREFIX: z.string().default('sellflow'),
  LOG_FORMAT: z.enum(['json', 'pretty', 'auto']).default('auto'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(60),
  PUBLIC_BASE_URL: optionalString,
  PATH: z.string().default(''),
  SELLFLOW_SIGNING_SECRET: optionalString,
  SELLFLOW_ENCRYPTION_KEY: optionalString,
  STRIPE_API_BASE: optionalString,
  SMTP_URL: optionalString,
  SMTP_FROM: z.string().default('Sellflow <no-reply@sellflow.local>'),
  DISCORD_API_BASE: z.string().url().default('https://discord.com'),
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
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
});

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
    },
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
    webhooks: { allowPrivateNetworks: e.WEBHOOKS_ALLOW_PRIVATE_NETWORKS },
    notifications: { smtpUrl: e.SMTP_URL, from: e.SMTP_FROM, discordApiBase: e.DISCORD_API_BASE.replace(/\/$/, '') },
    secrets: { encryptionKey: e.SELLFLOW_ENCRYPTION_KEY, keyFile: path.join(dataDir, 'encryption-key') },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, burst: e.RATE_LIMIT_BURST },
  };
}
