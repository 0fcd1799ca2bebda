import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { customerNumber } from '../orders/customer-number';
import { laravelTime } from '../catalog/views/timestamps';
import { CatalogNotFoundError, CatalogRuleError } from '../catalog/errors';
import type { DbExecutor } from '../db/schema';
import type { LicenseKeyInstancesTable, LicenseKeysTable } from '../db/schema/orders';
import { activationProblem, isExpired, licenseStatus } from '../domain/license-key';

const PROBLEM_MESSAGES = {
  license_inactive: 'The license key is inactive',
  license_expired: 'The license key has expired',
  license_limit_reached: 'The license key has reached its activation limit',
} as const;

/** Activation refused (409: the key's state, not the request, is the problem). */
export class LicenseActivationError extends Error {
  constructor(
    readonly code: keyof typeof PROBLEM_MESSAGES,
    readonly param: string,
  ) {
    super(PROBLEM_MESSAGES[code]);
  }
}

const stateOf = (row: Pick<Selectable<LicenseKeysTable>, 'active' | 'expires_at' | 'limit'>) => ({
  active: row.active,
  expiresAt: row.expires_at,
  limit: row.limit,
});

/**
 * The official license key model: `active` 0/1 and `is_expired` a boolean; `limit` an integer,
 * 0 for no limit; `customer_id` the buyer's customer number.
 */
export function licenseKeyView(row: Selectable<LicenseKeysTable>, customerId: number, now = new Date()) {
  return {
    id: row.id,
    key: row.key,
    limit: row.limit ?? 0,
    active: row.active ? 1 : 0,
    status: licenseStatus(stateOf(row), now),
    expires_at: laravelTime(row.expires_at),
    is_expired: isExpired(stateOf(row), now),
    store_id: row.store_id,
    order_id: row.invoice_id,
    invoice_id: row.invoice_id,
    product_id: row.product_id,
    variant_id: row.variant_id,
    customer_id: customerId,
    subscription_id: row.subscription_id,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
  };
}

/** The views of keys, each with the customer number of the order that delivered it. */
export async function licenseKeyViews(db: DbExecutor, rows: Selectable<LicenseKeysTable>[], now = new Date()) {
  const invoiceIds = [...new Set(rows.map((r) => r.invoice_id))];
  const buyers =
    invoiceIds.length === 0
      ? []
      : await db.selectFrom('invoices').select(['id', 'store_id', 'customer_email']).where('id', 'in', invoiceIds).execute();
  const customerOf = new Map(buyers.map((b) => [b.id, customerNumber(b.store_id, b.customer_email)]));
  return rows.map((row) => licenseKeyView(row, customerOf.get(row.invoice_id) ?? 0, now));
}

export function instanceView(row: Selectable<LicenseKeyInstancesTable>) {
  return {
    id: row.id,
    license_key_id: row.license_key_id,
    name: row.name,
    store_id: row.store_id,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
  };
}

export async function loadLicenseKey(db: DbExecutor, storeId: number, id: number, lock = false) {
  let query = db.selectFrom('license_keys').selectAll().where('store_id', '=', storeId).where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('License key');
  return row;
}

const byKey = (db: DbExecutor, storeId: number, key: string) =>
  db.selectFrom('license_keys').selectAll().where('store_id', '=', storeId).where('key', '=', key.trim());

/**
 * One more activation of a key. The key row is locked while its instances are counted, so
 * two activations racing for the last slot cannot both win. Activating a name that already
 * holds an instance returns that instance (a reinstall uses no new slot).
 */
export async function activateLicense(trx: DbExecutor, storeId: number, key: string, instanceName: string, now = new Date()) {
  const row = await byKey(trx, storeId, key).forUpdate().executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('License key');
  const name = instanceName.trim();
  const existing = await trx
    .selectFrom('license_key_instances')
    .selectAll()
    .where('license_key_id', '=', row.id)
    .where('name', '=', name)
    .executeTakeFirst();
  const { count } = await trx
    .selectFrom('license_key_instances')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('license_key_id', '=', row.id)
    .executeTakeFirstOrThrow();
  // A known instance still needs a usable key, but not a free slot.
  const problem = activationProblem(stateOf(row), existing ? 0 : Number(count), now);
  if (problem) throw new LicenseActivationError(problem, problem === 'license_limit_reached' ? 'instance_name' : 'license_key');
  if (existing) return existing;
  return trx
    .insertInto('license_key_instances')
    .values({ id: randomUUID(), license_key_id: row.id, store_id: storeId, name })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Frees the slot an instance held: its activation is removed, so the key can be activated elsewhere. */
export async function deactivateLicense(trx: DbExecutor, storeId: number, key: string, instanceId: string) {
  const row = await byKey(trx, storeId, key).forUpdate().executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('License key');
  // Instances are named by uuid: any other text names none (and must not reach a uuid column).
  const removed = UUID.test(instanceId)
    ? await trx
        .deleteFrom('license_key_instances')
        .where('license_key_id', '=', row.id)
        .where('id', '=', instanceId)
        .returning('id')
        .executeTakeFirst()
    : undefined;
  if (!removed) throw new CatalogNotFoundError('License key instance');
  return { deactivated: true, instance_id: removed.id };
}

export type ValidationReason = 'not_found' | 'inactive' | 'expired' | 'instance_not_found' | null;

/** Valid iff the key exists, is active, has not expired and the instance is one of its activations. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function validateLicense(db: DbExecutor, storeId: number, key: string, instanceId: string | undefined, now = new Date()) {
  const row = await byKey(db, storeId, key).executeTakeFirst();
  if (!row) return { valid: false, reason: 'not_found' as ValidationReason, license_key: null, instance: null };
  const { count } = await db
    .selectFrom('license_key_instances')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('license_key_id', '=', row.id)
    .executeTakeFirstOrThrow();
  // Instances are named by uuid: any other text names none (and must not reach a uuid column).
  const instance =
    instanceId && UUID.test(instanceId)
      ? await db
          .selectFrom('license_key_instances')
          .selectAll()
          .where('license_key_id', '=', row.id)
          .where('id', '=', instanceId)
          .executeTakeFirst()
      : undefined;
  const reason: ValidationReason = !row.active
    ? 'inactive'
    : isExpired(stateOf(row), now)
      ? 'expired'
      : !instance
        ? 'instance_not_found'
        : null;
  return {
    valid: reason === null,
    reason,
    license_key: { ...(await licenseKeyViews(db, [row], now))[0]!, instances_count: Number(count) },
    instance: instance ? instanceView(instance) : null,
  };
}

export interface LicenseKeyChange {
  limit?: number | null;
  expires_at?: string | null;
  active?: boolean | null;
}

/** Lowering the limit below the activations in use removes the oldest ones. */
export async function updateLicenseKey(trx: DbExecutor, storeId: number, id: number, change: LicenseKeyChange) {
  const row = await loadLicenseKey(trx, storeId, id, true);
  const limit = change.limit === undefined ? row.limit : change.limit;
  if (limit !== null && limit < 1) throw new CatalogRuleError('invalid_field', 'limit is at least 1, or null for unlimited', 'limit');
  const updated = await trx
    .updateTable('license_keys')
    .set({
      limit,
      expires_at: change.expires_at === undefined ? row.expires_at : change.expires_at === null ? null : new Date(change.expires_at),
      active: change.active === undefined || change.active === null ? row.active : change.active,
      updated_at: new Date(),
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (limit !== null) {
    const keep = await trx
      .selectFrom('license_key_instances')
      .select('id')
      .where('license_key_id', '=', row.id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    let removal = trx.deleteFrom('license_key_instances').where('license_key_id', '=', row.id);
    if (keep.length > 0)
      removal = removal.where(
        'id',
        'not in',
        keep.map((k) => k.id),
      );
    await removal.execute();
  }
  return updated;
}
