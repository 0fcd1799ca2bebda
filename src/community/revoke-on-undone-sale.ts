import type { DbExecutor } from '../db/schema';
import type { RevokeReason } from '../domain/community-grant';
import type { SaleUndoingStatus } from '../domain/invoice-status';
import { requestGrantRevocation } from './grant-records';

/** Community access bought with money that went back ends with it; an order ops voided ends it too. */
const REVOCATION_REASONS: Record<SaleUndoingStatus, RevokeReason> = {
  REFUNDED: 'refunded',
  REVERSED: 'refunded',
  DISPUTING: 'disputed',
  VOIDED: 'ops',
};

/** Records that the invoice's grants must end; the outbox relay tells their workflows after commit. */
export async function revokeGrantsOfUndoneSale(trx: DbExecutor, invoiceId: number, undoneBy: SaleUndoingStatus): Promise<void> {
  await requestGrantRevocation(trx, { invoiceId }, REVOCATION_REASONS[undoneBy]);
}
