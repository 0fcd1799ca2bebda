import type { DbExecutor } from '../db/schema';
import { gatewaySettings, type StripeSettings } from '../gateways/gateway-settings';
import type { SecretBox } from '../security/secret-box';

export class StripeNotConfiguredError extends Error {}

/** The store's Stripe secret key for live or test mode: test records never reach live Stripe. */
export async function stripeSecretKey(db: DbExecutor, secrets: SecretBox, storeId: number, livemode: boolean): Promise<string> {
  const stripe = await gatewaySettings<StripeSettings>(db, secrets, storeId, 'STRIPE');
  const key = livemode ? stripe?.settings.secret_key : stripe?.settings.test_secret_key;
  if (!key) throw new StripeNotConfiguredError(`Store ${storeId} has no Stripe ${livemode ? 'live' : 'test'} secret key`);
  return key;
}
