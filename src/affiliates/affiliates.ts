import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { hashApiKey, hashesEqual } from '../security/api-key-secret';
import { type AffiliateAction, type AffiliateStatus, affiliateStatusAfter } from '../domain/affiliate-status';
import type { SecretBox } from '../security/secret-box';
import { recordEvent } from '../events/record';
import { AffiliateConflictError, AffiliateNotFoundError, AffiliateRuleError } from './errors';
import { type CommissionInput, commissionRate, loadProgram } from './program';

export interface ApplicationInput {
  /** The invitation link's token, to complete an invited application. */
  invite_token?: string;
  email: string;
  code: string;
  name?: string;
  payout_method: string;
  payout_details: string;
  message?: string;
}

// Invite tokens are high-entropy secrets, hashed and compared like API keys.
const tokenMatches = (token: string | undefined, hash: string | null) => Boolean(token && hash && hashesEqual(hashApiKey(token), hash));

/** Two requests for the same e-mail or code at once: the loser hears 409, not 500. */
async function uniqueOrConflict<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: string }).code === '23505')
      throw new AffiliateConflictError('already_applied', 'This e-mail address or code was just taken by another request', 'email');
    throw error;
  }
}

/** The affiliate code doubles as the referral link's value: short, URL-safe, unique per store. */
const CODE = /^[A-Za-z0-9_-]{3,32}$/;

export async function loadAffiliate(db: DbExecutor, storeId: number, id: number, options: { lock?: boolean } = {}) {
  let query = db.selectFrom('affiliates').selectAll().where('store_id', '=', storeId).where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new AffiliateNotFoundError('Affiliate');
  return row;
}

export type AffiliateRow = Awaited<ReturnType<typeof loadAffiliate>>;

async function assertCodeFree(db: DbExecutor, storeId: number, code: string) {
  const taken = await db
    .selectFrom('affiliates')
    .select('id')
    .where('store_id', '=', storeId)
    .where(sql`lower(code)`, '=', code.toLowerCase())
    .executeTakeFirst();
  if (taken) throw new AffiliateRuleError('code_taken', `The affiliate code "${code}" is taken`, 'code');
}

/**
 * Someone applies to the program (or completes the application they were invited to). The
 * program's approval toggle decides between ACTIVE and PENDING. A rejected applicant cannot
 * apply again; only the seller can enable them.
 */
export async function applyToProgram(trx: DbExecutor, box: SecretBox, storeId: number, input: ApplicationInput): Promise<AffiliateRow> {
  const program = await loadProgram(trx, storeId);
  if (!program.enabled) throw new AffiliateConflictError('program_disabled', 'This store has no affiliate program running');
  if (!CODE.test(input.code))
    throw new AffiliateRuleError('invalid_field', 'An affiliate code is 3-32 letters, digits, dashes or underscores', 'code');
  if (!program.payout_methods.includes(input.payout_method)) {
    throw new AffiliateRuleError(
      'payout_method_not_offered',
      `This store pays affiliates with ${program.payout_methods.join(', ')}`,
      'payout_method',
    );
  }
  const email = input.email.trim().toLowerCase();
  const existing = await trx
    .selectFrom('affiliates')
    .selectAll()
    .where('store_id', '=', storeId)
    .where(sql`lower(email)`, '=', email)
    .forUpdate()
    .executeTakeFirst();
  if (existing?.status === 'REJECTED')
    throw new AffiliateConflictError('application_rejected', 'This application was rejected; the store can enable it again', 'email');
  if (existing && existing.status !== 'INVITED')
    throw new AffiliateConflictError('already_applied', 'This e-mail address has already applied to the program', 'email');
  // An invitation is completed only through its link: nobody else claims the address.
  if (existing && !tokenMatches(input.invite_token, existing.invite_token_hash)) {
    throw new AffiliateConflictError(
      'invitation_pending',
      'This address was invited: complete the application from the invitation e-mail',
      'invite_token',
    );
  }
  await assertCodeFree(trx, storeId, input.code);

  const now = new Date();
  const status = program.auto_approve ? 'ACTIVE' : 'PENDING';
  const columns = {
    code: input.code,
    name: input.name ?? null,
    status,
    payout_method: input.payout_method,
    payout_details_sealed: box.seal(input.payout_details),
    message: input.message ?? null,
    applied_at: now,
    reviewed_at: status === 'ACTIVE' ? now : null,
    invite_token_hash: null,
    updated_at: now,
  } as const;
  const row = await uniqueOrConflict(() =>
    existing
      ? trx.updateTable('affiliates').set(columns).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow()
      : trx
          .insertInto('affiliates')
          .values({ store_id: storeId, email, ...columns })
          .returningAll()
          .executeTakeFirstOrThrow(),
  );
  await recordEvent(trx, { storeId, livemode: true, type: 'affiliate.applied', data: { id: row.id, code: row.code, status: row.status } });
  return row;
}

/** The seller invites someone by e-mail; they still fill in the application themselves. */
export async function inviteAffiliate(trx: DbExecutor, storeId: number, emailInput: string): Promise<{ row: AffiliateRow; token: string }> {
  const program = await loadProgram(trx, storeId);
  if (!program.enabled) throw new AffiliateConflictError('program_disabled', 'Enable the affiliate program before inviting affiliates');
  const email = emailInput.trim().toLowerCase();
  const existing = await trx
    .selectFrom('affiliates')
    .select(['id', 'status'])
    .where('store_id', '=', storeId)
    .where(sql`lower(email)`, '=', email)
    .executeTakeFirst();
  if (existing)
    throw new AffiliateConflictError('already_applied', `${email} is already ${existing.status.toLowerCase()} in this program`, 'email');
  const token = randomBytes(24).toString('base64url');
  const row = await uniqueOrConflict(() =>
    trx
      .insertInto('affiliates')
      .values({ store_id: storeId, email, status: 'INVITED', invited_at: new Date(), invite_token_hash: hashApiKey(token) })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  await recordEvent(trx, { storeId, livemode: true, type: 'affiliate.invited', data: { id: row.id, email } });
  return { row, token };
}

export async function reviewAffiliate(trx: DbExecutor, storeId: number, id: number, action: AffiliateAction): Promise<AffiliateRow> {
  const affiliate = await loadAffiliate(trx, storeId, id, { lock: true });
  const next = affiliateStatusAfter(affiliate.status, action);
  if (!next) throw new AffiliateConflictError('invalid_status', `An affiliate that is ${affiliate.status} cannot be ${action}d`, 'status');
  const now = new Date();
  return trx
    .updateTable('affiliates')
    .set({
      status: next,
      updated_at: now,
      ...(action === 'approve' || action === 'reject' ? { reviewed_at: now } : {}),
      disabled_at: next === 'DISABLED' ? now : null,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface AffiliateSettingsInput {
  /** null removes the custom rate (the product or store rate applies again). */
  commission?: CommissionInput | null;
  eligible_products?: number[];
  payout_method?: string;
  payout_details?: string;
}

/** The seller's custom rate and products for one affiliate, or new payout details. */
export async function updateAffiliateSettings(
  trx: DbExecutor,
  box: SecretBox,
  storeId: number,
  id: number,
  input: AffiliateSettingsInput,
): Promise<AffiliateRow> {
  const affiliate = await loadAffiliate(trx, storeId, id, { lock: true });
  const change: Record<string, unknown> = { updated_at: new Date() };
  if (input.commission !== undefined) {
    const rate = input.commission === null ? null : commissionRate(input.commission, 'commission');
    change.commission_type = rate?.type ?? null;
    change.commission_value = rate?.value ?? null;
  }
  if (input.eligible_products) {
    const ids = [...new Set(input.eligible_products)];
    if (ids.length > 0) {
      const found = await trx
        .selectFrom('products')
        .select('id')
        .where('store_id', '=', storeId)
        .where('id', 'in', ids)
        .where('deleted_at', 'is', null)
        .execute();
      const missing = ids.filter((p) => !found.some((f) => f.id === p));
      if (missing.length > 0)
        throw new AffiliateRuleError('invalid_field', `No product ${missing.join(', ')} in this store`, 'eligible_products');
    }
    change.eligible_products = sql`${sql.val(ids)}::integer[]`;
  }
  if (input.payout_method !== undefined) {
    const program = await loadProgram(trx, storeId);
    if (!program.payout_methods.includes(input.payout_method)) {
      throw new AffiliateRuleError(
        'payout_method_not_offered',
        `This store pays affiliates with ${program.payout_methods.join(', ')}`,
        'payout_method',
      );
    }
    change.payout_method = input.payout_method;
  }
  if (input.payout_details !== undefined) change.payout_details_sealed = box.seal(input.payout_details);
  if (affiliate.status === 'INVITED' && (input.payout_method || input.payout_details)) {
    throw new AffiliateConflictError('invalid_status', 'An invited affiliate gives payout details when applying', 'status');
  }
  return trx.updateTable('affiliates').set(change).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** An active affiliate by code (the referral link's value), for attribution. */
export async function activeAffiliateByCode(db: DbExecutor, storeId: number, code: string) {
  return db
    .selectFrom('affiliates')
    .select(['id', 'email'])
    .where('store_id', '=', storeId)
    .where(sql`lower(code)`, '=', code.trim().toLowerCase())
    .where('status', '=', 'ACTIVE')
    .executeTakeFirst();
}

/** A store's affiliates, by status and a search of code, e-mail or name; nothing selected yet. */
export function affiliatesMatching(db: DbExecutor, storeId: number, filter: { status?: AffiliateStatus; search?: string }) {
  let base = db.selectFrom('affiliates').where('store_id', '=', storeId);
  if (filter.status) base = base.where('status', '=', filter.status);
  if (filter.search) {
    const like = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    base = base.where((eb) => eb.or([eb('code', 'ilike', like), eb('email', 'ilike', like), eb('name', 'ilike', like)]));
  }
  return base;
}
