import type { DbExecutor } from '../db/schema';
import { looksLikePublicId } from '../domain/public-id';
import { newPublicId } from './new-public-id';
import { recordEvent } from '../events/record';
import { isInNamespace, type ObjectStorage } from '../storage/object-storage';
import type { CatalogActor } from './actor';
import { CatalogNotFoundError, CatalogRuleError } from './errors';
import { assertTestModeMayChange, type SellProductRow } from './sell-products';

export type ReleaseRow = NonNullable<Awaited<ReturnType<typeof findRelease>>>;

export async function findRelease(db: DbExecutor, productId: number, ref: string) {
  const base = db.selectFrom('releases').selectAll().where('product_id', '=', productId);
  if (looksLikePublicId(ref)) {
    const byId = await base.where('public_id', '=', ref).executeTakeFirst();
    if (byId) return byId;
  }
  return base.where('external_id', '=', ref).executeTakeFirst();
}

export async function requireRelease(db: DbExecutor, productId: number, ref: string) {
  const release = await findRelease(db, productId, ref);
  if (!release) throw new CatalogNotFoundError('Release');
  return release;
}

/** A product's release ids, oldest first. */
export async function releaseIdsOf(db: DbExecutor, productId: number): Promise<number[]> {
  const rows = await db.selectFrom('releases').select('id').where('product_id', '=', productId).orderBy('id').execute();
  return rows.map((r) => r.id);
}

/** A release's files, in the order they were registered. */
export function releaseFiles(db: DbExecutor, releaseId: number) {
  return db.selectFrom('release_files').selectAll().where('release_id', '=', releaseId).orderBy('id').execute();
}

export function getReleaseFile(db: DbExecutor, id: number) {
  return db.selectFrom('release_files').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function fileCount(db: DbExecutor, releaseId: number): Promise<number> {
  const row = await db
    .selectFrom('release_files')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('release_id', '=', releaseId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Makes a release the product's current one: stamps publishedAt the first time, demotes
 * the previous current release in the same transaction (a partial unique index allows one
 * current release per product), and records release.published.
 */
export async function promoteRelease(trx: DbExecutor, actor: CatalogActor, product: SellProductRow, release: ReleaseRow): Promise<void> {
  if ((await fileCount(trx, release.id)) === 0) {
    throw new CatalogRuleError('release_has_no_files', 'Register at least one file before publishing this release', 'files');
  }
  // Lock the product row so two promotions of the same product run one after the other.
  await trx.selectFrom('products').select('id').where('id', '=', product.id).forUpdate().executeTakeFirst();
  await trx
    .updateTable('releases')
    .set({ is_current: false, updated_at: new Date() })
    .where('product_id', '=', product.id)
    .where('is_current', '=', true)
    .where('id', '!=', release.id)
    .execute();
  const now = new Date();
  await trx
    .updateTable('releases')
    .set({ is_current: true, publish_requested: false, published_at: release.published_at ?? now, updated_at: now })
    .where('id', '=', release.id)
    .execute();
  await recordEvent(trx, {
    storeId: actor.storeId,
    livemode: actor.livemode,
    type: 'release.published',
    data: { releaseId: release.public_id, productId: product.public_id, version: release.version, externalId: release.external_id },
  });
}

export interface ReleaseInput {
  externalId?: string | null;
  version?: string;
  publish?: boolean;
  markCurrent?: boolean;
}

/** Create or update by externalId (per product). `publish` promotes once a file is there. */
export async function upsertRelease(
  trx: DbExecutor,
  actor: CatalogActor,
  product: SellProductRow,
  input: ReleaseInput,
): Promise<{ id: number; created: boolean }> {
  assertTestModeMayChange(actor, product);
  let release = input.externalId
    ? await trx
        .selectFrom('releases')
        .selectAll()
        .where('product_id', '=', product.id)
        .where('external_id', '=', input.externalId)
        .executeTakeFirst()
    : undefined;
  const created = !release;
  if (release) {
    if (input.version !== undefined && input.version !== release.version) {
      await trx.updateTable('releases').set({ version: input.version, updated_at: new Date() }).where('id', '=', release.id).execute();
    }
  } else {
    if (!input.version) throw new CatalogRuleError('missing_field', 'version is required to create a release', 'version');
    const id = (
      await trx
        .insertInto('releases')
        .values({
          public_id: newPublicId(),
          store_id: actor.storeId,
          product_id: product.id,
          external_id: input.externalId ?? null,
          version: input.version,
          published_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    release = await trx.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }
  const hasFiles = (await fileCount(trx, release.id)) > 0;
  if (input.markCurrent || (input.publish && hasFiles)) {
    await promoteRelease(trx, actor, product, release);
  } else if (input.publish) {
    await trx.updateTable('releases').set({ publish_requested: true }).where('id', '=', release.id).execute();
  }
  return { id: release.id, created };
}

export interface FileRegistration {
  storageKey: string;
  fileName: string;
  fileSize: number;
  mimeType: string;
}

/**
 * Registers an uploaded object against a release. The key must sit in the store's
 * namespace and the object must really be there with the declared size. A release
 * created with `publish: true` is promoted by its first file.
 */
export async function registerReleaseFile(
  trx: DbExecutor,
  actor: CatalogActor,
  storage: ObjectStorage,
  product: SellProductRow,
  release: ReleaseRow,
  file: FileRegistration,
): Promise<{ id: number; created: boolean }> {
  assertTestModeMayChange(actor, product);
  if (!isInNamespace(file.storageKey, actor.storeId)) {
    throw new CatalogRuleError('storage_key_outside_namespace', `storageKey must live under sellers/${actor.storeId}/api/`, 'storageKey');
  }
  const size = await storage.objectSize(file.storageKey);
  if (size === null) throw new CatalogRuleError('file_not_uploaded', `Nothing has been uploaded to ${file.storageKey}`, 'storageKey');
  if (size !== file.fileSize)
    throw new CatalogRuleError('file_size_mismatch', `The uploaded object is ${size} bytes, not ${file.fileSize}`, 'fileSize');
  const existing = await trx
    .selectFrom('release_files')
    .select('id')
    .where('release_id', '=', release.id)
    .where('storage_key', '=', file.storageKey)
    .executeTakeFirst();
  let id: number;
  if (existing) {
    await trx
      .updateTable('release_files')
      .set({ file_name: file.fileName, file_size: file.fileSize, mime_type: file.mimeType })
      .where('id', '=', existing.id)
      .execute();
    id = existing.id;
  } else {
    id = (
      await trx
        .insertInto('release_files')
        .values({
          public_id: newPublicId(),
          store_id: actor.storeId,
          release_id: release.id,
          storage_key: file.storageKey,
          file_name: file.fileName,
          file_size: file.fileSize,
          mime_type: file.mimeType,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  }
  if (release.publish_requested && !release.is_current) await promoteRelease(trx, actor, product, release);
  return { id, created: !existing };
}

/**
 * The files a DOWNLOADABLE variant hands over: its own uploads, or its product's current
 * release. Orders turn these into expiring signed links, never public paths.
 */
export async function downloadableFiles(
  db: DbExecutor,
  variant: { product_id: number; deliverable: { files?: { storage_key: string; file_name: string }[]; current_release?: boolean } },
) {
  if (!variant.deliverable.current_release)
    return (variant.deliverable.files ?? []).map((f) => ({ storageKey: f.storage_key, fileName: f.file_name }));
  const rows = await db
    .selectFrom('release_files')
    .innerJoin('releases', 'releases.id', 'release_files.release_id')
    .select(['release_files.storage_key', 'release_files.file_name'])
    .where('releases.product_id', '=', variant.product_id)
    .where('releases.is_current', '=', true)
    .orderBy('release_files.id')
    .execute();
  return rows.map((r) => ({ storageKey: r.storage_key, fileName: r.file_name }));
}
