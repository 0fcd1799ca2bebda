import type { DbExecutor, VariantDeliverableConfig } from '../db/schema';
import type { CatalogActor } from './actor';
import type { DeliverableType } from './deliverable-rules';
import { CatalogNotFoundError, CatalogRuleError } from './errors';
import { writeVariant } from './variants';
import { laravelTime } from './views/timestamps';

/**
 * The spec's variant-deliverable configuration: the types and the settings they expose, keyed
 * as SellApp stores them. The dynamic endpoint is write-only (only `webhook_configured` shows);
 * serial stock (TEXT) and files have resources of their own.
 */
export function deliverableSettingsView(variant: { deliverable: VariantDeliverableConfig; deliverable_types: string[]; updated_at: Date }) {
  const types = variant.deliverable_types;
  const d = variant.deliverable;
  const data: Record<string, unknown> = {};
  if (types.includes('MANUAL')) data.comment = d.comment ?? null;
  if (types.includes('TEXT')) {
    data.parsingMode = d.parsingMode ?? 'COMMA';
    data.delimiter = d.delimiter ?? null;
    data.removeDuplicate = d.removeDuplicate ?? false;
  }
  if (types.includes('DYNAMIC')) data.stock = d.stock ?? null;
  if (types.includes('LICENSE_KEY')) {
    const key = d.license_key;
    data.licensePrefix = key?.prefix ?? null;
    data.licenseLimit = key?.limit ?? null;
    data.isLicenseLimitUnlimited = !key?.limit;
    data.licenseLength = key?.expires_in_days ?? null;
    data.licenseLengthUnit = key?.expires_in_days ? 'DAYS' : null;
    data.isLicenseLengthUnlimited = !key?.expires_in_days;
  }
  return { types, data, webhook_configured: !!d.webhook, updated_at: laravelTime(variant.updated_at)! };
}

const DAYS_PER_UNIT: Record<string, number> = { DAY: 1, DAYS: 1, WEEK: 7, WEEKS: 7, MONTH: 30, MONTHS: 30, YEAR: 365, YEARS: 365 };

export interface DeliverableSettingsInput {
  types: DeliverableType[];
  expectedUpdatedAt?: string;
  comment?: string | null;
  webhook?: string | null;
  licenseLength?: number | null;
  licenseLengthUnit?: string | null;
  isLicenseLengthUnlimited?: boolean;
  licenseLimit?: number | null;
  isLicenseLimitUnlimited?: boolean;
  licensePrefix?: string | null;
}

export async function variantDeliverable(db: DbExecutor, storeId: number, productId: number, variantId: number) {
  const variant = await db
    .selectFrom('product_variants')
    .select(['deliverable', 'deliverable_types', 'updated_at'])
    .where('id', '=', variantId)
    .where('product_id', '=', productId)
    .where('store_id', '=', storeId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!variant) throw new CatalogNotFoundError('Product variant');
  return variant;
}

/** PUT …/deliverable: the complete type list and its settings; serial stock and files stay as they are. */
export async function replaceDeliverableSettings(
  trx: DbExecutor,
  actor: CatalogActor,
  target: { productId: number; variantId: number },
  input: DeliverableSettingsInput,
): Promise<void> {
  const current = await variantDeliverable(trx, actor.storeId, target.productId, target.variantId);
  if (current.deliverable_types.includes('TEXT') !== input.types.includes('TEXT')) {
    throw new CatalogRuleError('invalid_field', 'TEXT is managed through the serials resource and must stay as it is here', 'types');
  }
  let expiresInDays: number | null = null;
  if (!input.isLicenseLengthUnlimited && input.licenseLength) {
    const unit = DAYS_PER_UNIT[(input.licenseLengthUnit ?? 'DAYS').toUpperCase()];
    if (!unit)
      throw new CatalogRuleError('invalid_field', 'licenseLengthUnit is one of DAYS, WEEKS, MONTHS, YEARS', 'data.licenseLengthUnit');
    expiresInDays = input.licenseLength * unit;
  }
  await writeVariant(trx, actor, target, {
    expectedUpdatedAt: input.expectedUpdatedAt,
    deliverable: {
      types: input.types,
      comment: input.comment,
      webhook: input.webhook,
      licenseKey: input.types.includes('LICENSE_KEY')
        ? {
            prefix: input.licensePrefix ?? null,
            limit: input.isLicenseLimitUnlimited ? null : (input.licenseLimit ?? null),
            expiresInDays,
          }
        : null,
    },
  });
}
