import { z } from 'zod';
import { type GeneralSettings, loadStoreSettings, type StoreSettingsRow, updateGeneralSettings } from '../../../accounts/store-settings';
import { ensurePayoutSchedule } from '../../../affiliates/payout-schedule';
import { loadProgram } from '../../../affiliates/program';
import { ABANDONED_CART_OFF, type AbandonedCartDraft } from '../../../domain/abandoned-cart';
import { isTimeZone } from '../../../domain/payout-cycle';
import { AbandonedCartSettingsError, saveAbandonedCartSettings } from '../../../orders/abandoned-cart-settings';
import { ApiError } from '../../errors';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter } from '../../route';

const visibility = z.enum(['PUBLIC', 'HIDDEN', 'PRIVATE']);
// The SDKs' DarkMode enum has a 'null' member beside JSON null: both mean the theme's own scheme.
const darkMode = z
  .enum(['light', 'dark', 'system', 'null'])
  .nullable()
  .transform((v) => (v === 'null' ? null : v));
const general = {
  name: z.string().trim().min(1).max(100),
  visibility,
  timezone: z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Amsterdam'),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'an ISO 4217 code such as USD')
    .transform((c) => c.toUpperCase()),
  dark_mode: darkMode.optional(),
};
const replaceBody = z.object(general).openapi('ReplaceGeneralStoreSettings');
const updateBody = z.object(general).partial().openapi('UpdateGeneralStoreSettings');

// The official marketing model (Replace/UpdateMarketingSettingsRequest…AbandonedCart); the seed's
// rules (schedule without gaps, 1–72 h, increasing; coupon step) are checked after merging, by
// src/domain/abandoned-cart.ts, and answered 422 with the fields at fault.
const abandonedCart = {
  enabled: z.boolean(),
  min_total_cents: z.number().int().nullable().optional(),
  max_total_cents: z.number().int().nullable().optional(),
  reminders: z
    .array(z.object({ after_hours: z.number().nullable().optional() }))
    .max(10)
    .optional(),
  // The SDKs' IncentiveMode has a 'null' member beside JSON null: both mean no incentive.
  incentive_mode: z
    .enum(['none', 'existing_coupon', 'null'])
    .nullable()
    .optional()
    .transform((v) => (v === 'null' ? null : v)),
  coupon_id: z.number().int().nullable().optional(),
  send_incentive_on_step: z.number().int().nullable().optional(),
};
const replaceMarketingBody = z.object({ abandoned_cart: z.object(abandonedCart) }).openapi('ReplaceMarketingSettings');
const updateMarketingBody = z.object({ abandoned_cart: z.object(abandonedCart).partial().optional() }).openapi('UpdateMarketingSettings');

const settingsView = z
  .object({
    id: z.number(),
    name: z.string(),
    slug: z.string(),
    visibility: z.string(),
    timezone: z.string(),
    currency: z.string(),
    dark_mode: z.string().nullable(),
    status: z.object({ accessible: z.boolean(), verified: z.boolean(), locked: z.boolean() }),
    analytics: z.object({}).passthrough(),
    marketing: z.object({}).passthrough(),
  })
  .openapi('StoreSettings');

/**
 * GetStoreSettings…Data: the store's own fields and its abandoned-cart reminders. Sellflow keeps
 * no analytics settings and has no store verification or locking: those are the spec's empty / open values.
 */
function present(row: StoreSettingsRow) {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    visibility: row.visibility,
    timezone: row.timezone,
    currency: row.currency,
    dark_mode: row.dark_mode,
    status: { accessible: row.deleted_at === null, verified: true, locked: false },
    analytics: {},
    marketing: { abandoned_cart: row.abandoned_cart ?? ABANDONED_CART_OFF },
  };
}

/** The official `/v2/store/settings` (read) and `/v2/store/settings/general` (PUT replaces, PATCH changes the fields sent). */
export function registerStoreSettingsRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const common = { tags: ['Store settings'], response: z.object({ data: settingsView }) };
  const write = async (storeId: number, change: Partial<GeneralSettings>) => {
    const { previousTimeZone, row } = await updateGeneralSettings(deps.db, storeId, change);
    // Payout cycles run at midnight in the store's zone: an enabled program's schedule follows the new one.
    if (row.timezone !== previousTimeZone && (await loadProgram(deps.db, storeId)).enabled)
      await ensurePayoutSchedule(deps.temporal.client, deps.taskQueue, storeId, row.timezone);
    return { data: present(row) };
  };

  const writeMarketing = async (storeId: number, change: Partial<AbandonedCartDraft>) => {
    try {
      await saveAbandonedCartSettings(deps.db, storeId, change);
    } catch (error) {
      if (!(error instanceof AbandonedCartSettingsError)) throw error;
      throw new ApiError('invalid_request', 'invalid_abandoned_cart', error.message, {
        status: 422,
        param: Object.keys(error.problems)[0] ?? 'abandoned_cart',
        fieldErrors: error.problems,
      });
    }
    return { data: present(await loadStoreSettings(deps.db, storeId)) };
  };

  router
    .route({
      ...common,
      method: 'get',
      path: '/store/settings',
      summary: 'The store’s settings: name, slug, visibility, time zone, currency, colour scheme, status',
      scope: 'none',
      handler: async ({ auth }) => ({ data: present(await loadStoreSettings(deps.db, auth.store.id)) }),
    })
    .route({
      ...common,
      method: 'put',
      path: '/store/settings/general',
      summary: 'Replace the general settings (name, visibility, time zone, currency; colour scheme optional)',
      scope: 'ops:write',
      body: replaceBody,
      handler: ({ auth, body }) => write(auth.store.id, { ...body, dark_mode: body.dark_mode ?? null }),
    })
    .route({
      ...common,
      method: 'patch',
      path: '/store/settings/general',
      summary: 'Change the general settings sent',
      scope: 'ops:write',
      body: updateBody,
      handler: ({ auth, body }) => write(auth.store.id, body),
    })
    .route({
      ...common,
      method: 'put',
      path: '/store/settings/marketing',
      summary: 'Replace the abandoned-cart reminder settings (fields left out are cleared)',
      scope: 'ops:write',
      body: replaceMarketingBody,
      handler: ({ auth, body }) => {
        const a = body.abandoned_cart;
        return writeMarketing(auth.store.id, {
          enabled: a.enabled,
          min_total_cents: a.min_total_cents ?? null,
          max_total_cents: a.max_total_cents ?? null,
          reminders: (a.reminders ?? []).map((r) => ({ after_hours: r.after_hours ?? null })),
          incentive_mode: a.incentive_mode ?? null,
          coupon_id: a.coupon_id ?? null,
          send_incentive_on_step: a.send_incentive_on_step ?? null,
        });
      },
    })
    .route({
      ...common,
      method: 'patch',
      path: '/store/settings/marketing',
      summary: 'Change the abandoned-cart reminder settings sent',
      scope: 'ops:write',
      body: updateMarketingBody,
      handler: ({ auth, body }) => {
        const a = body.abandoned_cart ?? {};
        const change: Partial<AbandonedCartDraft> = {};
        for (const key of [
          'enabled',
          'min_total_cents',
          'max_total_cents',
          'incentive_mode',
          'coupon_id',
          'send_incentive_on_step',
        ] as const)
          if (a[key] !== undefined) Object.assign(change, { [key]: a[key] });
        if (a.reminders !== undefined) change.reminders = a.reminders.map((r) => ({ after_hours: r.after_hours ?? null }));
        return writeMarketing(auth.store.id, change);
      },
    });
}
