import type { Db } from '../db/schema';

/** The order's "Community Access" panel: each grant, its state, what the customer must do, and its history. */
export async function invoiceGrants(db: Db, invoiceId: number) {
  const rows = await db
    .selectFrom('community_grants as g')
    .innerJoin('community_spaces as s', 's.id', 'g.space_id')
    .selectAll('g')
    .select(['s.name as space_name', 's.external_id as space_external_id', 's.kind as space_kind'])
    .where('g.invoice_id', '=', invoiceId)
    .orderBy('g.id')
    .execute();
  return rows.map((g) => ({
    id: g.id,
    platform: g.platform,
    space: { id: g.space_id, name: g.space_name, kind: g.space_kind, external_id: g.space_external_id },
    status: g.status,
    reason: g.reason,
    role_ids: g.role_ids,
    member_id: g.member_id,
    invite_url: g.invite_url,
    awaiting_until: g.awaiting_until?.toISOString() ?? null,
    granted_at: g.granted_at?.toISOString() ?? null,
    remove_on_expiry: g.remove_on_expiry,
    remove_on_pause: g.remove_on_pause,
    restores_grant_id: g.restores_grant_id,
    revoke_requested_at: g.revoke_requested_at?.toISOString() ?? null,
    revoke_reason: g.revoke_reason,
    revoked_at: g.revoked_at?.toISOString() ?? null,
    history: g.history,
    created_at: g.created_at.toISOString(),
    updated_at: g.updated_at.toISOString(),
  }));
}

/** Each invoice's grants in brief, for the invoice view: state, reason, what the customer must do. */
export async function grantSummaries(db: Db, invoiceIds: number[]) {
  if (invoiceIds.length === 0) return [];
  return db
    .selectFrom('community_grants as g')
    .innerJoin('community_spaces as s', 's.id', 'g.space_id')
    .select(['g.id', 'g.invoice_id', 'g.platform', 's.name as space_name', 'g.status', 'g.reason', 'g.invite_url', 'g.updated_at'])
    .where('g.invoice_id', 'in', invoiceIds)
    .orderBy('g.id')
    .execute();
}
