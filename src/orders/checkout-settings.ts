import type { DbExecutor } from '../db/schema';

/** Invoice-creation attempts allowed per hour, per client key; null = that limit is off. */
export interface CheckoutAttemptLimits {
  ipEmail: number | null;
  ip: number | null;
  email: number | null;
  fingerprint: number | null;
  /** How long a client over a limit waits before trying again; null = until its hour is over. */
  windowSeconds: number | null;
}

/** The store's checkout settings: which sites embed fast checkout, the dispute switch, the attempt limits, the e-mail switch. */
export interface CheckoutSettings {
  allowedOrigins: string[];
  blacklistOnDispute: boolean;
  limits: CheckoutAttemptLimits;
  /** The seed's "Disable Checkout Email": a buyer may check out without giving an e-mail address. */
  checkoutEmailDisabled: boolean;
}

export interface CheckoutSettingsChange {
  allowedOrigins?: string[];
  blacklistOnDispute?: boolean;
  checkoutEmailDisabled?: boolean;
  limits?: Partial<CheckoutAttemptLimits>;
}

const settingsOf = (db: DbExecutor, storeId: number) =>
  db
    .selectFrom('stores')
    .select([
      'checkout_allowed_origins',
      'blacklist_on_dispute',
      'disable_checkout_email',
      'checkout_limit_ip_email',
      'checkout_limit_ip',
      'checkout_limit_email',
      'checkout_limit_fingerprint',
      'checkout_limit_window_seconds',
    ])
    .where('id', '=', storeId);

export async function checkoutSettings(db: DbExecutor, storeId: number): Promise<CheckoutSettings> {
  return settingsView(await settingsOf(db, storeId).executeTakeFirstOrThrow());
}

/**
 * What placing an invoice checks before it is made, in one read: the store's settings, and
 * whether it has a blacklist at all (most have none, and their buyers need no screening).
 */
export async function checkoutScreen(db: DbExecutor, storeId: number): Promise<CheckoutSettings & { hasBlacklist: boolean }> {
  const row = await settingsOf(db, storeId)
    .select((eb) => eb.exists(eb.selectFrom('blacklists').select('id').where('blacklists.store_id', '=', storeId)).as('has_blacklist'))
    .executeTakeFirstOrThrow();
  return { ...settingsView(row), hasBlacklist: Boolean(row.has_blacklist) };
}

function settingsView(row: Awaited<ReturnType<ReturnType<typeof settingsOf>['executeTakeFirstOrThrow']>>): CheckoutSettings {
  return {
    allowedOrigins: row.checkout_allowed_origins,
    blacklistOnDispute: row.blacklist_on_dispute,
    checkoutEmailDisabled: row.disable_checkout_email,
    limits: {
      ipEmail: row.checkout_limit_ip_email,
      ip: row.checkout_limit_ip,
      email: row.checkout_limit_email,
      fingerprint: row.checkout_limit_fingerprint,
      windowSeconds: row.checkout_limit_window_seconds,
    },
  };
}

/** Changes only what is named; a limit set to null turns off. */
export async function saveCheckoutSettings(db: DbExecutor, storeId: number, change: CheckoutSettingsChange): Promise<CheckoutSettings> {
  const limits = change.limits ?? {};
  const set = {
    ...(change.allowedOrigins !== undefined ? { checkout_allowed_origins: [...new Set(change.allowedOrigins)] } : {}),
    ...(change.blacklistOnDispute !== undefined ? { blacklist_on_dispute: change.blacklistOnDispute } : {}),
    ...(change.checkoutEmailDisabled !== undefined ? { disable_checkout_email: change.checkoutEmailDisabled } : {}),
    ...(limits.ipEmail !== undefined ? { checkout_limit_ip_email: limits.ipEmail } : {}),
    ...(limits.ip !== undefined ? { checkout_limit_ip: limits.ip } : {}),
    ...(limits.email !== undefined ? { checkout_limit_email: limits.email } : {}),
    ...(limits.fingerprint !== undefined ? { checkout_limit_fingerprint: limits.fingerprint } : {}),
    ...(limits.windowSeconds !== undefined ? { checkout_limit_window_seconds: limits.windowSeconds } : {}),
  };
  await db
    .updateTable('stores')
    .set({ ...set, updated_at: new Date() })
    .where('id', '=', storeId)
    .execute();
  return checkoutSettings(db, storeId);
}
