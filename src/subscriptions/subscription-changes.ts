import { createHash, randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import { laravelTime } from '../catalog/views/timestamps';
import type { DbExecutor } from '../db/schema';
import type { SubscriptionChangePreviewsTable, SubscriptionsTable } from '../db/schema/subscriptions';
import type { BillingInterval } from '../domain/billing-interval';
import type { SecretBox } from '../security/secret-box';
import type {
  SubscriptionActionDecision,
  SubscriptionActionRequest,
  SubscriptionChangePreviewView,
} from '../temporal/contracts/subscription';
import { SubscriptionRuleError } from './errors';

/** How long a preview can be confirmed: long enough to read it, short enough that prices hold. */
export const PREVIEW_TTL_MS = 15 * 60_000;
/** Stripe moves a renewal at most this far out (its trial limit is two years; we keep to one). */
const MAX_RENEWAL_SHIFT_MS = 365 * 24 * 3600_000;

type PreviewRow = Selectable<SubscriptionChangePreviewsTable>;
type SubscriptionRow = Pick<Selectable<SubscriptionsTable>, 'id' | 'store_id' | 'product_variant_id' | 'current_period_end'>;

export const previewTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
export const newPreviewToken = () => `subprev_${randomBytes(18).toString('base64url')}`;

/** A subscription variant's price as Stripe bills it. */
export interface VariantPrice {
  amountCents: number;
  currency: string;
  interval: BillingInterval;
  intervalCount: number;
}

export async function variantPrice(db: DbExecutor, variantId: number): Promise<VariantPrice> {
  const v = await db
    .selectFrom('product_variants')
    .select(['price_cents', 'currency', 'frequency_interval', 'frequency_value'])
    .where('id', '=', variantId)
    .executeTakeFirstOrThrow();
  return {
    amountCents: v.price_cents,
    currency: v.currency,
    interval: (v.frequency_interval ?? 'MONTH') as BillingInterval,
    intervalCount: v.frequency_value ?? 1,
  };
}

/**
 * A plan change moves to another subscription variant of the same product, in the same currency
 * (422 otherwise): the provider bills one product, and a proration across currencies means nothing.
 */
export async function checkPlanTarget(db: DbExecutor, row: SubscriptionRow, targetVariantId: number): Promise<void> {
  const param = 'target_variant_id';
  if (targetVariantId === row.product_variant_id)
    throw new SubscriptionRuleError('same_plan', 'The subscription is already on this variant.', param);
  const [current, target] = await Promise.all(
    [row.product_variant_id, targetVariantId].map((id) =>
      db
        .selectFrom('product_variants')
        .select(['id', 'product_id', 'currency', 'pricing_type', 'frequency_interval', 'deleted_at'])
        .where('id', '=', id)
        .where('store_id', '=', row.store_id)
        .executeTakeFirst(),
    ),
  );
  if (!target || target.deleted_at) throw new SubscriptionRuleError('invalid_target_variant', 'No such variant in this store.', param);
  if (target.pricing_type !== 'SUBSCRIPTION' || !target.frequency_interval)
    throw new SubscriptionRuleError('invalid_target_variant', 'The variant is not a subscription.', param);
  if (!current || target.product_id !== current.product_id)
    throw new SubscriptionRuleError('invalid_target_variant', 'A plan change stays within the subscription’s product.', param);
  if (target.currency !== current.currency)
    throw new SubscriptionRuleError('invalid_target_variant', 'The variant bills in another currency.', param);
}

/** A new renewal date is in the future, within a year, and not the one it already has (422 otherwise). */
export function checkRenewalDate(row: SubscriptionRow, renewalDate: Date, now = new Date()): void {
  const param = 'renewal_date';
  if (renewalDate.getTime() <= now.getTime()) throw new SubscriptionRuleError('invalid_renewal_date', 'The renewal date is past.', param);
  if (renewalDate.getTime() - now.getTime() > MAX_RENEWAL_SHIFT_MS)
    throw new SubscriptionRuleError('invalid_renewal_date', 'The renewal date is more than a year away.', param);
  if (Math.floor(renewalDate.getTime() / 1000) === Math.floor(row.current_period_end.getTime() / 1000))
    throw new SubscriptionRuleError('invalid_renewal_date', 'The subscription already renews then.', param);
}

export const previewOfRequest = (db: DbExecutor, subscriptionId: number, requestKey: string) =>
  db
    .selectFrom('subscription_change_previews')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .where('request_key', '=', requestKey)
    .executeTakeFirst();

/** The subscription's preview this token names, if any (a token of another subscription names none). */
export const previewOfToken = (db: DbExecutor, subscriptionId: number, token: string) =>
  db
    .selectFrom('subscription_change_previews')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .where('token_hash', '=', previewTokenHash(token))
    .executeTakeFirst();

export type NewPreview = Omit<PreviewRow, 'id' | 'token_hash' | 'token_sealed' | 'action_id' | 'created_at'>;

/** Records a preview under a fresh token; a retried request (same key) gets the first one back. */
export async function recordPreview(db: DbExecutor, secrets: SecretBox, preview: NewPreview): Promise<PreviewRow> {
  const token = newPreviewToken();
  await db
    .insertInto('subscription_change_previews')
    .values({ ...preview, token_hash: previewTokenHash(token), token_sealed: secrets.seal(token) })
    .onConflict((oc) => oc.columns(['subscription_id', 'request_key']).doNothing())
    .execute();
  return (await previewOfRequest(db, preview.subscription_id, preview.request_key))!;
}

export function presentPreview(preview: PreviewRow, secrets: SecretBox): SubscriptionChangePreviewView {
  const total = preview.total_cents;
  return {
    preview_token: secrets.open(preview.token_sealed),
    expires_at: laravelTime(preview.expires_at)!,
    action: preview.action,
    preview_payload: {
      current_variant_id: preview.from_variant_id,
      target_variant_id: preview.to_variant_id,
      current_renewal_date: laravelTime(preview.period_end)!,
      renewal_date: laravelTime(preview.renewal_date),
      proration_date: laravelTime(preview.proration_date),
      total_cents: total,
      amount_due_cents: Math.max(total, 0),
      credit_cents: Math.max(-total, 0),
      currency: preview.currency,
    },
    request_payload:
      preview.action === 'change_plan'
        ? { target_variant_id: preview.to_variant_id!, reason: preview.reason }
        : { renewal_date: laravelTime(preview.renewal_date)!, reason: preview.reason },
    customer_message: null,
    seller_message: null,
  };
}

/**
 * Whether a confirm may apply its preview, decided under the subscription's row lock: the
 * preview must be this subscription's, of this action and actor, unexpired, not confirmed by
 * another request, and still true (no renewal or plan change since, which would change what
 * it charges: 409 `preview_stale`, preview again).
 */
export async function decideChange(
  trx: DbExecutor,
  row: SubscriptionRow,
  request: SubscriptionActionRequest,
  now: Date,
): Promise<{ previewId: number } | Extract<SubscriptionActionDecision, { refused: string }>> {
  const preview = request.previewToken ? await previewOfToken(trx, row.id, request.previewToken) : undefined;
  if (!preview || preview.action !== request.action || preview.actor !== request.actor)
    return { refused: 'preview_not_found', message: 'No such preview of this change for this subscription: preview it first' };
  if (preview.action_id !== null) return { refused: 'preview_used', message: 'This preview was confirmed by another request already' };
  if (preview.expires_at.getTime() <= now.getTime())
    return { refused: 'preview_expired', message: 'The preview expired: preview the change again' };
  if (preview.period_end.getTime() !== row.current_period_end.getTime() || preview.from_variant_id !== row.product_variant_id)
    return { refused: 'preview_stale', message: 'The subscription renewed or changed since the preview: preview the change again' };
  return { previewId: preview.id };
}
