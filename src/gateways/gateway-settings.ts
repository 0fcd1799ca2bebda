import type { DbExecutor } from '../db/schema';
import type { SecretBox } from '../security/secret-box';

export interface StripeSettings {
  /** sk_live_…: charges live-mode invoices. */
  secret_key?: string;
  /** sk_test_…: charges test-mode invoices; live keys never do. */
  test_secret_key?: string;
  /** whsec_…: verifies POST /webhooks/stripe/{store}. */
  webhook_secret?: string;
}

/** A store's settings for one payment method, read back from their sealed form. */
export async function gatewaySettings<T>(
  db: DbExecutor,
  box: SecretBox,
  storeId: number,
  method: string,
): Promise<{ enabled: boolean; settings: T } | null> {
  const row = await db
    .selectFrom('payment_gateways')
    .select(['enabled', 'settings_sealed'])
    .where('store_id', '=', storeId)
    .where('method', '=', method)
    .executeTakeFirst();
  return row ? { enabled: row.enabled, settings: JSON.parse(box.open(row.settings_sealed)) as T } : null;
}

export async function saveGatewaySettings(
  db: DbExecutor,
  box: SecretBox,
  storeId: number,
  method: string,
  enabled: boolean,
  settings: object,
): Promise<void> {
  const sealed = box.seal(JSON.stringify(settings));
  await db
    .insertInto('payment_gateways')
    .values({ store_id: storeId, method, enabled, settings_sealed: sealed })
    .onConflict((oc) =>
      oc.constraint('payment_gateways_store_method_uq').doUpdateSet({ enabled, settings_sealed: sealed, updated_at: new Date() }),
    )
    .execute();
}

/** The payment methods a store has configured, by name. */
export async function configuredMethods(db: DbExecutor, storeId: number): Promise<string[]> {
  const rows = await db.selectFrom('payment_gateways').select('method').where('store_id', '=', storeId).orderBy('method').execute();
  return rows.map((r) => r.method);
}
