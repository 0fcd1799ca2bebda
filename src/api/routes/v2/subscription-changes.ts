import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import type { DbExecutor } from '../../../db/schema';
import type { SubscriptionChange } from '../../../db/schema/subscriptions';
import { actionOf, presentSubscriptionAction } from '../../../subscriptions/subscription-actions';
import { checkPlanTarget, checkRenewalDate, previewOfToken, previewTokenHash } from '../../../subscriptions/subscription-changes';
import { SubscriptionRuleError } from '../../../subscriptions/errors';
import { previewSubscriptionChange, takeSubscriptionAction } from '../../../subscriptions/subscription-workflow-client';
import type { ApiDependencies } from '../../context';
import { ApiError } from '../../errors';
import type { DocumentedRouter } from '../../route';
import { actionParams, actionResponse } from './subscription-action-shapes';

type Actor = 'seller' | 'customer';
type ChangeSubject = {
  id: number;
  store_id: number;
  status: string;
  product_variant_id: number;
  current_period_end: Date;
  provider: string;
  provider_subscription_id: string;
};

/** A renewal date as the SDKs send it: an ISO date-time, or a calendar date (midnight UTC). */
export const renewalDate = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const metadata = z.record(z.string(), z.unknown()).nullable().optional();

/** The official seller bodies (Sdk…SubscriptionPlanChangeRequestApplicationJson, …RenewalDateChange…). */
const planPreviewBody = z
  .object({
    target_variant_id: z.number().int().positive(),
    effective_timing: z.string().nullable().optional(),
    proration_behavior: z.string().nullable().optional(),
    metadata,
  })
  .passthrough();
const planConfirmBody = planPreviewBody.extend({ preview_token: z.string().min(1).max(255) });
const renewalPreviewBody = z
  .object({ renewal_date: renewalDate, reason: z.string().max(1000).nullable().optional(), metadata })
  .passthrough();
const renewalConfirmBody = renewalPreviewBody.extend({ preview_token: z.string().min(1).max(255).nullable().optional() });
/** The portal's one body for every action (CustomerPortal…RequestApplicationJson): all optional. */
export const portalChangeBody = z
  .object({
    preview_id: z.string().min(1).max(255).nullable().optional(),
    product_variant_id: z.number().int().positive().nullable().optional(),
    renewal_date: renewalDate.nullable().optional(),
    return_url: z.string().nullable().optional(),
    reason: z.string().max(1000).nullable().optional(),
  })
  .passthrough()
  .optional();

export const previewView = z.object({
  preview_token: z.string(),
  expires_at: z.string(),
  action: z.enum(['change_plan', 'shift_billing_date']),
  preview_payload: z.object({
    current_variant_id: z.number(),
    target_variant_id: z.number().nullable(),
    current_renewal_date: z.string(),
    renewal_date: z.string().nullable(),
    proration_date: z.string().nullable(),
    total_cents: z.number(),
    amount_due_cents: z.number(),
    credit_cents: z.number(),
    currency: z.string(),
  }),
  request_payload: z.object({}).passthrough(),
  customer_message: z.string().nullable(),
  seller_message: z.string().nullable(),
});

/** A field the official model leaves optional but this step needs (422). */
export const requiredField = (param: string, message: string) => new SubscriptionRuleError(`${param}_required`, message, param);

/**
 * A change's preview, as the subscription's workflow answers it: the request is checked first
 * (422: no such variant, a date past), then the workflow asks the provider and records it. A
 * retried request (same Idempotency-Key) answers with the same preview and token.
 */
export async function previewChange(
  deps: ApiDependencies,
  row: ChangeSubject,
  actor: Actor,
  req: Request,
  change: { action: SubscriptionChange; targetVariantId?: number; renewalDate?: string; reason?: string | null },
) {
  if (change.action === 'change_plan') await checkPlanTarget(deps.db, row, change.targetVariantId!);
  else checkRenewalDate(row, new Date(change.renewalDate!));
  const requestKey = `${actor}:preview_${change.action}:${req.get('Idempotency-Key') ?? randomUUID()}`;
  return previewSubscriptionChange(deps.temporal.client, deps.taskQueue, row, {
    action: change.action,
    requestKey,
    actor,
    targetVariantId: change.targetVariantId,
    renewalDate: change.renewalDate && new Date(change.renewalDate).toISOString(),
    reason: change.reason ?? null,
  });
}

/**
 * Confirms a preview: only with its token, and only what it previewed (a body naming another
 * variant or date is a 422). One preview is one action whatever the Idempotency-Key: the
 * request key is the token's hash, so a retried confirm answers with the first action.
 */
export async function confirmChange(
  deps: ApiDependencies,
  db: DbExecutor,
  row: ChangeSubject,
  actor: Actor,
  action: SubscriptionChange,
  token: string,
  expect: { targetVariantId?: number; renewalDate?: string } = {},
) {
  const preview = await previewOfToken(db, row.id, token);
  if (!preview || preview.action !== action || preview.actor !== actor)
    throw new SubscriptionRuleError(
      'invalid_preview',
      'No such preview of this change for this subscription: preview it first.',
      'preview_token',
    );
  if (expect.targetVariantId !== undefined && expect.targetVariantId !== preview.to_variant_id)
    throw new SubscriptionRuleError('preview_mismatch', 'The preview was of another variant.', 'target_variant_id');
  if (expect.renewalDate !== undefined && new Date(expect.renewalDate).getTime() !== preview.renewal_date?.getTime())
    throw new SubscriptionRuleError('preview_mismatch', 'The preview was of another renewal date.', 'renewal_date');
  const requestKey = `${actor}:${action}:preview:${previewTokenHash(token)}`;
  const seen = await actionOf(db, row.id, requestKey);
  if (seen) return presentSubscriptionAction(seen, row);
  return takeSubscriptionAction(deps.temporal.client, deps.taskQueue, row, { action, requestKey, actor, previewToken: token });
}

/**
 * The seller's side. change-plan belongs to the customer: the official API answers a seller's
 * preview or confirm with a 422 (after checking the subscription and body), and so do we.
 * change-renewal-date is the seller's too: preview, then confirm with the preview's token.
 */
export function registerSubscriptionChangeRoutes(
  router: DocumentedRouter,
  deps: ApiDependencies,
  load: (storeId: number, livemode: boolean, id: number) => Promise<ChangeSubject>,
): void {
  const common = { tags: ['Subscriptions'], scope: 'subscriptions:write' as const, params: actionParams, modes: 'both' as const };
  for (const [step, body] of [
    ['preview', planPreviewBody],
    ['confirm', planConfirmBody],
  ] as const) {
    router.route({
      ...common,
      method: 'post',
      path: `/subscriptions/:subscription/actions/change-plan/${step}`,
      summary: `change-plan ${step}: the customer’s action (422 for sellers, as the official API); use the customer portal`,
      body,
      response: z.string(),
      handler: async ({ auth, params }) => {
        await load(auth.store.id, auth.livemode, params.subscription);
        throw new ApiError(
          'invalid_request',
          'customer_action',
          'A plan change belongs to the customer: open a customer session and use the customer portal’s change-plan.',
          { status: 422, param: 'target_variant_id', fieldErrors: { target_variant_id: ['A plan change belongs to the customer.'] } },
        );
      },
    });
  }
  router.route({
    ...common,
    method: 'post',
    path: '/subscriptions/:subscription/actions/change-renewal-date/preview',
    summary: 'What moving the next renewal to renewal_date would do (no proration), under a preview token the confirm needs',
    body: renewalPreviewBody,
    response: z.object({ data: previewView }),
    handler: async ({ auth, params, req, body }) => ({
      data: await previewChange(deps, await load(auth.store.id, auth.livemode, params.subscription), 'seller', req, {
        action: 'shift_billing_date',
        renewalDate: body.renewal_date,
        reason: body.reason,
      }),
    }),
  });
  router.route({
    ...common,
    method: 'post',
    path: '/subscriptions/:subscription/actions/change-renewal-date/confirm',
    summary: 'Moves the next renewal as the preview (preview_token) showed: the subscription workflow decides and tells Stripe once',
    body: renewalConfirmBody,
    response: actionResponse,
    handler: async ({ auth, params, body }) => {
      if (!body.preview_token)
        throw requiredField('preview_token', 'Preview the renewal date change first, and confirm with its preview_token.');
      const row = await load(auth.store.id, auth.livemode, params.subscription);
      return {
        data: await confirmChange(deps, deps.db, row, 'seller', 'shift_billing_date', body.preview_token, {
          renewalDate: body.renewal_date,
        }),
      };
    },
  });
}
