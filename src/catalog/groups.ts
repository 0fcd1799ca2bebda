import { sql, type Selectable } from 'kysely';
import type { DbExecutor } from '../db/schema';
import type { GroupsTable, SectionsTable } from '../db/schema/catalog';
import { slugify } from '../domain/slug';
import { CatalogNotFoundError, CatalogRuleError } from './errors';
import { otherSettingsV2 } from './views/sellapp';
import { laravelTime } from './views/timestamps';

/** Groups (storefront collections of products) and sections (collections of groups). */
export interface GroupInput {
  title?: string;
  unlisted?: boolean;
  order?: number | null;
  section_id?: number | null;
  section_order?: number | null;
}

export async function requireGroup(db: DbExecutor, storeId: number, id: number, lock = false) {
  let query = db.selectFrom('groups').selectAll().where('store_id', '=', storeId).where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Group');
  return row;
}

/** A store's sections; nothing selected yet. */
export function storeSections(db: DbExecutor, storeId: number) {
  return db.selectFrom('sections').where('store_id', '=', storeId);
}

export async function requireSection(db: DbExecutor, storeId: number, id: number) {
  const row = await storeSections(db, storeId).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Section');
  return row;
}

async function assertSection(db: DbExecutor, storeId: number, sectionId: number | null | undefined) {
  if (sectionId === null || sectionId === undefined) return;
  const found = await db.selectFrom('sections').select('id').where('store_id', '=', storeId).where('id', '=', sectionId).executeTakeFirst();
  if (!found) throw new CatalogRuleError('invalid_field', `No section ${sectionId} in this store`, 'section_id');
}

export async function writeGroup(db: DbExecutor, storeId: number, input: GroupInput, id?: number) {
  await assertSection(db, storeId, input.section_id);
  if (id === undefined) {
    return db
      .insertInto('groups')
      .values({
        store_id: storeId,
        title: input.title!,
        unlisted: input.unlisted!,
        order: input.order ?? null,
        image: null,
        section_id: input.section_id ?? null,
        section_order: input.section_order ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  await requireGroup(db, storeId, id, true);
  return db
    .updateTable('groups')
    .set({
      ...(input.title !== undefined && { title: input.title }),
      ...(input.unlisted !== undefined && { unlisted: input.unlisted }),
      ...(input.order !== undefined && { order: input.order }),
      ...(input.section_id !== undefined && { section_id: input.section_id }),
      ...(input.section_order !== undefined && { section_order: input.section_order }),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Adds products after the group's last one, in the order given; ones already in stay put. */
export async function attachProducts(db: DbExecutor, storeId: number, groupId: number, productIds: number[]): Promise<number[]> {
  await requireGroup(db, storeId, groupId, true);
  const unique = [...new Set(productIds)];
  const found = await db
    .selectFrom('products')
    .select('id')
    .where('store_id', '=', storeId)
    .where('id', 'in', unique)
    .where('deleted_at', 'is', null)
    .execute();
  const missing = unique.filter((id) => !found.some((f) => f.id === id));
  if (missing.length > 0) throw new CatalogRuleError('invalid_field', `No product ${missing.join(', ')} in this store`, 'resources');
  const { last } = await db
    .selectFrom('group_products')
    .select((eb) => eb.fn.max('order').as('last'))
    .where('group_id', '=', groupId)
    .executeTakeFirstOrThrow();
  let order = Number(last ?? 0);
  for (const productId of unique) {
    order += 1;
    await db
      .insertInto('group_products')
      .values({ group_id: groupId, product_id: productId, order })
      .onConflict((oc) => oc.columns(['group_id', 'product_id']).doNothing())
      .execute();
  }
  return unique;
}

/**
 * The group holds exactly these products, in this order (the spec's PUT …/products): others
 * leave it. Every id must be a live, published product of this store, or nothing changes.
 */
export async function replaceGroupProducts(db: DbExecutor, storeId: number, groupId: number, productIds: number[]): Promise<void> {
  await requireGroup(db, storeId, groupId, true);
  if (new Set(productIds).size !== productIds.length)
    throw new CatalogRuleError('invalid_field', 'Product ids must not repeat', 'product_ids');
  if (productIds.length > 0) {
    const found = await db
      .selectFrom('products')
      .select('id')
      .where('store_id', '=', storeId)
      .where('id', 'in', productIds)
      .where('deleted_at', 'is', null)
      .where('status', '!=', 'DRAFT')
      .execute();
    const missing = productIds.filter((id) => !found.some((f) => f.id === id));
    if (missing.length > 0)
      throw new CatalogRuleError('invalid_field', `No published product ${missing.join(', ')} in this store`, 'product_ids');
  }
  let leaving = db.deleteFrom('group_products').where('group_id', '=', groupId);
  if (productIds.length > 0) leaving = leaving.where('product_id', 'not in', productIds);
  await leaving.execute();
  for (const [index, productId] of productIds.entries()) {
    await db
      .insertInto('group_products')
      .values({ group_id: groupId, product_id: productId, order: index + 1 })
      .onConflict((oc) => oc.columns(['group_id', 'product_id']).doUpdateSet({ order: index + 1 }))
      .execute();
  }
}

export async function detachProducts(db: DbExecutor, storeId: number, groupId: number, productIds: number[]): Promise<number[]> {
  await requireGroup(db, storeId, groupId, true);
  const removed = await db
    .deleteFrom('group_products')
    .where('group_id', '=', groupId)
    .where('product_id', 'in', [...new Set(productIds)])
    .returning('product_id')
    .execute();
  return removed.map((r) => r.product_id);
}

async function linkedProducts(db: DbExecutor, groupIds: number[]) {
  if (groupIds.length === 0) return [];
  return db
    .selectFrom('group_products as gp')
    .innerJoin('products as p', 'p.id', 'gp.product_id')
    .select(['gp.group_id', 'gp.order', 'p.id', 'p.title', 'p.description'])
    .where('gp.group_id', 'in', groupIds)
    .where('p.deleted_at', 'is', null)
    .orderBy('gp.order')
    .execute();
}

export async function groupViews(db: DbExecutor, rows: Selectable<GroupsTable>[]) {
  const products = await linkedProducts(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => {
    const own = products.filter((p) => p.group_id === row.id);
    return {
      id: row.id,
      title: row.title,
      // The official models want an integer: an unplaced group sorts first.
      order: row.order ?? 0,
      image: row.image,
      unlisted: row.unlisted,
      created_at: laravelTime(row.created_at),
      updated_at: laravelTime(row.updated_at),
      store_id: row.store_id,
      section_id: row.section_id,
      section_order: row.section_order,
      products_linked: own.length,
      // The official model types these ids as strings.
      products: own.map((p) => ({ id: String(p.id), title: p.title, description: p.description })),
    };
  });
}

/** The live products of a group, joined to their place in it (`gp`); nothing selected yet. */
export function groupProducts(db: DbExecutor, storeId: number, groupId: number) {
  return db
    .selectFrom('group_products as gp')
    .innerJoin('products as p', 'p.id', 'gp.product_id')
    .where('gp.group_id', '=', groupId)
    .where('p.store_id', '=', storeId)
    .where('p.deleted_at', 'is', null);
}

/** A product as listed in a group: its fields, its place (pivot) and its lowest price. */
export function groupProductColumns(query: ReturnType<typeof groupProducts>) {
  return query.select([
    'p.id',
    'p.title',
    'p.description',
    'p.slug',
    'p.images',
    'p.order as product_order',
    'p.visibility',
    'p.delivery_text',
    'p.additional_information',
    'p.other_settings',
    'p.deleted_at',
    'p.store_id',
    'p.section_id',
    'p.section_order',
    'p.is_discoverable',
    'p.created_at',
    'p.updated_at',
    'gp.order',
    'gp.group_id',
    sql<string | null>`(select min(v.price_cents)::text from product_variants v where v.product_id = p.id and v.deleted_at is null)`.as(
      'price',
    ),
    sql<
      string | null
    >`(select v.currency from product_variants v where v.product_id = p.id and v.deleted_at is null order by v.price_cents limit 1)`.as(
      'currency',
    ),
  ]);
}

/** The official "product within group" model: the product's fields, its place (pivot) and its lowest price. */
export function groupProductsQuery(db: DbExecutor, storeId: number, groupId: number) {
  return groupProductColumns(groupProducts(db, storeId, groupId));
}

export function groupProductView(row: Awaited<ReturnType<ReturnType<typeof groupProductsQuery>['execute']>>[number]) {
  return {
    id: row.id,
    title: row.title,
    slug: row.slug,
    description: row.description,
    images: row.images,
    order: row.product_order,
    visibility: row.visibility,
    delivery_text: row.delivery_text ?? '',
    // This model types the checkout fields as strings: each is its JSON.
    additional_information: (row.additional_information as unknown[]).map((field) => JSON.stringify(field)),
    other_settings: otherSettingsV2(row.other_settings),
    deleted_at: laravelTime(row.deleted_at),
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
    store_id: row.store_id,
    section_id: row.section_id,
    section_order: row.section_order,
    is_discoverable: row.is_discoverable,
    pivot: { group_id: row.group_id, listing_id: row.id, order: row.order },
    default_price: { price: row.price, currency: row.currency },
  };
}

export interface SectionInput {
  title?: string;
  hidden?: boolean;
  order?: number;
}

export async function writeSection(db: DbExecutor, storeId: number, input: SectionInput, id?: number) {
  if (id === undefined) {
    return db
      .insertInto('sections')
      .values({ store_id: storeId, title: input.title!, slug: slugify(input.title!), hidden: input.hidden!, order: input.order ?? 0 })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  await requireSection(db, storeId, id);
  return db
    .updateTable('sections')
    .set({
      ...(input.title !== undefined && { title: input.title, slug: slugify(input.title) }),
      ...(input.hidden !== undefined && { hidden: input.hidden }),
      ...(input.order !== undefined && { order: input.order }),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A store's groups; nothing selected yet. */
export function storeGroups(db: DbExecutor, storeId: number) {
  return db.selectFrom('groups').where('store_id', '=', storeId);
}

/** Permanent; the group's products stay in the catalog. */
export async function deleteGroup(db: DbExecutor, storeId: number, id: number): Promise<void> {
  await db.deleteFrom('groups').where('id', '=', id).where('store_id', '=', storeId).execute();
}

/** Permanent, as the seed documents; its groups and products stay, outside any section. */
export async function deleteSection(db: DbExecutor, storeId: number, id: number) {
  const row = await requireSection(db, storeId, id);
  await db.updateTable('products').set({ section_id: null }).where('section_id', '=', id).where('store_id', '=', storeId).execute();
  await db.deleteFrom('sections').where('id', '=', id).execute();
  return row;
}

export async function sectionViews(db: DbExecutor, rows: Selectable<SectionsTable>[]) {
  const ids = rows.map((r) => r.id);
  const groups = ids.length
    ? await db.selectFrom('groups').selectAll().where('section_id', 'in', ids).orderBy('section_order').orderBy('id').execute()
    : [];
  const groupProducts = await linkedProducts(
    db,
    groups.map((g) => g.id),
  );
  const products = ids.length
    ? await db
        .selectFrom('products')
        .select(['id', 'title', 'description', 'section_id'])
        .where('section_id', 'in', ids)
        .where('deleted_at', 'is', null)
        .orderBy('id')
        .execute()
    : [];
  return rows.map((row) => {
    const ownGroups = groups.filter((g) => g.section_id === row.id);
    const ownProducts = products.filter((p) => p.section_id === row.id);
    return {
      id: row.id,
      title: row.title,
      slug: row.slug,
      hidden: row.hidden,
      order: row.order,
      created_at: laravelTime(row.created_at),
      updated_at: laravelTime(row.updated_at),
      store_id: row.store_id,
      groups_linked: ownGroups.length,
      products_linked: ownProducts.length,
      groups: ownGroups.map((g) => ({
        id: g.id,
        title: g.title,
        group_products: groupProducts
          .filter((p) => p.group_id === g.id)
          .map((p) => ({ id: p.id, title: p.title, description: p.description })),
      })),
      products: ownProducts.map((p) => ({ id: p.id, title: p.title, description: p.description })),
    };
  });
}

/** The store's sections in the order given (each id's place in the list); every id must be the store's. */
export async function reorderSections(db: DbExecutor, storeId: number, ids: number[]) {
  const rows = [];
  for (const [order, id] of ids.entries()) {
    await requireSection(db, storeId, id);
    rows.push(
      await db.updateTable('sections').set({ order, updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),
    );
  }
  return rows;
}

/**
 * A section's products or groups become exactly the ones given, in that order; those it held
 * and no longer lists leave it. Every id must be the store's.
 */
export async function replaceSectionMembers(
  db: DbExecutor,
  storeId: number,
  sectionId: number,
  table: 'products' | 'groups',
  ids: number[],
) {
  const section = await requireSection(db, storeId, sectionId);
  const found = ids.length ? await db.selectFrom(table).select('id').where('store_id', '=', storeId).where('id', 'in', ids).execute() : [];
  const missing = ids.find((id) => !found.some((row) => row.id === id));
  if (missing !== undefined)
    throw new CatalogRuleError('invalid_field', `No ${table === 'products' ? 'product' : 'group'} ${missing} in this store`, 'resources');
  await db
    .updateTable(table)
    .set({ section_id: null, section_order: null })
    .where('store_id', '=', storeId)
    .where('section_id', '=', sectionId)
    .execute();
  for (const [order, id] of ids.entries())
    await db.updateTable(table).set({ section_id: sectionId, section_order: order }).where('id', '=', id).execute();
  return section;
}
