import type { Db } from '../db/schema';
import { CommunityConflictError, CommunityNotFoundError } from './errors';
import { requestGrantRevocation } from './grant-records';
import type { CommunityGrantWorkflows } from './grant-workflow-client';

/** Ops actions on one grant of an invoice: try it again, or take the access away now. */

async function requireGrant(db: Db, invoiceId: number, grantId: number) {
  const grant = await db
    .selectFrom('community_grants')
    .select(['id', 'status', 'revoked_at', 'revoke_requested_at'])
    .where('id', '=', grantId)
    .where('invoice_id', '=', invoiceId)
    .executeTakeFirst();
  if (!grant) throw new CommunityNotFoundError('Community grant');
  return grant;
}

/** Tries a grant again (after a fix, or for a new waiting window), or a revocation that failed; a revoked grant is over. */
export async function retryGrant(db: Db, grants: CommunityGrantWorkflows, invoiceId: number, grantId: number): Promise<void> {
  const grant = await requireGrant(db, invoiceId, grantId);
  if (grant.revoked_at)
    throw new CommunityConflictError('grant_revoked', 'This grant was revoked; a revoked grant is not granted again', 'grant');
  if (!(await grants.retry(grant.id)))
    throw new CommunityConflictError('grant_not_running', 'This grant has no running workflow to retry', 'grant');
}

/** Takes the access away now (kick, remove roles) and ends the grant; its workflow hears of it through the outbox. */
export async function revokeGrant(db: Db, invoiceId: number, grantId: number): Promise<void> {
  const grant = await requireGrant(db, invoiceId, grantId);
  await db.transaction().execute((trx) => requestGrantRevocation(trx, { invoiceId, grantId: grant.id }, 'ops'));
}
