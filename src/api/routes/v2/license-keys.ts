import { z } from 'zod';
import {
  activateLicense,
  deactivateLicense,
  instanceView,
  licenseKeyViews,
  loadLicenseKey,
  updateLicenseKey,
  validateLicense,
} from '../../../licenses/license-keys';
import { findInstance, instanceCount, storeInstances, storeLicenseKeys } from '../../../licenses/license-lists';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageQuery, pageUrl } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter } from '../../route';
import { rowId } from '../../schemas/common';

const keyParams = z.object({ license_key: rowId });
const instanceParams = keyParams.extend({ instance: z.string().uuid() });
const keyView = z
  .object({ id: z.number(), key: z.string(), status: z.enum(['ACTIVE', 'INACTIVE', 'EXPIRED']) })
  .passthrough()
  .openapi('LicenseKey');
const instanceViewSchema = z
  .object({ id: z.string(), license_key_id: z.number(), name: z.string() })
  .passthrough()
  .openapi('LicenseKeyInstance');
const keyChange = z
  .object({
    limit: z.number().int().min(1).max(1_000_000).nullable().optional(),
    expires_at: z.string().datetime({ offset: true }).nullable().optional(),
    active: z.boolean().nullable().optional(),
  })
  .strict();
const activateBody = z.object({ license_key: z.string().min(1).max(200), instance_name: z.string().min(1).max(255) }).strict();
const deactivateBody = z.object({ license_key: z.string().min(1).max(200), instance_id: z.string().min(1).max(64) }).strict();
const validateBody = z.object({ license_key: z.string().min(1).max(200), instance_id: z.string().max(64).optional() }).strict();

/** SellApp v2 license keys, their activations (instances), and the activate / validate calls apps make. */
export function registerLicenseKeyRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const instancePage = (auth: RequestAuth, query: z.infer<typeof pageQuery>, path: string, licenseKeyId?: number) =>
    pagedSearch({
      from: storeInstances(deps.db, auth.store.id, licenseKeyId),
      rows: (q) => q.selectAll(),
      order: [
        ['created_at', 'asc'],
        ['id', 'asc'],
      ],
      page: query,
      path,
      view: (rows) => rows.map(instanceView),
    });

  router
    .route({
      method: 'post',
      path: '/licenses/activate',
      summary: 'Activate a key for one instance (e.g. a device or e-mail); refused when inactive, expired or at its limit',
      tags: ['Licenses'],
      scope: 'invoices:write',
      modes: 'both',
      body: activateBody,
      response: z.object({ data: instanceViewSchema }),
      handler: async ({ auth, body }) => ({
        data: instanceView(
          await deps.db.transaction().execute((trx) => activateLicense(trx, auth.store.id, body.license_key, body.instance_name)),
        ),
      }),
    })
    .route({
      method: 'post',
      path: '/licenses/deactivate',
      summary: 'Release the slot an instance held (e.g. a device uninstalled)',
      tags: ['Licenses'],
      scope: 'invoices:write',
      modes: 'both',
      body: deactivateBody,
      response: z.object({ data: z.object({ deactivated: z.boolean(), instance_id: z.string() }) }),
      handler: async ({ auth, body }) => ({
        data: await deps.db.transaction().execute((trx) => deactivateLicense(trx, auth.store.id, body.license_key, body.instance_id)),
      }),
    })
    .route({
      method: 'post',
      path: '/licenses/validate',
      summary: 'Check a key and instance pair (valid: false with a reason when it is not)',
      tags: ['Licenses'],
      scope: 'invoices:read',
      body: validateBody,
      response: z.object({ data: z.object({ valid: z.boolean(), reason: z.string().nullable() }).passthrough() }),
      handler: async ({ auth, body }) => ({ data: await validateLicense(deps.db, auth.store.id, body.license_key, body.instance_id) }),
    })
    .route({
      method: 'get',
      path: '/license-keys',
      summary: 'List license keys',
      tags: ['Licenses'],
      scope: 'invoices:read',
      query: pageQuery,
      response: z.object({ data: z.array(keyView) }).passthrough(),
      handler: ({ auth, query, req }) =>
        pagedSearch({
          from: storeLicenseKeys(deps.db, auth.store.id),
          rows: (q) => q.selectAll(),
          order: [['id', 'asc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => licenseKeyViews(deps.db, rows),
        }),
    })
    .route({
      method: 'get',
      path: '/license-key-instances',
      summary: 'List every activation in the store',
      tags: ['Licenses'],
      scope: 'invoices:read',
      query: pageQuery,
      response: z.object({ data: z.array(instanceViewSchema) }).passthrough(),
      handler: ({ auth, query, req }) => instancePage(auth, query, pageUrl(deps.config.api.publicBaseUrl, req)),
    })
    .route({
      method: 'get',
      path: '/license-keys/:license_key',
      summary: 'Retrieve a license key by id',
      tags: ['Licenses'],
      scope: 'invoices:read',
      params: keyParams,
      response: z.object({ data: keyView }),
      handler: async ({ auth, params }) => ({
        data: (await licenseKeyViews(deps.db, [await loadLicenseKey(deps.db, auth.store.id, params.license_key)]))[0],
      }),
    })
    .route({
      method: 'patch',
      path: '/license-keys/:license_key',
      summary: 'Change limit, expiry or active; a lower limit removes the oldest activations',
      tags: ['Licenses'],
      scope: 'invoices:write',
      modes: 'both',
      params: keyParams,
      body: keyChange,
      response: z.object({ data: keyView.extend({ instances_count: z.number() }) }),
      handler: async ({ auth, params, body }) => {
        const row = await deps.db.transaction().execute((trx) => updateLicenseKey(trx, auth.store.id, params.license_key, body));
        return { data: { ...(await licenseKeyViews(deps.db, [row]))[0]!, instances_count: await instanceCount(deps.db, row.id) } };
      },
    })
    .route({
      method: 'get',
      path: '/license-keys/:license_key/instances',
      summary: 'List the activations of a key',
      tags: ['Licenses'],
      scope: 'invoices:read',
      params: keyParams,
      query: pageQuery,
      response: z.object({ data: z.array(instanceViewSchema) }).passthrough(),
      handler: async ({ auth, params, query, req }) => {
        await loadLicenseKey(deps.db, auth.store.id, params.license_key);
        return instancePage(auth, query, pageUrl(deps.config.api.publicBaseUrl, req), params.license_key);
      },
    })
    .route({
      method: 'get',
      path: '/license-keys/:license_key/instances/:instance',
      summary: 'Retrieve one activation',
      tags: ['Licenses'],
      scope: 'invoices:read',
      params: instanceParams,
      response: z.object({ data: instanceViewSchema }),
      handler: async ({ auth, params }) => {
        const row = await findInstance(deps.db, auth.store.id, params.license_key, params.instance);
        if (!row) throw notFound('License key instance');
        return { data: instanceView(row) };
      },
    });
}
