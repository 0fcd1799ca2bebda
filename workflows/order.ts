import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { CommunityActivities } from '../activities/community';
import type { OrderActivities } from '../activities/orders';
import { communityGrant } from './community-grant';
import {
  DELIVERY_HELD_BY_DISPUTE,
  FULFILLMENT_REFUSED,
  type FulfillmentNoticeRequest,
  type FulfillmentRefusal,
  type OrderInput,
  type OrderOutcome,
  type OrderState,
  type StepSelection,
  orderStateQuery,
  paymentReceivedSignal,
  retryDynamicDeliveryUpdate,
  retryFulfillmentUpdate,
  retryRequestedSignal,
  saleChangedSignal,
  sendFulfillmentNoticesUpdate,
  skipFulfillmentUpdate,
  skipRequestedSignal,
  voidRequestedSignal,
} from '../src/temporal/contracts/order';
import { isAwaitingPayment } from '../src/domain/invoice-status';
import { BUYER_EMAIL_ACTIVITY_TIMEOUT_MS } from '../src/temporal/contracts/buyer-email-timing';

const DB_RETRY = {
  initialInterval: '500 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 10,
} as const;

const remoteDb = proxyActivities<OrderActivities>({ startToCloseTimeout: '30 seconds', retry: DB_RETRY });

/**
 * Bookkeeping (status transitions, planning, flags) as local activities: they run in the
 * worker that runs the workflow, saving a server round trip each (see npm run bench), and
 * stay idempotent, so a replay after a crash re-running one changes nothing. So are the
 * delivery steps that only touch our database (serials, license keys, files, manual text):
 * each is idempotent by its claim key. A dynamic step calls the seller and stays a regular
 * activity.
 */
const localDb = proxyLocalActivities<OrderActivities>({ startToCloseTimeout: '30 seconds', retry: DB_RETRY });

/** Seller endpoints: attempts at 0 s, 2 s and 8 s, 4xx final (non-retryable), 10 s per call. */
const dynamicDelivery = proxyActivities<OrderActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 4, maximumAttempts: 3 },
});

/**
 * The buyer's delivery e-mail over SMTP: attempts at 0 s, 2 s, 8 s and 26 s; a refusal by the
 * server (5xx) is final at once. After that the order, delivered, is flagged for ops.
 */
const buyerEmail = proxyActivities<OrderActivities>({
  startToCloseTimeout: BUYER_EMAIL_ACTIVITY_TIMEOUT_MS,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 3, maximumAttempts: 4 },
});

const communityBookkeeping = proxyLocalActivities<CommunityActivities>({ startToCloseTimeout: '30 seconds', retry: DB_RETRY });

/**
 * Community access outlives the order (until the subscription ends, a refund, ops): each
 * grant is a child that keeps running after this workflow completes.
 */
async function startCommunityGrants(input: OrderInput): Promise<void> {
  const plan = await communityBookkeeping.planCommunityGrants({ invoiceId: input.invoiceId });
  for (const { grantId, workflowId } of plan.grants) {
    try {
      await startChild(communityGrant, {
        workflowId,
        args: [{ grantId, checkMs: plan.checkMs, checkCeilingMs: plan.checkCeilingMs }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (error) {
      // Already running: the revocation relay started it to tell it to end.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
}

/** Sends the delivered order's e-mail; one that cannot go out flags the order, which stays COMPLETED. */
async function sendDeliveryEmail(invoiceId: number, db: typeof localDb): Promise<void> {
  try {
    const outcome = await buyerEmail.sendDeliveryEmail({ invoiceId });
    log.info('delivery e-mail settled', { invoiceId, status: outcome.status });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const reason = failureReason(error);
    log.warn('delivery e-mail failed', { invoiceId, reason });
    await db.flagDeliveryEmailFailure({ invoiceId, reason });
  }
}

/** A validator's refusal: the Update is rejected (and never enters the history), the caller reads why. */
function refuse(refusal: FulfillmentRefusal, message: string): never {
  throw ApplicationFailure.create({ type: FULFILLMENT_REFUSED, message, details: [refusal], nonRetryable: true });
}

/** Orders started before they heard of refunds and disputes carry on as they did (see `saleNews` below). */
const HEARS_SALE = 'order-hears-refunds-and-disputes';
/** A step that met an open dispute (DELIVERY_HELD_BY_DISPUTE) stays pending and waits for it, unflagged. */
const STEP_WAITS_FOR_DISPUTE = 'order-step-waits-for-dispute';

/** What a refund or dispute made of a paid order, as the workflow acts on it. */
type SaleStanding = 'paid' | 'disputed' | 'refunded' | 'reversed';

function standingOf(status: string): SaleStanding {
  if (status === 'REFUNDED') return 'refunded';
  if (status === 'REVERSED') return 'reversed';
  if (status === 'DISPUTING') return 'disputed';
  return 'paid';
}

function failureType(error: unknown): string | undefined {
  if (error instanceof ApplicationFailure) return error.type ?? undefined;
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) return error.cause.type ?? undefined;
  return undefined;
}

function failureReason(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * One invoice from creation to delivered: wait for payment (or void, or expiry), run every
 * delivery step, and when a step cannot succeed wait for ops to retry or skip it.
 * The database stays the record; this keeps only what it needs to decide the next step.
 * What each status change sets off in the database besides (coupon, referral, community
 * access) is one table: src/orders/transition-consequences.ts.
 */
export async function order(input: OrderInput): Promise<OrderOutcome> {
  // Orders started before local activities keep replaying their remote ones.
  const db = patched('order-local-db-activities') ? localDb : remoteDb;
  const state: OrderState = { phase: 'awaiting_payment', steps: [] };
  let paid = false;
  let voided = false;
  /** True only while the order waits for ops on a failed step: the one time a retry or skip is taken. */
  let awaitingOps = false;
  const retries: StepSelection[] = [];
  const skips: StepSelection[] = [];
  /**
   * A refund or dispute after payment: `saleNews` until the workflow has read the invoice again
   * (news may arrive out of order; the database is the record). A refunded or reversed sale
   * stays so: nothing turns it back.
   */
  let standing: SaleStanding = 'paid';
  let saleNews = false;
  setHandler(saleChangedSignal, ({ status }) => {
    saleNews = true;
    if (standing !== 'refunded' && standing !== 'reversed') standing = standingOf(status);
  });
  setHandler(paymentReceivedSignal, () => void (paid = true));
  setHandler(voidRequestedSignal, () => void (voided = true));
  setHandler(retryRequestedSignal, (request) => void retries.push(request ?? {}));
  setHandler(skipRequestedSignal, (request) => void skips.push(request ?? {}));
  setHandler(orderStateQuery, () => state);

  // Fulfillment actions are Updates: the validator decides from the workflow's own state (not a
  // database read that a running delivery could outdate), and a refusal says why.
  const failedSteps = (selection: StepSelection) =>
    state.steps.filter(
      (s) =>
        s.status === 'failed' &&
        (!selection.kinds?.length || selection.kinds.includes(s.kind)) &&
        (!selection.stepIds?.length || selection.stepIds.includes(s.id)),
    );
  const refuseUnlessRunning = () => {
    if (voided || state.phase === 'voided' || state.phase === 'expired') refuse('voided', `Invoice ${input.invoiceId} is voided`);
    if (state.phase === 'awaiting_payment') refuse('not_paid', `Invoice ${input.invoiceId} is not paid yet`);
    if (standing === 'refunded') refuse('refunded', `Invoice ${input.invoiceId} is refunded: nothing more is delivered`);
    if (standing === 'reversed') refuse('reversed', `Invoice ${input.invoiceId} lost its dispute: nothing more is delivered`);
    if (standing === 'disputed')
      refuse('disputed', `Invoice ${input.invoiceId} is disputed: nothing is delivered until the dispute is won`);
    if (state.phase === 'completed') refuse('already_delivered', `Invoice ${input.invoiceId} has no failed delivery step: it is delivered`);
  };
  const validateStepAction = (selection: StepSelection) => {
    refuseUnlessRunning();
    for (const id of selection.stepIds ?? []) {
      const step = state.steps.find((s) => s.id === id);
      if (!step) refuse('no_such_step', `Invoice ${input.invoiceId} has no delivery step ${id}`);
      if (step.status === 'delivered') refuse('already_delivered', `Delivery step ${id} is already delivered`);
    }
    if (!awaitingOps) refuse('delivery_running', `Invoice ${input.invoiceId} has no failed delivery step: it is delivering`);
    if (failedSteps(selection).length === 0)
      refuse('nothing_failed', `Invoice ${input.invoiceId} has no failed ${selection.kinds?.join(' or ') ?? 'delivery'} step`);
  };
  const takeStepAction = (queue: StepSelection[], selection: StepSelection, status: 'pending' | 'skipped') => {
    const selected = failedSteps(selection);
    // Seen at once by the next validator and query; the loop then makes it so in the database.
    for (const step of selected) step.status = status;
    awaitingOps = false;
    queue.push(selection);
    return { steps: selected.length };
  };
  setHandler(retryFulfillmentUpdate, (selection) => takeStepAction(retries, selection, 'pending'), { validator: validateStepAction });
  setHandler(skipFulfillmentUpdate, (selection) => takeStepAction(skips, selection, 'skipped'), { validator: validateStepAction });
  setHandler(retryDynamicDeliveryUpdate, ({ stepId }) => takeStepAction(retries, { stepIds: [stepId] }, 'pending'), {
    validator: ({ stepId }) => {
      const step = state.steps.find((s) => s.id === stepId);
      if (step && step.kind !== 'dynamic') refuse('no_such_step', `Delivery step ${stepId} is not a dynamic delivery`);
      validateStepAction({ stepIds: [stepId] });
    },
  });
  setHandler(
    sendFulfillmentNoticesUpdate,
    async (request) => {
      const { sent } = await remoteDb.sendFulfillmentNotices({ invoiceId: input.invoiceId, resendKey: uuid4(), ...request });
      return { notificationsSent: sent };
    },
    { validator: (_request: FulfillmentNoticeRequest) => refuseUnlessRunning() },
  );
  const setPhase = (phase: OrderState['phase'], status: string) => {
    state.phase = phase;
    upsertSearchAttributes({ SellflowStatus: [status], SellflowNeedsAttention: [phase === 'needs_attention'] });
  };

  const window = Math.max(0, Date.parse(input.expiresAt) - Date.now());
  const settled = await condition(() => paid || voided, window);
  if (!settled) {
    const { status } = await db.expireInvoice({ invoiceId: input.invoiceId });
    log.info('payment window closed', { invoiceId: input.invoiceId, status });
    if (status === 'VOIDED') {
      setPhase('expired', 'VOIDED');
      return { invoiceId: input.invoiceId, outcome: 'expired' };
    }
    // Still waiting (a crypto payment made in time is confirming): its workflow settles or
    // voids the invoice and tells this one. Only money moves the order on.
    if (patched('order-expiry-waits-for-confirming-crypto') && isAwaitingPayment(status)) {
      await condition(() => paid || voided);
      if (voided && !paid) {
        setPhase('voided', 'VOIDED');
        return { invoiceId: input.invoiceId, outcome: 'voided' };
      }
    }
  } else if (voided && !paid) {
    log.info('order voided before payment', { invoiceId: input.invoiceId });
    setPhase('voided', 'VOIDED');
    return { invoiceId: input.invoiceId, outcome: 'voided' };
  }

  // The database decides between a payment and a void that raced: one path wins.
  const { status } = await db.markInvoicePaid({ invoiceId: input.invoiceId });
  if (status !== 'PAID' && status !== 'COMPLETED') {
    log.info('payment lost to a void', { invoiceId: input.invoiceId, status });
    setPhase('voided', status);
    return { invoiceId: input.invoiceId, outcome: 'voided' };
  }
  setPhase('delivering', 'PAID');
  state.steps = await db.planDelivery({ invoiceId: input.invoiceId });
  log.info('order paid; delivering', { invoiceId: input.invoiceId, steps: state.steps.map((s) => s.kind) });

  /**
   * Reads the sale's standing after news (the invoice, not the signal, decides). Refunded or
   * reversed: the delivery ends here, unfinished and unflagged, without completing the order.
   * Disputed: the order waits, unflagged and refusing retries, for the dispute to be settled; a
   * won one gives back PAID and delivery goes on where it stood (held steps run, failed ones wait
   * for ops). Returns the outcome when the order is over.
   */
  const heedSale = async (): Promise<OrderOutcome | null> => {
    for (;;) {
      if (!saleNews) return null;
      saleNews = false;
      const { status } = await db.invoiceStatus({ invoiceId: input.invoiceId });
      standing = standingOf(status);
      if (standing === 'refunded' || standing === 'reversed') {
        await db.setNeedsAttention({ invoiceId: input.invoiceId, value: false });
        setPhase(standing, status);
        log.info('sale undone; delivery ends', { invoiceId: input.invoiceId, status });
        return { invoiceId: input.invoiceId, outcome: standing };
      }
      if (standing === 'paid') return null;
      await db.setNeedsAttention({ invoiceId: input.invoiceId, value: false });
      setPhase('disputed', status);
      log.info('order disputed; delivery waits for the dispute', { invoiceId: input.invoiceId });
      await condition(() => saleNews);
    }
  };

  const ownSteps = patched('order-local-delivery-steps') ? localDb : remoteDb;
  /** A step met an open dispute: it and the steps after it wait, pending, for the dispute's outcome. */
  let heldByDispute = false;
  for (;;) {
    for (const step of state.steps.filter((s) => s.status === 'pending' || s.status === 'running')) {
      try {
        await (step.kind === 'dynamic' ? dynamicDelivery : ownSteps).runDeliveryStep({ stepId: step.id });
        step.status = 'delivered';
        step.reason = null;
        log.info('delivery step delivered', { invoiceId: input.invoiceId, stepId: step.id, kind: step.kind });
      } catch (error) {
        // A local activity's failure arrives as its ApplicationFailure, not wrapped in an ActivityFailure.
        if (!(error instanceof ActivityFailure || error instanceof ApplicationFailure)) throw error;
        if (failureType(error) === DELIVERY_HELD_BY_DISPUTE && patched(STEP_WAITS_FOR_DISPUTE)) {
          // Nothing was handed over: it and the steps after it stay pending; the invoice, read by heedSale, decides.
          log.info('delivery step waits for a dispute', { invoiceId: input.invoiceId, stepId: step.id, kind: step.kind });
          heldByDispute = true;
          saleNews = true;
          break;
        }
        step.status = 'failed';
        step.reason = failureReason(error);
        log.warn('delivery step failed', { invoiceId: input.invoiceId, stepId: step.id, kind: step.kind, reason: step.reason });
        await db.markStepFailed({ stepId: step.id, reason: step.reason });
      }
    }
    if (state.steps.every((s) => s.status === 'delivered' || s.status === 'skipped')) break;

    if (saleNews && patched(HEARS_SALE)) {
      const over = await heedSale();
      if (over) return over;
      // The dispute that held a step back was won (the order PAID again): the held steps run now.
      if (heldByDispute) {
        heldByDispute = false;
        continue;
      }
    }
    const failed = state.steps.filter((s) => s.status === 'failed');
    // Open to ops before the flag is raised: whoever sees the flag finds the order taking a retry.
    awaitingOps = true;
    await db.setNeedsAttention({ invoiceId: input.invoiceId, value: true, reason: failed.map((s) => `${s.kind}: ${s.reason}`).join('; ') });
    setPhase('needs_attention', 'PAID');
    log.warn('order needs attention', { invoiceId: input.invoiceId, failed: failed.map((s) => s.kind) });
    await condition(() => retries.length > 0 || skips.length > 0 || voided || saleNews);
    awaitingOps = false;
    // Only news of the sale (a signal old histories never carry) wakes it here without ops.
    if (saleNews && patched(HEARS_SALE)) {
      const over = await heedSale();
      if (over) return over;
      if (retries.length === 0 && skips.length === 0 && !voided) continue;
    }
    log.info('ops acted on the order', { invoiceId: input.invoiceId, retries: retries.length, skips: skips.length, voided });
    if (voided) {
      await db.setNeedsAttention({ invoiceId: input.invoiceId, value: false });
      setPhase('voided', 'VOIDED');
      return { invoiceId: input.invoiceId, outcome: 'voided' };
    }
    for (const request of skips.splice(0)) state.steps = await db.skipFailedSteps({ invoiceId: input.invoiceId, ...request });
    for (const request of retries.splice(0)) state.steps = await db.resetFailedSteps({ invoiceId: input.invoiceId, ...request });
    await db.setNeedsAttention({ invoiceId: input.invoiceId, value: false });
    setPhase('delivering', 'PAID');
  }

  let completed = await db.completeInvoice({ invoiceId: input.invoiceId });
  // Delivered while a dispute opened (a step already running): the order waits for its outcome;
  // a won dispute gives back PAID, completed here (one settled before that change made it
  // COMPLETED itself), a lost one (or a refund) ends it here.
  if (completed.status !== 'COMPLETED' && patched(HEARS_SALE)) {
    saleNews = true;
    const over = await heedSale();
    if (over) return over;
    completed = await db.completeInvoice({ invoiceId: input.invoiceId });
  }
  if (completed.status !== 'COMPLETED')
    throw ApplicationFailure.nonRetryable(`Invoice ${input.invoiceId} could not complete from ${completed.status}`);
  setPhase('completed', 'COMPLETED');
  log.info('order completed', { invoiceId: input.invoiceId });
  if (patched('order-community-grants')) await startCommunityGrants(input);
  if (patched('order-delivery-email')) await sendDeliveryEmail(input.invoiceId, db);
  // A notices resend still sending finishes before the order closes (a wait, no command).
  await condition(allHandlersFinished);
  return { invoiceId: input.invoiceId, outcome: 'completed' };
}
