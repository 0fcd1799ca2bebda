import { z } from 'zod';
import { type GeneralSettings, loadStoreSettings, type StoreSettingsRow, updateGeneralSettings } from '../../../accounts/store-settings';
import { ensurePayoutSchedule } from '../../../affiliates/payout-schedule';
import { loadProgram } from '../../../affiliates/program';
import { isTimeZone } from '../../../domain/payout-cycle';
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
 * GetStoreSettings…Data: the store's own fields. Sellflow keeps no analytics or marketing
 * settings and has no store verification or locking, so those are the spec's empty / open values.
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
    marketing: {},
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
    });
}
