import { sql } from 'kysely';
import type { CatalogActor } from '../catalog/actor';
import { downloadableFiles } from '../catalog/releases';
import { claimSerials, OutOfStockError } from '../catalog/serial-stock';
import { syncSoldOut } from '../catalog/variants';
import type { Db, DeliveryStepKind, DeliveryStepStatus } from '../db/schema';
import { generateLicenseKey } from '../licenses/new-license-key';
import type { SecretBox } from '../security/secret-box';
import { callDynamicWebhook, PermanentDeliveryError } from './dynamic-webhook';
import { storeWebhookSecret } from './store-webhook-secret';
import { goodsTakenBack } from '../refunds/taken-back';

const KIND_OF_TYPE: Record<string, DeliveryStepKind> = {
  TEXT: 'serials',
  LICENSE_KEY: 'license_keys',
  DYNAMIC: 'dynamic',
  DOWNLOADABLE: 'downloads',
  MANUAL: 'manual',
};

export interface StepState {
  id: number;
  kind: DeliveryStepKind;
  status: DeliveryStepStatus;
  reason: string | null;
}

/** One step per line and deliverable type; creating them twice finds the first ones. */
export async function planDelivery(db: Db, invoiceId: number): Promise<StepState[]> {
  const lines = await db
    .selectFrom('invoice_lines')
    .select(['id', 'deliverable_types'])
    .where('invoice_id', '=', invoiceId)
    .orderBy('id')
    .execute();
  const wanted = lines.flatMap((line) =>
    line.deliverable_types
      .filter((t) => KIND_OF_TYPE[t])
      .map((t) => ({ invoice_id: invoiceId, line_id: line.id, kind: KIND_OF_TYPE[t]!, reason: null, result: null })),
  );
  if (wanted.length > 0) {
    await db
      .insertInto('delivery_steps')
      .values(wanted)
      .onConflict((oc) => oc.constraint('delivery_steps_line_kind_uq').doNothing())
      .execute();
  }
  return listSteps(db, invoiceId);
}

export async function listSteps(db: Db, invoiceId: number): Promise<StepState[]> {
  return db
    .selectFrom('delivery_steps')
    .select(['id', 'kind', 'status', 'reason'])
    .where('invoice_id', '=', invoiceId)
    .orderBy('id')
    .execute();
}

export interface DeliveryContext {
  db: Db;
  secrets: SecretBox;
  /** Sellers' endpoints may resolve to private addresses (WEBHOOKS_ALLOW_PRIVATE_NETWORKS), in both modes. */
  allowPrivateNetworks: boolean;
  /** The activity's cancellation (a worker shutting down past its grace): an outbound call stops and the step is retried elsewhere. */
  cancelled?: AbortSignal;
}

async function loadStep(db: Db, stepId: number) {
  return db
    .selectFrom('delivery_steps as s')
    .innerJoin('invoice_lines as l', 'l.id', 's.line_id')
    .innerJoin('invoices as i', 'i.id', 's.invoice_id')
    .innerJoin('product_variants as v', 'v.id', 'l.variant_id')
    .select([
      's.id',
      's.kind',
      's.status',
      's.result',
      's.invoice_id',
      's.line_id',
      'l.quantity',
      'l.variant_id',
      'l.product_id',
      'l.title',
      'l.additional_information',
      'l.total_cents',
      'i.store_id',
      'i.livemode',
      'i.customer_email',
      'i.currency',
      'i.payment_method',
      'i.subscription_id',
      sql<boolean>`coalesce((select entitlements_revoked_at is not null from subscriptions where subscriptions.id = i.subscription_id), false)`.as(
        'subscription_ended',
      ),
      'v.deliverable',
      'v.product_id as variant_product_id',
      sql<string>`(select slug from stores where stores.id = i.store_id)`.as('store_slug'),
    ])
    .where('s.id', '=', stepId)
    .executeTakeFirstOrThrow();
}

type LoadedStep = Awaited<ReturnType<typeof loadStep>>;

/**
 * Runs one delivery step. A step already delivered returns its stored result, so a
 * retried activity never hands over (or claims, or calls) twice. Permanent problems throw
 * PermanentDeliveryError; an open dispute of the order DisputeHoldError (nothing handed over,
 * the step still pending); anything else may be retried.
 */
export async function runStep(
  ctx: DeliveryContext,
  stepId: number,
): Promise<{ status: DeliveryStepStatus; result: Record<string, unknown> | null }> {
  const step = await loadStep(ctx.db, stepId);
  if (step.status === 'delivered' || step.status === 'skipped') return { status: step.status, result: step.result };
  const takenBack = await goodsTakenBack(ctx.db, step.invoice_id, step.line_id);
  if (takenBack) {
    await ctx.db
      .updateTable('delivery_steps')
      .set({ status: 'skipped', reason: `not delivered: ${takenBack}`, updated_at: new Date() })
      .where('id', '=', stepId)
      .execute();
    return { status: 'skipped', result: null };
  }
  await ctx.db
    .updateTable('delivery_steps')
    .set({ status: 'running', attempts: sql`attempts + 1`, updated_at: new Date() })
    .where('id', '=', stepId)
    .execute();
  const result = await deliver(ctx, step);
  await ctx.db
    .updateTable('delivery_steps')
    .set({ status: 'delivered', reason: null, result: JSON.stringify(result), updated_at: new Date() })
    .where('id', '=', stepId)
    .execute();
  return { status: 'delivered', result };
}

async function deliver(ctx: DeliveryContext, step: LoadedStep): Promise<Record<string, unknown>> {
  const claimKey = `invoice-${step.invoice_id}/line-${step.line_id}`;
  const actor: CatalogActor = { storeId: step.store_id, storeSlug: step.store_slug, livemode: step.livemode };
  switch (step.kind) {
    case 'serials':
      try {
        const serials = await ctx.db.transaction().execute(async (trx) => {
          const claimed = await claimSerials(trx, { variantId: step.variant_id, quantity: step.quantity, claimKey });
          await syncSoldOut(trx, actor, step.variant_id);
          return claimed;
        });
        return { serials };
      } catch (error) {
        if (error instanceof OutOfStockError)
          throw new PermanentDeliveryError(`Out of stock: ${error.available} serial(s) left, ${error.requested} needed`);
        throw error;
      }
    case 'license_keys': {
      const config = step.deliverable.license_key ?? { prefix: null, limit: null, expires_in_days: null };
      const expiresAt = config.expires_in_days ? new Date(Date.now() + config.expires_in_days * 86_400_000) : null;
      for (let unit = 0; unit < step.quantity; unit += 1) {
        await ctx.db
          .insertInto('license_keys')
          .values({
            store_id: step.store_id,
            key: generateLicenseKey(config.prefix),
            issue_key: `${claimKey}/unit-${unit}`,
            invoice_id: step.invoice_id,
            product_id: step.product_id,
            variant_id: step.variant_id,
            limit: config.limit,
            // A subscription that ended before its keys went out hands over spent keys.
            active: !step.subscription_ended,
            expires_at: step.subscription_ended ? new Date() : expiresAt,
            subscription_id: step.subscription_id,
          })
          .onConflict((oc) => oc.column('issue_key').doNothing())
          .execute();
      }
      const keys = await ctx.db
        .selectFrom('license_keys')
        .select('key')
        .where('issue_key', 'like', `${claimKey}/unit-%`)
        .orderBy('id')
        .execute();
      return { license_keys: keys.map((k) => k.key) };
    }
    case 'manual':
      return { manual: step.deliverable.comment ?? '' };
    case 'downloads': {
      const files = await downloadableFiles(ctx.db, { product_id: step.variant_product_id, deliverable: step.deliverable });
      if (files.length === 0) throw new PermanentDeliveryError('There is no file to deliver (no upload, or no current release)');
      return { files };
    }
    case 'dynamic': {
      if (!step.deliverable.webhook) throw new PermanentDeliveryError('The variant has no dynamic webhook URL');
      const secret = await storeWebhookSecret(ctx.db, ctx.secrets, step.store_id);
      const reply = await callDynamicWebhook({
        url: step.deliverable.webhook,
        secret,
        idempotencyKey: `${claimKey}/dynamic`,
        // Test and live mode alike reach only public addresses unless the operator allows private ones.
        allowPrivate: ctx.allowPrivateNetworks,
        cancelled: ctx.cancelled,
        payload: {
          event: 'order.delivery',
          invoice: {
            id: step.invoice_id,
            customer_email: step.customer_email,
            payment_method: step.payment_method,
            currency: step.currency,
            livemode: step.livemode,
          },
          product_variant: {
            id: step.variant_id,
            product_id: step.product_id,
            title: step.title,
            quantity: step.quantity,
            total: String(step.total_cents),
          },
          additional_information: step.additional_information,
        },
      });
      if (reply.stock !== null) {
        await ctx.db
          .updateTable('product_variants')
          .set({ deliverable: sql`jsonb_set(deliverable, '{stock}', ${String(reply.stock)}::jsonb)`, updated_at: new Date() })
          .where('id', '=', step.variant_id)
          .execute();
      }
      return { dynamic: reply.message, ...(reply.stock !== null ? { stock: reply.stock } : {}) };
    }
  }
}

export async function markStepFailed(db: Db, stepId: number, reason: string): Promise<void> {
  await db
    .updateTable('delivery_steps')
    .set({ status: 'failed', reason: reason.slice(0, 1000), updated_at: new Date() })
    .where('id', '=', stepId)
    .where('status', '!=', 'delivered')
    .execute();
}

/** Ops retry: failed steps (or those of the kinds, or with the ids, named) go back to pending. */
export async function resetSteps(db: Db, invoiceId: number, kinds?: DeliveryStepKind[], stepIds?: number[]): Promise<StepState[]> {
  let query = db
    .updateTable('delivery_steps')
    .set({ status: 'pending', reason: null, updated_at: new Date() })
    .where('invoice_id', '=', invoiceId)
    .where('status', '=', 'failed');
  if (kinds?.length) query = query.where('kind', 'in', kinds);
  if (stepIds?.length) query = query.where('id', 'in', stepIds);
  await query.execute();
  return listSteps(db, invoiceId);
}

export async function skipSteps(db: Db, invoiceId: number, kinds?: DeliveryStepKind[], stepIds?: number[]): Promise<StepState[]> {
  let query = db
    .updateTable('delivery_steps')
    .set({ status: 'skipped', updated_at: new Date() })
    .where('invoice_id', '=', invoiceId)
    .where('status', '=', 'failed');
  if (kinds?.length) query = query.where('kind', 'in', kinds);
  if (stepIds?.length) query = query.where('id', 'in', stepIds);
  await query.execute();
  return listSteps(db, invoiceId);
}
