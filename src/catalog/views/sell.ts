import { inIdOrder } from '../../db/in-id-order';
import type { DbExecutor } from '../../db/schema';
import { isoTime } from './timestamps';

/** Sell publishing API JSON: camelCase, opaque ids, cents as integers. */

export async function sellProductViews(db: DbExecutor, productIds: number[]) {
  if (productIds.length === 0) return [];
  const products = await db.selectFrom('products').selectAll().where('id', 'in', productIds).execute();
  const variants = await db
    .selectFrom('product_variants')
    .select(['product_id', 'price_cents', 'currency'])
    .where('product_id', 'in', productIds)
    .where('deleted_at', 'is', null)
    .orderBy('order')
    .orderBy('id')
    .execute();
  const current = await db
    .selectFrom('releases')
    .select(['product_id', 'public_id', 'version'])
    .where('product_id', 'in', productIds)
    .where('is_current', '=', true)
    .execute();
  return inIdOrder(productIds, products).map((p) => {
    const variant = variants.find((v) => v.product_id === p.id);
    const release = current.find((r) => r.product_id === p.id);
    return {
      id: p.public_id,
      externalId: p.external_id,
      name: p.title,
      description: p.description,
      slug: p.slug,
      priceCents: variant?.price_cents ?? 0,
      currency: variant?.currency ?? 'USD',
      productType: p.product_type ?? 'DIGITAL_DOWNLOAD',
      billingInterval: p.billing_interval,
      status: p.status,
      livemode: p.livemode,
      currentRelease: release ? { id: release.public_id, version: release.version } : null,
      publishedAt: isoTime(p.published_at),
      archivedAt: isoTime(p.deleted_at),
      createdAt: isoTime(p.created_at),
      updatedAt: isoTime(p.updated_at),
    };
  });
}

export async function releaseViews(db: DbExecutor, releaseIds: number[]) {
  if (releaseIds.length === 0) return [];
  const releases = await db.selectFrom('releases').selectAll().where('id', 'in', releaseIds).execute();
  const files = await db.selectFrom('release_files').selectAll().where('release_id', 'in', releaseIds).orderBy('id').execute();
  return inIdOrder(releaseIds, releases).map((r) => ({
    id: r.public_id,
    externalId: r.external_id,
    version: r.version,
    isCurrent: r.is_current,
    publishRequested: r.publish_requested,
    publishedAt: isoTime(r.published_at),
    files: files.filter((f) => f.release_id === r.id).map(fileView),
    createdAt: isoTime(r.created_at),
    updatedAt: isoTime(r.updated_at),
  }));
}

export function fileView(f: {
  public_id: string;
  storage_key: string;
  file_name: string;
  file_size: number;
  mime_type: string;
  created_at: Date;
}) {
  return {
    id: f.public_id,
    storageKey: f.storage_key,
    fileName: f.file_name,
    fileSize: Number(f.file_size),
    mimeType: f.mime_type,
    createdAt: isoTime(f.created_at),
  };
}
