import { init } from '@paralleldrive/cuid2';
import { CatalogNotFoundError, CatalogRuleError } from '../catalog/errors';
import type { DbExecutor } from '../db/schema';
import type { CustomMethodModifier, CustomPaymentMethodsTable } from '../db/schema/custom-payments';
import { type CustomMethodType, MAX_CHECKOUT_STEPS, unknownRedirectVariables } from '../domain/custom-payment-method';
import { type Selectable, sql } from 'kysely';

/**
 * A store's custom payment methods (SellApp's /v2/payment-methods/custom): instruction-based
 * (text, up to three checkout steps, optional proof of payment) or redirect-based (the store's
 * own page, its URL filled with the invoice's variables at checkout). Payment is always
 * confirmed by the seller: the order waits in review until marked completed or voided.
 */

export type CustomPaymentMethod = Selectable<CustomPaymentMethodsTable>;

/** SellApp's ids for custom methods are 26 characters. */
const newMethodId = init({ length: 26 });

export interface CustomMethodInput {
  type?: CustomMethodType;
  name?: string;
  description?: string | null;
  instructions?: string | null;
  steps?: (string | null)[] | null;
  redirect_url?: string | null;
  skip_interstitial_page?: boolean;
  show_processing_status_page?: boolean;
  require_proof_of_payment?: boolean;
  enabled?: boolean;
  sort_order?: number;
  /** Omitted: kept; null or {}: cleared; an object replaces both values. */
  modifier?: { percentage?: number | string | null; fixed?: number | string | null } | null;
}

function decimal(value: number | string | null | undefined, limit: number, param: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || Math.abs(n) > limit || Math.round(n * 100) !== Math.round(n * 1e6) / 1e4)
    throw new CatalogRuleError('invalid_field', `${param} is a number from -${limit} to ${limit} with two decimals at most`, param);
  return n.toFixed(2);
}

function modifierOf(input: CustomMethodInput['modifier']): CustomMethodModifier | null {
  if (!input) return null;
  const percentage = decimal(input.percentage, 100, 'modifier.percentage');
  const fixed = decimal(input.fixed, 100_000, 'modifier.fixed');
  if (percentage === null && fixed === null) return null;
  // A discount and a fee at once would read two ways at checkout.
  if (percentage !== null && fixed !== null && Math.sign(Number(percentage)) * Math.sign(Number(fixed)) < 0)
    throw new CatalogRuleError('invalid_field', 'percentage and fixed must have the same sign', 'modifier');
  return { percentage, fixed };
}

function redirectUrlOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/\{[a-z_]+\}/g, 'x'));
  } catch {
    throw new CatalogRuleError('invalid_field', 'redirect_url is an absolute http(s) URL', 'redirect_url');
  }
  if (!/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password)
    throw new CatalogRuleError('invalid_field', 'redirect_url is an http(s) URL without credentials', 'redirect_url');
  const unknown = unknownRedirectVariables(url);
  if (unknown.length > 0)
    throw new CatalogRuleError(
      'invalid_field',
      `redirect_url names unknown variables: ${unknown.map((v) => `{${v}}`).join(', ')}; use {id}, {invoice_id}, {customer_email}, {currency}, {price}, {price_usd}, {product_name}, {quantity}`,
      'redirect_url',
    );
  return url;
}

/** The method as saved: the input over what exists, checked against the type's rules. */
function resolve(existing: CustomPaymentMethod | null, input: CustomMethodInput) {
  const type = input.type ?? existing?.type;
  const name = (input.name ?? existing?.name ?? '').trim();
  if (!type) throw new CatalogRuleError('missing_field', 'type is instructions or redirect', 'type');
  if (!name) throw new CatalogRuleError('missing_field', 'A custom payment method needs a name', 'name');
  const blank = (s: string | null | undefined) => !s || s.trim() === '';
  let instructions = input.instructions === undefined ? (existing?.instructions ?? null) : input.instructions;
  let steps = input.steps === undefined ? (existing?.steps ?? []) : (input.steps ?? []).filter((s): s is string => !blank(s));
  let redirectUrl = input.redirect_url === undefined ? (existing?.redirect_url ?? null) : input.redirect_url;
  if (steps.length > MAX_CHECKOUT_STEPS)
    throw new CatalogRuleError('invalid_field', `At most ${MAX_CHECKOUT_STEPS} checkout steps`, 'steps');
  if (type === 'instructions') {
    if (blank(instructions) && steps.length === 0)
      throw new CatalogRuleError('missing_field', 'An instruction-based method needs instructions or at least one step', 'instructions');
    redirectUrl = null;
  } else {
    if (blank(redirectUrl)) throw new CatalogRuleError('missing_field', 'A redirect-based method needs redirect_url', 'redirect_url');
    redirectUrl = redirectUrlOf(redirectUrl!);
    // Switching to redirect clears what only instructions show.
    instructions = null;
    steps = [];
  }
  return {
    type,
    name,
    description: input.description === undefined ? (existing?.description ?? null) : input.description,
    instructions,
    steps: JSON.stringify(steps),
    redirect_url: redirectUrl,
    skip_interstitial_page: input.skip_interstitial_page ?? existing?.skip_interstitial_page ?? false,
    show_processing_status_page: input.show_processing_status_page ?? existing?.show_processing_status_page ?? false,
    require_proof_of_payment: type === 'instructions' && (input.require_proof_of_payment ?? existing?.require_proof_of_payment ?? false),
    enabled: input.enabled ?? existing?.enabled ?? true,
    sort_order: input.sort_order ?? existing?.sort_order ?? 0,
    modifier: JSON.stringify(input.modifier === undefined ? (existing?.modifier ?? null) : modifierOf(input.modifier)),
  };
}

/** The store's methods, in checkout order. */
export function storeCustomMethods(db: DbExecutor, storeId: number) {
  return db
    .selectFrom('custom_payment_methods')
    .selectAll()
    .where('store_id', '=', storeId)
    .where('deleted_at', 'is', null)
    .orderBy('sort_order')
    .orderBy('created_at')
    .execute();
}

export async function findCustomMethod(db: DbExecutor, storeId: number, id: string): Promise<CustomPaymentMethod> {
  const row = await db
    .selectFrom('custom_payment_methods')
    .selectAll()
    .where('store_id', '=', storeId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Custom payment method');
  return row;
}

export async function createCustomMethod(db: DbExecutor, storeId: number, input: CustomMethodInput): Promise<CustomPaymentMethod> {
  const values = resolve(null, input);
  return db
    .insertInto('custom_payment_methods')
    .values({ id: newMethodId(), store_id: storeId, ...values, deleted_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** PUT replaces (what it omits goes back to the defaults), PATCH changes only what it names. */
export async function updateCustomMethod(
  db: DbExecutor,
  storeId: number,
  id: string,
  input: CustomMethodInput,
  mode: 'replace' | 'update',
): Promise<CustomPaymentMethod> {
  const existing = await findCustomMethod(db, storeId, id);
  const base =
    mode === 'replace'
      ? {
          ...existing,
          description: null,
          instructions: null,
          steps: [],
          redirect_url: null,
          modifier: null,
          sort_order: 0,
          skip_interstitial_page: false,
          show_processing_status_page: false,
          require_proof_of_payment: false,
          enabled: true,
        }
      : existing;
  const values = resolve(base, input);
  return db
    .updateTable('custom_payment_methods')
    .set({ ...values, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Soft delete: invoices keep naming it; variants stop offering it. */
export async function deleteCustomMethod(db: DbExecutor, storeId: number, id: string): Promise<CustomPaymentMethod> {
  const existing = await findCustomMethod(db, storeId, id);
  const now = new Date();
  await db.updateTable('custom_payment_methods').set({ deleted_at: now, updated_at: now }).where('id', '=', id).execute();
  await db
    .updateTable('product_variants')
    .set({ custom_payment_method_ids: sql<string[]>`array_remove(custom_payment_method_ids, ${id}::text)` })
    .where('store_id', '=', storeId)
    .where(sql<boolean>`${id}::text = any(custom_payment_method_ids)`)
    .execute();
  return existing;
}

/** Which of the ids are not the store's live methods (a variant may only offer its own). */
export async function unknownCustomMethodIds(db: DbExecutor, storeId: number, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = await db
    .selectFrom('custom_payment_methods')
    .select('id')
    .where('store_id', '=', storeId)
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null)
    .execute();
  const known = new Set(found.map((f) => f.id));
  return ids.filter((id) => !known.has(id));
}

/** The official model (ListCustomPaymentMethods…DataItem and its siblings). */
export function customMethodView(m: CustomPaymentMethod) {
  return {
    id: m.id,
    type: m.type,
    name: m.name,
    description: m.description,
    instructions: m.instructions,
    steps: m.steps,
    redirect_url: m.redirect_url,
    skip_interstitial_page: m.skip_interstitial_page,
    show_processing_status_page: m.show_processing_status_page,
    require_proof_of_payment: m.require_proof_of_payment,
    enabled: m.enabled,
    sort_order: m.sort_order,
    modifier: m.modifier,
    icon_url: null,
    created_at: m.created_at.toISOString(),
    updated_at: m.updated_at.toISOString(),
  };
}
