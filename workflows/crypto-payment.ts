import { ApplicationFailure, condition, continueAsNew, getExternalWorkflowHandle, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CryptoPaymentActivities } from '../activities/crypto-payments';
import { chainActivitySignal, type CryptoPaymentInput } from './crypto-payment-definitions';
import { paymentReceivedSignal, voidRequestedSignal } from './order-definitions';

const db = proxyActivities<CryptoPaymentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});
/** Chain APIs rate-limit and go down: back off up to five minutes, for as long as the window lasts. */
const chain = proxyActivities<CryptoPaymentActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export type CryptoPaymentOutcome = 'paid' | 'expired' | 'late_payment';

async function tellOrder(workflowId: string, what: 'paid' | 'void'): Promise<void> {
  try {
    const order = getExternalWorkflowHandle(workflowId);
    await (what === 'paid' ? order.signal(paymentReceivedSignal, { source: 'crypto' }) : order.signal(voidRequestedSignal));
  } catch (error) {
    // An order that already ended (voided, expired) has nothing to hear; the database holds the truth.
    if (!(error instanceof ApplicationFailure) && !(error instanceof Error && /not found/i.test(error.message))) throw error;
  }
}

/**
 * The wait for on-chain money to one invoice's address: polls the chain on a durable timer
 * (or sooner when signalled), and settles the invoice once what was paid in the window has
 * enough confirmations. A partial payment can be topped up until the window closes; then the
 * invoice is voided, and the address is still watched for a while so money that comes late is
 * flagged for a person instead of lost.
 */
export async function cryptoPayment(input: CryptoPaymentInput): Promise<CryptoPaymentOutcome> {
  let poked = false;
  setHandler(chainActivitySignal, () => void (poked = true));
  const times = await db.cryptoPaymentTimes({ invoiceId: input.invoiceId });
  const lateWatchUntil = Date.parse(times.lateWatchUntil);
  let phase = input.phase ?? 'open';

  for (let poll = 0; ; poll += 1) {
    if (poll >= input.pollsPerRun) await continueAsNew<typeof cryptoPayment>({ ...input, phase });
    const seen = await chain.observeCryptoPayment({ invoiceId: input.invoiceId });

    if (phase === 'open') {
      if (seen.step === 'settle') {
        const settled = await db.settleCryptoPayment({ invoiceId: input.invoiceId });
        if (settled === 'flagged') return 'late_payment';
        await tellOrder(input.orderWorkflowId, 'paid');
        return 'paid';
      }
      if (seen.step === 'expire') {
        await db.expireCryptoPayment({ invoiceId: input.invoiceId, status: seen.status === 'UNDERPAID' ? 'UNDERPAID' : 'EXPIRED' });
        await tellOrder(input.orderWorkflowId, 'void');
        phase = 'late';
      } else if (Date.now() >= lateWatchUntil) {
        // Paid in time but never confirmed (stuck or dropped): a person decides.
        await db.flagLateCryptoPayment({ invoiceId: input.invoiceId, reason: 'crypto payment still unconfirmed when the watch ended' });
        return 'late_payment';
      }
    }
    if (phase === 'late') {
      if (BigInt(seen.lateUnits) > 0n) {
        await db.flagLateCryptoPayment({ invoiceId: input.invoiceId, reason: 'crypto payment received after the invoice expired' });
        return 'late_payment';
      }
      if (Date.now() >= lateWatchUntil) return 'expired';
    }

    poked = false;
    await condition(() => poked, input.pollMs);
  }
}
