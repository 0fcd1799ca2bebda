import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../src/config';
import type { Db } from '../src/db/schema';
import type { SecretBox } from '../src/security/secret-box';
import type { CryptoAcceptance } from '../src/temporal/contracts/crypto-payment';
import { ChainWatcherError } from '../src/gateways/crypto/chain-observation';
import {
  expireCryptoPayment,
  flagLateCryptoPayment,
  type ObservationOutcome,
  observeCryptoPayment,
  reportChainTrouble,
  settleCryptoPayment,
} from '../src/gateways/crypto/crypto-payment-records';

/** The cryptoPayment workflow's steps: look at the chain, settle, expire, flag late money. */
export function createCryptoPaymentActivities(deps: { db: Db; secrets: SecretBox; crypto: Config['crypto'] }) {
  return {
    async observeCryptoPayment(input: { invoiceId: number; acceptance?: CryptoAcceptance }): Promise<ObservationOutcome> {
      try {
        return await observeCryptoPayment(deps.db, deps.secrets, deps.crypto, input.invoiceId, input.acceptance);
      } catch (error) {
        // A misconfigured node URL will not fix itself; a busy or down one will.
        if (error instanceof ChainWatcherError && !error.retryable)
          throw ApplicationFailure.nonRetryable(error.message, 'ChainWatcherError');
        throw error;
      }
    },

    async settleCryptoPayment(input: { invoiceId: number }): Promise<'paid' | 'flagged'> {
      return settleCryptoPayment(deps.db, input.invoiceId);
    },

    async expireCryptoPayment(input: { invoiceId: number; status: 'EXPIRED' | 'UNDERPAID' }): Promise<{ invoiceStatus: string }> {
      return expireCryptoPayment(deps.db, input.invoiceId, input.status);
    },

    async flagLateCryptoPayment(input: { invoiceId: number; reason: string }): Promise<void> {
      await flagLateCryptoPayment(deps.db, input.invoiceId, input.reason);
    },

    /** The chain cannot be read: the invoice is flagged (once) while watching goes on. */
    async reportChainTrouble(input: { invoiceId: number; reason: string }): Promise<void> {
      await reportChainTrouble(deps.db, input.invoiceId, input.reason);
    },

    async cryptoPaymentTimes(input: { invoiceId: number }): Promise<{ expiresAt: string; lateWatchUntil: string; status: string }> {
      const row = await deps.db
        .selectFrom('crypto_payments')
        .select(['expires_at', 'late_watch_until', 'status'])
        .where('invoice_id', '=', input.invoiceId)
        .executeTakeFirstOrThrow();
      return { expiresAt: row.expires_at.toISOString(), lateWatchUntil: row.late_watch_until.toISOString(), status: row.status };
    },
  };
}

export type CryptoPaymentActivities = ReturnType<typeof createCryptoPaymentActivities>;
