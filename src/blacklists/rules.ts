import type { Selectable } from 'kysely';
import { CatalogNotFoundError, CatalogRuleError } from '../catalog/errors';
import type { DbExecutor } from '../db/schema';
import type { BlacklistsTable } from '../db/schema/checkout-rules';
import { type BlacklistType, normaliseRule } from '../domain/blacklist';

/** A seller's rule as written: its type, what it matches, and why it is there. */
export interface BlacklistRuleInput {
  type: BlacklistType;
  data: string;
  description: string;
}

/** A rule's data in the one form screening compares (a lower-case e-mail, a CIDR range…). */
function canonical(type: BlacklistType, data: string): string {
  const result = normaliseRule(type, data);
  if ('problem' in result) throw new CatalogRuleError('invalid_field', `A ${type} rule needs ${result.problem}`, 'data');
  return result.data;
}

/** A store's blacklist rules; nothing selected yet. */
export function storeBlacklists(db: DbExecutor, storeId: number) {
  return db.selectFrom('blacklists').where('store_id', '=', storeId);
}

/** The checkouts a store's rules refused; nothing selected yet. */
export function storeBlockedCheckouts(db: DbExecutor, storeId: number) {
  return db.selectFrom('blocked_checkouts').where('store_id', '=', storeId);
}

export async function requireBlacklistRule(db: DbExecutor, storeId: number, id: number): Promise<Selectable<BlacklistsTable>> {
  const row = await storeBlacklists(db, storeId).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Blacklist');
  return row;
}

export function addBlacklistRule(db: DbExecutor, storeId: number, rule: BlacklistRuleInput) {
  return db
    .insertInto('blacklists')
    .values({ store_id: storeId, type: rule.type, data: canonical(rule.type, rule.data), description: rule.description })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Changes the fields given; a new type re-reads the data (old or new) by that type's rules. */
export async function changeBlacklistRule(db: DbExecutor, storeId: number, id: number, change: Partial<BlacklistRuleInput>) {
  const current = await requireBlacklistRule(db, storeId, id);
  const type = change.type ?? current.type;
  return db
    .updateTable('blacklists')
    .set({
      type,
      data: canonical(type, change.data ?? current.data),
      description: change.description ?? current.description,
      updated_at: new Date(),
    })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Permanent; the refusals it caused stay recorded. Returns the rule as it was. */
export async function deleteBlacklistRule(db: DbExecutor, storeId: number, id: number) {
  const current = await requireBlacklistRule(db, storeId, id);
  await db.deleteFrom('blacklists').where('id', '=', current.id).execute();
  return current;
}
