import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { type ParsingMode, parseSerials, SerialParsingError } from '../domain/serials';
import type { CatalogActor } from './actor';
import { CatalogConflictError, CatalogNotFoundError, CatalogRuleError } from './errors';
import { appendSerials, availableCount, knownSerials, replaceAvailableSerials } from './serial-stock';
import { syncSoldOut } from './variants';

/**
 * The seller's side of serial stock (the spec's variant-serials resource). Stock is sold
 * exactly once: an order's delivery claims serials (serial-stock.ts claimSerials, which marks
 * them SOLD under a row lock); these writes only ever touch AVAILABLE rows, so a serial an
 * order has claimed is never replaced, deleted or handed out again.
 */

/**
 * The variant, with its stock writes serialised by an advisory lock: not a lock on the variant
 * row, which an order's claim takes after its serial rows (syncSoldOut) — taking them in the
 * other order here would deadlock a replace against a claim.
 */
async function lockTextVariant(trx: DbExecutor, actor: CatalogActor, variantId: number) {
  await sql`select pg_advisory_xact_lock(hashtext('variant-serial-stock'), ${variantId})`.execute(trx);
  const variant = await trx
    .selectFrom('product_variants')
    .select(['id', 'deliverable_types'])
    .where('id', '=', variantId)
    .where('store_id', '=', actor.storeId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!variant) throw new CatalogNotFoundError('Product variant');
  if (!variant.deliverable_types.includes('TEXT'))
    throw new CatalogRuleError('invalid_field', 'This variant does not deliver serials (TEXT)', 'serials');
  return variant;
}

function parse(
  input: string | readonly string[],
  options: { mode: ParsingMode; delimiter?: string; removeDuplicates: boolean; existing?: ReadonlySet<string> },
  param: string,
) {
  try {
    return parseSerials(input, options);
  } catch (error) {
    if (error instanceof SerialParsingError) throw new CatalogRuleError('invalid_field', error.message, param);
    throw error;
  }
}

export interface SerialWrite {
  /** One text to split, or a list (each item one serial). */
  serials: string | readonly string[];
  mode?: ParsingMode;
  delimiter?: string;
  /** Drop repeats inside the payload and values this variant has already sold (the spec's default). */
  removeDuplicates: boolean;
  /** replace: the payload becomes the unsold stock; append: it is added to it. */
  semantics: 'replace' | 'append';
}

/** Writes serial stock; counts are of unsold serials before and after, and of values submitted. */
export async function writeSerialInventory(
  trx: DbExecutor,
  actor: CatalogActor,
  variantId: number,
  input: SerialWrite,
): Promise<{ previousCount: number; currentCount: number; submittedCount: number; duplicatesRemoved: number }> {
  await lockTextVariant(trx, actor, variantId);
  const previousCount = await availableCount(trx, variantId);
  const mode = input.mode ?? 'NEW_LINE';
  const existing = !input.removeDuplicates
    ? undefined
    : input.semantics === 'replace'
      ? await knownSerials(trx, variantId, 'SOLD')
      : await knownSerials(trx, variantId);
  const parsed = parse(input.serials, { mode, delimiter: input.delimiter, removeDuplicates: input.removeDuplicates, existing }, 'serials');
  const write = { storeId: actor.storeId, variantId, serials: parsed.serials };
  if (input.semantics === 'replace') await replaceAvailableSerials(trx, write);
  else await appendSerials(trx, write);
  await syncSoldOut(trx, actor, variantId);
  return {
    previousCount,
    currentCount: await availableCount(trx, variantId),
    submittedCount: parsed.serials.length + parsed.duplicatesRemoved,
    duplicatesRemoved: parsed.duplicatesRemoved,
  };
}

/** Removes one unsold serial; a sold one stays as its order's record (409). */
export async function deleteUnsoldSerial(trx: DbExecutor, actor: CatalogActor, variantId: number, serialId: number) {
  await lockTextVariant(trx, actor, variantId);
  const removed = await trx
    .deleteFrom('variant_serials')
    .where('id', '=', String(serialId))
    .where('variant_id', '=', variantId)
    .where('store_id', '=', actor.storeId)
    .where('status', '=', 'AVAILABLE')
    .returning(['id', 'value', 'created_at'])
    .executeTakeFirst();
  if (!removed) {
    const sold = await trx
      .selectFrom('variant_serials')
      .select('id')
      .where('id', '=', String(serialId))
      .where('variant_id', '=', variantId)
      .where('store_id', '=', actor.storeId)
      .executeTakeFirst();
    if (sold) throw new CatalogConflictError('serial_sold', 'This serial has been sold: it stays as the order’s record', 'serial');
    throw new CatalogNotFoundError('Serial');
  }
  await syncSoldOut(trx, actor, variantId);
  return { id: Number(removed.id), value: removed.value, createdAt: removed.created_at };
}
