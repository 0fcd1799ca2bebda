import { CatalogRuleError } from '../../catalog/errors';
import type { DbExecutor } from '../../db/schema';
import type { SecretBox } from '../../security/secret-box';
import { gatewaySettings, saveGatewaySettings } from '../gateway-settings';
import type { PaypalCredentials, PaypalMode } from './client';
import type { PaypalGateway } from './paypal-gateway';

/**
 * A store's PayPal REST apps: the live one pays live invoices, the sandbox one test invoices
 * (never the other way round). The webhook id of each is what PayPal's signature check is asked
 * about. Stored sealed with the other gateway settings; shown masked.
 */
export interface PaypalSettings {
  client_id?: string;
  client_secret?: string;
  webhook_id?: string;
  sandbox_client_id?: string;
  sandbox_client_secret?: string;
  sandbox_webhook_id?: string;
}

const FIELDS = {
  live: { clientId: 'client_id', clientSecret: 'client_secret', webhookId: 'webhook_id' },
  sandbox: { clientId: 'sandbox_client_id', clientSecret: 'sandbox_client_secret', webhookId: 'sandbox_webhook_id' },
} as const;

/** The REST app of a mode, when both its id and secret are set. */
export function paypalCredentialsOf(settings: PaypalSettings, mode: PaypalMode): PaypalCredentials | null {
  const clientId = settings[FIELDS[mode].clientId];
  const clientSecret = settings[FIELDS[mode].clientSecret];
  return clientId && clientSecret ? { clientId, clientSecret, mode } : null;
}

export const paypalWebhookIdOf = (settings: PaypalSettings, mode: PaypalMode): string | null => settings[FIELDS[mode].webhookId] ?? null;

/** One mode's part of a configuration request. */
export interface PaypalAppInput {
  client_id?: string;
  client_secret?: string;
  webhook_id?: string;
}

/** Shows which secrets are set, never the secret: client ids and webhook ids are not secret, the secrets show their last four. */
export function describePaypal(settings: PaypalSettings, enabled: boolean) {
  const hint = (value?: string) => (value ? `…${value.slice(-4)}` : null);
  return {
    method: 'PAYPAL',
    enabled,
    client_id: settings.client_id ?? null,
    client_secret: hint(settings.client_secret),
    webhook_id: settings.webhook_id ?? null,
    sandbox_client_id: settings.sandbox_client_id ?? null,
    sandbox_client_secret: hint(settings.sandbox_client_secret),
    sandbox_webhook_id: settings.sandbox_webhook_id ?? null,
  };
}

/**
 * Merges the given apps over the stored settings, asks PayPal for a token with every app whose
 * credentials changed and for the webhook of every app whose credentials or webhook id changed
 * (refused or unknown: 422 naming the field, nothing stored), and stores them sealed.
 */
export async function configurePaypal(
  db: DbExecutor,
  secrets: SecretBox,
  paypal: PaypalGateway,
  storeId: number,
  input: Partial<Record<PaypalMode, PaypalAppInput>>,
  enabled?: boolean,
): Promise<{ settings: PaypalSettings; enabled: boolean }> {
  const stored = await gatewaySettings<PaypalSettings>(db, secrets, storeId, 'PAYPAL');
  const merged: PaypalSettings = { ...(stored?.settings ?? {}) };
  const changed: { mode: PaypalMode; credentials: boolean }[] = [];
  for (const mode of ['live', 'sandbox'] as const) {
    const app = input[mode];
    if (!app) continue;
    const fields = FIELDS[mode];
    const credentials = app.client_id !== undefined || app.client_secret !== undefined;
    if (credentials || app.webhook_id !== undefined) changed.push({ mode, credentials });
    if (app.client_id !== undefined) merged[fields.clientId] = app.client_id;
    if (app.client_secret !== undefined) merged[fields.clientSecret] = app.client_secret;
    if (app.webhook_id !== undefined) merged[fields.webhookId] = app.webhook_id;
    if (!merged[fields.clientId] !== !merged[fields.clientSecret]) {
      const missing = merged[fields.clientId] ? fields.clientSecret : fields.clientId;
      throw new CatalogRuleError('missing_field', `A PayPal REST app takes its client id and its secret: set ${missing}`, missing);
    }
    // A webhook id is only known to PayPal with its app's credentials: without them it cannot be checked.
    if (merged[fields.webhookId] && !merged[fields.clientId])
      throw new CatalogRuleError(
        'missing_field',
        `A PayPal webhook id belongs to a REST app: set ${fields.clientId} and ${fields.clientSecret} with ${fields.webhookId}`,
        fields.clientId,
      );
  }
  if (!paypalCredentialsOf(merged, 'live') && !paypalCredentialsOf(merged, 'sandbox'))
    throw new CatalogRuleError('missing_field', 'Set client_id and client_secret of a PayPal REST app (live or sandbox)', 'client_id');
  for (const { mode, credentials: credentialsChanged } of changed) {
    const credentials = paypalCredentialsOf(merged, mode);
    if (!credentials) continue;
    const webhookId = paypalWebhookIdOf(merged, mode);
    if (!webhookId) {
      // Throws GatewayError: misconfigured (422 naming the secret), or unavailable (502, retry).
      if (credentialsChanged) await paypal.checkCredentials(credentials);
      continue;
    }
    // Every delivery is verified against this id with these credentials: an id of another app or
    // mode (or a typo) would have each event refused. The lookup's own token request checks the
    // credentials as checkCredentials would (same GatewayError).
    if (!(await paypal.knowsWebhook(credentials, webhookId))) {
      const field = FIELDS[mode].webhookId;
      throw new CatalogRuleError(
        'gateway_misconfigured',
        `PayPal has no webhook ${webhookId} on the store's ${mode} REST app (${credentials.clientId}): set ${field} to the id of that app's webhook`,
        field,
      );
    }
  }
  const on = enabled ?? stored?.enabled ?? true;
  await saveGatewaySettings(db, secrets, storeId, 'PAYPAL', on, merged);
  return { settings: merged, enabled: on };
}
