import { z } from 'zod';
import {
  addDeliverableFile,
  createDeliverableFolder,
  fileView,
  folderView,
  removeDeliverableFile,
  removeDeliverableFolder,
  requireFile,
  requireFolder,
  updateDeliverableFile,
  updateDeliverableFolder,
  variantFiles,
  variantFolders,
} from '../../../catalog/deliverable-files';
import { DELIVERABLE_TYPES } from '../../../catalog/deliverable-rules';
import { deliverableSettingsView, replaceDeliverableSettings, variantDeliverable } from '../../../catalog/deliverable-settings';
import { requireProduct } from '../../../catalog/products';
import { findLiveVariant } from '../../../catalog/variant-list';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter } from '../../route';
import { registerCollectionRoutes } from '../../families/sellapp/resource-routes';
import { INT_MAX, rowId, rowIdNumber } from '../../schemas/common';
import { actorOf } from './products';

const variantParams = z.object({ product: rowId, variant: rowId });
const fileParams = variantParams.extend({ file: rowId });
const folderParams = variantParams.extend({ folder: rowId });

/** Sellflow hands files over as uploaded: these download controls are taken only at their defaults. */
const offAtDefault = {
  watermark: z.literal(false).optional(),
  max_downloads: z.null().optional(),
  limit_to_purchase_ip: z.literal(false).optional(),
};
const fileSettings = z.object({
  custom_name: z.string().min(1).max(255).nullable().optional(),
  folder_id: rowIdNumber.nullable().optional(),
  ...offAtDefault,
});
/** The SDK uploads the bytes as multipart; Sellflow takes the key of an upload made with POST /api/v1/uploads. */
const fileCreate = fileSettings.extend({ key: z.string().min(1).max(1024) });
const folderFields = {
  name: z.string().min(1).max(255),
  description: z.string().max(5000).nullable().optional(),
  parent_id: rowIdNumber.nullable().optional(),
  sort_order: z.number().int().min(0).max(INT_MAX).optional(),
};
const folderCreate = z.object(folderFields);
const folderUpdate = z.object(folderFields).partial();
const settingsBody = z.object({
  types: z.array(z.enum(DELIVERABLE_TYPES)).min(1),
  expected_updated_at: z.string().max(64).optional(),
  data: z.object({
    comment: z.string().max(20_000).nullable().optional(),
    webhook: z.string().max(2048).nullable().optional(),
    licenseLength: z.number().int().min(1).max(36_500).nullable().optional(),
    licenseLengthUnit: z.string().max(10).nullable().optional(),
    isLicenseLengthUnlimited: z.boolean().optional(),
    licenseLimit: z.number().int().min(1).max(INT_MAX).nullable().optional(),
    isLicenseLimitUnlimited: z.boolean().optional(),
    licensePrefix: z.string().max(20).nullable().optional(),
  }),
});

const fileModel = z
  .object({ id: z.number(), filename: z.string(), folder_id: z.number().nullable() })
  .passthrough()
  .openapi('DeliverableFile');
const folderModel = z
  .object({ id: z.number(), name: z.string(), parent_id: z.number().nullable() })
  .passthrough()
  .openapi('DeliverableFolder');
const settingsModel = z
  .object({ types: z.array(z.string()), data: z.record(z.string(), z.unknown()), webhook_configured: z.boolean(), updated_at: z.string() })
  .openapi('DeliverableSettings');

const fileInput = (body: z.infer<typeof fileSettings>) => ({ customName: body.custom_name, folderId: body.folder_id });
const folderInput = (body: z.infer<typeof folderUpdate>) => ({
  name: body.name,
  description: body.description,
  parentId: body.parent_id,
  sortOrder: body.sort_order,
});

/** The spec's variant-deliverable resource: the configuration, and the downloadable files and folders. */
export function registerVariantDeliverableRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const base = '/products/:product/variants/:variant/deliverable';
  /** The variant must be a live one of the caller's store: everything below is scoped by it. */
  const variantOf = async (auth: RequestAuth, params: z.infer<typeof variantParams>) => {
    await requireProduct(deps.db, auth.store.id, params.product);
    if (!(await findLiveVariant(deps.db, auth.store.id, params.product, params.variant))) throw notFound('Product variant');
    return { storeId: auth.store.id, variantId: params.variant };
  };
  const settings = async (auth: RequestAuth, params: z.infer<typeof variantParams>) => ({
    data: deliverableSettingsView(await variantDeliverable(deps.db, auth.store.id, params.product, params.variant)),
  });
  const variantKey = (params: z.infer<typeof variantParams>) => ({ productId: params.product, variantId: params.variant });
  const tags = ['Variant deliverables'];

  router
    .route({
      method: 'get',
      path: base,
      summary: 'The variant’s deliverable types and settings (the dynamic endpoint only as webhook_configured)',
      tags,
      scope: 'products:read',
      params: variantParams,
      response: z.object({ data: settingsModel }),
      handler: ({ auth, params }) => settings(auth, params),
    })
    .route({
      method: 'put',
      path: base,
      summary: 'Replace the deliverable types and settings (TEXT, serials and files keep their own resources)',
      tags,
      scope: 'products:write',
      params: variantParams,
      body: settingsBody,
      response: z.object({ data: settingsModel }),
      handler: async ({ auth, params, body }) => {
        await variantOf(auth, params);
        await deps.db.transaction().execute((trx) =>
          replaceDeliverableSettings(trx, actorOf(auth), variantKey(params), {
            types: body.types,
            expectedUpdatedAt: body.expected_updated_at,
            ...body.data,
          }),
        );
        return settings(auth, params);
      },
    });
  const inVariant = { tags, read: 'products:read', write: 'products:write', params: variantParams, parent: variantOf } as const;
  registerCollectionRoutes(router, deps, {
    ...inVariant,
    path: `${base}/files`,
    member: 'file',
    memberId: (params) => params.file,
    memberParams: fileParams,
    item: fileModel,
    summaries: {
      list: 'List the deliverable’s files (storage keys are never shown)',
      create: 'Add an uploaded file (the key POST /api/v1/uploads gave) to the deliverable',
      retrieve: 'Retrieve a deliverable file',
      replace: 'Replace a file’s settings (name and folder not sent are cleared)',
      update: 'Update a file’s settings',
      delete: 'Remove a file from the deliverable (a DOWNLOADABLE variant keeps at least one)',
    },
    list: (at, page) =>
      pagedSearch({
        from: variantFiles(deps.db, at),
        rows: (q) => q.selectAll(),
        order: [['id', 'asc']],
        ...page,
        view: (rows) => rows.map(fileView),
      }),
    find: async (at, id) => fileView(await requireFile(deps.db, at, id)),
    create: {
      body: fileCreate,
      write: (trx, auth, params, body) =>
        addDeliverableFile(trx, actorOf(auth), deps.storage, variantKey(params), { key: body.key, ...fileInput(body) }),
    },
    change: {
      body: fileSettings,
      write: (trx, auth, params, body, semantics) =>
        updateDeliverableFile(trx, actorOf(auth), params.variant, params.file, fileInput(body), semantics),
    },
    remove: async (trx, auth, params) => fileView(await removeDeliverableFile(trx, actorOf(auth), params.variant, params.file)),
  });
  registerCollectionRoutes(router, deps, {
    ...inVariant,
    path: `${base}/folders`,
    member: 'folder',
    memberId: (params) => params.folder,
    memberParams: folderParams,
    item: folderModel,
    summaries: {
      list: 'List the deliverable’s folders',
      create: 'Create a folder for the deliverable’s files',
      retrieve: 'Retrieve a deliverable folder',
      replace: 'Replace a folder’s settings (what is not sent is reset)',
      update: 'Update a folder’s settings',
      delete: 'Delete a folder (its files and sub-folders move to the top level)',
    },
    list: (at, page) =>
      pagedSearch({
        from: variantFolders(deps.db, at),
        rows: (q) => q.selectAll(),
        order: [
          ['sort_order', 'asc'],
          ['id', 'asc'],
        ],
        ...page,
        view: (rows) => rows.map(folderView),
      }),
    find: async (at, id) => folderView(await requireFolder(deps.db, at, id)),
    create: {
      body: folderCreate,
      write: (trx, auth, params, body) =>
        createDeliverableFolder(trx, actorOf(auth), params.variant, { ...folderInput(body), name: body.name }),
    },
    change: {
      body: folderUpdate,
      write: (trx, auth, params, body, semantics) =>
        updateDeliverableFolder(trx, actorOf(auth), params.variant, params.folder, folderInput(body), semantics),
    },
    remove: async (trx, auth, params) => folderView(await removeDeliverableFolder(trx, actorOf(auth), params.variant, params.folder)),
  });
}
