import type { Selectable } from 'kysely';
import type { DbExecutor, VariantDeliverableConfig } from '../db/schema';
import type { VariantDeliverableFilesTable, VariantDeliverableFoldersTable } from '../db/schema/catalog';
import { isInNamespace, type ObjectStorage } from '../storage/object-storage';
import type { CatalogActor } from './actor';
import { CatalogConflictError, CatalogNotFoundError, CatalogRuleError } from './errors';
import { laravelTime } from './views/timestamps';

/**
 * A variant's downloadable deliverable as the spec manages it (variant-deliverable files and
 * folders). A file is an object the store uploaded (POST /api/v1/uploads, under its own
 * namespace), given a display name and a folder; delivery reads the variant's
 * `deliverable.files`, which every change here rewrites from these rows, so what a buyer is
 * handed is always this store's uploads and nothing else.
 */

type FileRow = Selectable<VariantDeliverableFilesTable>;
type FolderRow = Selectable<VariantDeliverableFoldersTable>;
type Target = { storeId: number; variantId: number };

/** Storage keys the store uploaded (in its own namespace, bytes present), as deliverable files. */
export async function resolveUploadedFiles(
  db: DbExecutor,
  actor: CatalogActor,
  storage: ObjectStorage | undefined,
  keys: string[],
  param: string,
): Promise<NonNullable<VariantDeliverableConfig['files']>> {
  if (!storage) throw new Error('Resolving deliverable files needs the object storage');
  const files: NonNullable<VariantDeliverableConfig['files']> = [];
  for (const key of keys) {
    if (!isInNamespace(key, actor.storeId)) {
      throw new CatalogRuleError('storage_key_outside_namespace', `Files must be uploaded under sellers/${actor.storeId}/api/`, param);
    }
    const upload = await db
      .selectFrom('uploads')
      .selectAll()
      .where('storage_key', '=', key)
      .where('store_id', '=', actor.storeId)
      .executeTakeFirst();
    const size = upload ? await storage.objectSize(key) : null;
    if (!upload || size === null) throw new CatalogRuleError('file_not_uploaded', `Nothing has been uploaded to ${key}`, param);
    files.push({ storage_key: key, file_name: upload.file_name, file_size: size, mime_type: upload.content_type });
  }
  return files;
}

/** A variant's files, nothing selected yet (for paged lists). */
export function variantFiles(db: DbExecutor, target: Target) {
  return db.selectFrom('variant_deliverable_files').where('store_id', '=', target.storeId).where('variant_id', '=', target.variantId);
}

/** A variant's folders, nothing selected yet (for paged lists). */
export function variantFolders(db: DbExecutor, target: Target) {
  return db.selectFrom('variant_deliverable_folders').where('store_id', '=', target.storeId).where('variant_id', '=', target.variantId);
}

export async function requireFile(db: DbExecutor, target: Target, fileId: number): Promise<FileRow> {
  const row = await variantFiles(db, target).selectAll().where('id', '=', fileId).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Deliverable file');
  return row;
}

export async function requireFolder(db: DbExecutor, target: Target, folderId: number): Promise<FolderRow> {
  const row = await variantFolders(db, target).selectAll().where('id', '=', folderId).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Deliverable folder');
  return row;
}

/** A folder named by a write must be one of this variant's (never another variant's or store's). */
async function checkFolder(db: DbExecutor, target: Target, folderId: number | null | undefined, param: string): Promise<void> {
  if (folderId === null || folderId === undefined) return;
  const found = await db
    .selectFrom('variant_deliverable_folders')
    .select('id')
    .where('id', '=', folderId)
    .where('store_id', '=', target.storeId)
    .where('variant_id', '=', target.variantId)
    .executeTakeFirst();
  if (!found) throw new CatalogRuleError('invalid_field', `No folder ${folderId} in this variant's deliverable`, param);
}

export function fileView(row: FileRow) {
  const dot = row.file_name.lastIndexOf('.');
  return {
    id: row.id,
    custom_name: row.custom_name,
    filename: row.file_name,
    extension: dot > 0 ? row.file_name.slice(dot + 1).toLowerCase() : '',
    mime_type: row.mime_type,
    size: Number(row.size),
    // Not offered by Sellflow: files are handed over as uploaded, as often as the link allows.
    watermark: false,
    max_downloads: null,
    limit_to_purchase_ip: false,
    folder_id: row.folder_id,
    variant_id: row.variant_id,
    product_id: row.product_id,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
  };
}

export function folderView(row: FolderRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    parent_id: row.parent_id,
    variant_id: row.variant_id,
    sort_order: row.sort_order,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
  };
}

/** Rewrites the variant's `deliverable.files` (what delivery hands over) from its file rows. */
async function projectFiles(trx: DbExecutor, variantId: number): Promise<void> {
  const rows = await trx.selectFrom('variant_deliverable_files').selectAll().where('variant_id', '=', variantId).orderBy('id').execute();
  const variant = await trx.selectFrom('product_variants').select('deliverable').where('id', '=', variantId).executeTakeFirstOrThrow();
  const deliverable: VariantDeliverableConfig = {
    ...variant.deliverable,
    files: rows.map((r) => ({
      storage_key: r.storage_key,
      file_name: r.custom_name ?? r.file_name,
      file_size: Number(r.size),
      mime_type: r.mime_type,
    })),
  };
  await trx
    .updateTable('product_variants')
    .set({ deliverable: JSON.stringify(deliverable), updated_at: new Date() })
    .where('id', '=', variantId)
    .execute();
}

/**
 * A variant written with `deliverable.data.files` (storage keys) holds exactly those files:
 * rows for other keys go, rows for kept keys keep their name and folder.
 */
export async function syncFileRows(
  trx: DbExecutor,
  variant: { storeId: number; variantId: number; productId: number },
  files: NonNullable<VariantDeliverableConfig['files']>,
): Promise<void> {
  const keys = files.map((f) => f.storage_key);
  let leaving = trx.deleteFrom('variant_deliverable_files').where('variant_id', '=', variant.variantId);
  if (keys.length > 0) leaving = leaving.where('storage_key', 'not in', keys);
  await leaving.execute();
  for (const file of files) {
    await trx
      .insertInto('variant_deliverable_files')
      .values({
        store_id: variant.storeId,
        variant_id: variant.variantId,
        product_id: variant.productId,
        storage_key: file.storage_key,
        file_name: file.file_name,
        mime_type: file.mime_type,
        size: file.file_size,
        custom_name: null,
        folder_id: null,
      })
      .onConflict((oc) => oc.columns(['variant_id', 'storage_key']).doNothing())
      .execute();
  }
  await projectFiles(trx, variant.variantId);
}

export interface FileSettings {
  customName?: string | null;
  folderId?: number | null;
}

/** Adds an uploaded object of the store to the variant's files (a key added twice is a 409). */
export async function addDeliverableFile(
  trx: DbExecutor,
  actor: CatalogActor,
  storage: ObjectStorage,
  target: { productId: number; variantId: number },
  input: FileSettings & { key: string },
): Promise<number> {
  const at = { storeId: actor.storeId, variantId: target.variantId };
  await checkFolder(trx, at, input.folderId, 'folder_id');
  const [file] = await resolveUploadedFiles(trx, actor, storage, [input.key], 'key');
  const row = await trx
    .insertInto('variant_deliverable_files')
    .values({
      store_id: actor.storeId,
      variant_id: target.variantId,
      product_id: target.productId,
      storage_key: file!.storage_key,
      file_name: file!.file_name,
      mime_type: file!.mime_type,
      size: file!.file_size,
      custom_name: input.customName ?? null,
      folder_id: input.folderId ?? null,
    })
    .onConflict((oc) => oc.columns(['variant_id', 'storage_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) throw new CatalogConflictError('duplicate_file', 'This upload is already one of the variant’s files', 'key');
  await projectFiles(trx, target.variantId);
  return row.id;
}

/** `replace` resets what is not sent (no custom name, no folder); `update` keeps it. */
export async function updateDeliverableFile(
  trx: DbExecutor,
  actor: CatalogActor,
  variantId: number,
  fileId: number,
  input: FileSettings,
  semantics: 'replace' | 'update',
): Promise<void> {
  const at = { storeId: actor.storeId, variantId };
  await requireFile(trx, at, fileId);
  await checkFolder(trx, at, input.folderId, 'folder_id');
  const replace = semantics === 'replace';
  await trx
    .updateTable('variant_deliverable_files')
    .set({
      ...(input.customName !== undefined || replace ? { custom_name: input.customName ?? null } : {}),
      ...(input.folderId !== undefined || replace ? { folder_id: input.folderId ?? null } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', fileId)
    .execute();
  await projectFiles(trx, variantId);
}

/** Removes a file; a DOWNLOADABLE variant keeps at least one (or its current release). */
export async function removeDeliverableFile(trx: DbExecutor, actor: CatalogActor, variantId: number, fileId: number): Promise<FileRow> {
  const at = { storeId: actor.storeId, variantId };
  const row = await requireFile(trx, at, fileId);
  const variant = await trx
    .selectFrom('product_variants')
    .select(['deliverable', 'deliverable_types'])
    .where('id', '=', variantId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const { n } = await trx
    .selectFrom('variant_deliverable_files')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('variant_id', '=', variantId)
    .executeTakeFirstOrThrow();
  if (variant.deliverable_types.includes('DOWNLOADABLE') && !variant.deliverable.current_release && Number(n) <= 1) {
    throw new CatalogConflictError('last_file', 'A DOWNLOADABLE variant needs at least one file: add another first', 'file');
  }
  await trx.deleteFrom('variant_deliverable_files').where('id', '=', fileId).execute();
  await projectFiles(trx, variantId);
  return row;
}

export interface FolderInput {
  name?: string;
  description?: string | null;
  parentId?: number | null;
  sortOrder?: number;
}

/** A folder's parent is a folder of the same variant and never the folder itself or one inside it. */
async function checkParent(trx: DbExecutor, at: Target, folderId: number | undefined, parentId: number | null | undefined) {
  if (parentId === null || parentId === undefined) return;
  await checkFolder(trx, at, parentId, 'parent_id');
  for (let current: number | null = parentId, hops = 0; current !== null && hops < 1000; hops += 1) {
    if (current === folderId) throw new CatalogRuleError('invalid_field', 'A folder cannot sit inside itself', 'parent_id');
    const up: { parent_id: number | null } | undefined = await trx
      .selectFrom('variant_deliverable_folders')
      .select('parent_id')
      .where('id', '=', current)
      .executeTakeFirst();
    current = up?.parent_id ?? null;
  }
}

export async function createDeliverableFolder(
  trx: DbExecutor,
  actor: CatalogActor,
  variantId: number,
  input: FolderInput & { name: string },
) {
  const at = { storeId: actor.storeId, variantId };
  await checkParent(trx, at, undefined, input.parentId);
  const row = await trx
    .insertInto('variant_deliverable_folders')
    .values({
      store_id: actor.storeId,
      variant_id: variantId,
      name: input.name,
      description: input.description ?? null,
      parent_id: input.parentId ?? null,
      sort_order: input.sortOrder ?? 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** `replace` resets what is not sent (no description, at the top, first); `update` keeps it. */
export async function updateDeliverableFolder(
  trx: DbExecutor,
  actor: CatalogActor,
  variantId: number,
  folderId: number,
  input: FolderInput,
  semantics: 'replace' | 'update',
): Promise<void> {
  const at = { storeId: actor.storeId, variantId };
  await requireFolder(trx, at, folderId);
  await checkParent(trx, at, folderId, input.parentId);
  const replace = semantics === 'replace';
  await trx
    .updateTable('variant_deliverable_folders')
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined || replace ? { description: input.description ?? null } : {}),
      ...(input.parentId !== undefined || replace ? { parent_id: input.parentId ?? null } : {}),
      ...(input.sortOrder !== undefined || replace ? { sort_order: input.sortOrder ?? 0 } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', folderId)
    .execute();
}

/** Deletes a folder; its files and sub-folders move to the top level (nothing is lost). */
export async function removeDeliverableFolder(
  trx: DbExecutor,
  actor: CatalogActor,
  variantId: number,
  folderId: number,
): Promise<FolderRow> {
  const row = await requireFolder(trx, { storeId: actor.storeId, variantId }, folderId);
  await trx.deleteFrom('variant_deliverable_folders').where('id', '=', folderId).execute();
  return row;
}
