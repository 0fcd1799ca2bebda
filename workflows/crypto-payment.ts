import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { CryptoPaymentActivities } from '../activities/crypto-payments';
import { chainActivitySignal, type CryptoPaymentInput, type CryptoPaymentOutcome } from '../src/temporal/contracts/crypto-payment';
import { paymentReceivedSignal, voidRequestedSignal } from '../src/temporal/contracts/order';

/** Bookkeeping retries until the database is back: money already seen must be recorded. */
const db = proxyActivities<CryptoPaymentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
/**
 * Chain APIs rate-limit and go down: back off up to five minutes, for at most half an hour a
 * look; then the workflow hears of it, tells a person and keeps watching.
 */
const chain = proxyActivities<CryptoPaymentActivities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

type ObservationOutcome = Awaited<ReturnType<CryptoPaymentActivities['observeCryptoPayment']>>;

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

  let seenAtExpiry = input.seenAtExpiry === undefined ? null : BigInt(input.seenAtExpiry);
  let troubleReported = input.troubleReported ?? false;
  for (let poll = 0; ; poll += 1) {
    if (poll >= input.pollsPerRun) {
      await continueAsNew<typeof cryptoPayment>({
        ...input,
        phase,
        troubleReported,
        ...(seenAtExpiry === null ? {} : { seenAtExpiry: seenAtExpiry.toString() }),
      });
    }
    if (phase === 'late' && Date.now() >= lateWatchUntil) return 'expired';
    // Cleared before looking: news pushed while we look brings another look.
    poked = false;
    let seen: ObservationOutcome;
    try {
      // The same activity as before, with the checkout's settings as an argument: no new command.
      seen = await chain.observeCryptoPayment({
        invoiceId: input.invoiceId,
        ...(input.acceptance ? { acceptance: input.acceptance } : {}),
      });
    } catch (error) {
      // A chain API that keeps failing or answers nonsense will not fix itself soon: a person
      // hears of it once, and watching goes on more slowly until the watch ends.
      if (!(error instanceof ActivityFailure)) throw error;
      if (!troubleReported) await db.reportChainTrouble({ invoiceId: input.invoiceId, reason: error.cause?.message ?? error.message });
      troubleReported = true;
      if (Date.now() >= lateWatchUntil) return phase === 'late' ? 'expired' : 'late_payment';
      await sleep(input.pollMs * 10);
      continue;
    }

    if (phase === 'open') {
      if (seen.step === 'settle') {
        const settled = await db.settleCryptoPayment({ invoiceId: input.invoiceId });
        if (settled === 'flagged') return 'late_payment';
        await tellOrder(input.orderWorkflowId, 'paid');
        return 'paid';
      }
      if (seen.step === 'expire') {
        const { invoiceStatus } = await db.expireCryptoPayment({
          invoiceId: input.invoiceId,
          status: seen.status === 'UNDERPAID' ? 'UNDERPAID' : 'EXPIRED',
        });
        if (invoiceStatus === 'VOIDED') await tellOrder(input.orderWorkflowId, 'void');
        seenAtExpiry = BigInt(seen.seenUnits);
        phase = 'late';
      } else if (Date.now() >= lateWatchUntil) {
        // Paid in time but never confirmed (stuck or dropped): a person decides.
        await db.flagLateCryptoPayment({ invoiceId: input.invoiceId, reason: 'crypto payment still unconfirmed when the watch ended' });
        return 'late_payment';
      }
    }
    if (phase === 'late') {
      // Money after the window, or on-time money that reappeared (a reorg undone): a person decides.
      if (BigInt(seen.lateUnits) > 0n || BigInt(seen.seenUnits) > (seenAtExpiry ?? 0n)) {
        await db.flagLateCryptoPayment({ invoiceId: input.invoiceId, reason: 'crypto payment received after the invoice expired' });
        return 'late_payment';
      }
    }

    await condition(() => poked, input.pollMs);
  }
}
