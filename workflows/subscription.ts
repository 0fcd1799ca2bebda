import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SubscriptionActivities } from '../activities/subscriptions';
import {
  type SubscriptionInput,
  type SubscriptionOutcome,
  type SubscriptionState,
  CAPABILITY_OF,
  SUBSCRIPTION_ACTION_REFUSED,
  type SubscriptionActionDecision,
  type SubscriptionActionRequest,
  type SubscriptionActionView,
  paymentMethodUpdate,
  type PaymentMethodUpdateRequest,
  subscriptionActionUpdate,
  subscriptionChangePreviewUpdate,
  type SubscriptionChangePreviewRequest,
  subscriptionChangedSignal,
  subscriptionStateQuery,
} from '../src/temporal/contracts/subscription';

const DB_RETRY = { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' } as const;

/** Reading and settling the record: local, quick, idempotent. */
const record = proxyLocalActivities<SubscriptionActivities>({ startToCloseTimeout: '30 seconds', retry: DB_RETRY });

/** Provider calls and notices: retried until they succeed (a missing key waits for the seller). */
const provider = proxyActivities<SubscriptionActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** A validator's or handler's refusal: the Update fails, the workflow goes on; the caller reads why. */
function refuse(reason: string, message: string): never {
  throw ApplicationFailure.create({ type: SUBSCRIPTION_ACTION_REFUSED, message, details: [reason], nonRetryable: true });
}

interface QueuedAction {
  request: SubscriptionActionRequest;
  answer?: SubscriptionActionDecision | SubscriptionActionView;
}

/** Never spin on a deadline a clock skew makes look already past to the workflow. */
const MIN_WAIT_MS = 250;

/**
 * One subscription from its first payment to its end. The database holds the record; each
 * round reads what to do next, does it, and sleeps until the next deadline or until the
 * record changes (a signal). Ended, it revokes every entitlement and makes sure the provider
 * bills no more. It continues as new every few rounds so years of renewals stay small.
 */
export async function subscription(input: SubscriptionInput): Promise<SubscriptionOutcome> {
  let changes = 0;
  const state: SubscriptionState = { status: 'unknown', step: 'starting', waitingUntil: null, rounds: 0 };
  // What the validators answer from; null while it may be stale (the record changed, or a step
  // is running), and then the action's activity decides alone under the row lock.
  let capabilities: Record<string, { allowed: boolean; reason: string | null }> | null = null;
  setHandler(subscriptionChangedSignal, () => {
    changes += 1;
    capabilities = null;
  });
  setHandler(subscriptionStateQuery, () => state);
  const ref = { subscriptionId: input.subscriptionId };

  // Lifecycle actions are Updates the loop takes between its steps, one at a time, so an action
  // never runs beside a provider call of the loop's own. The validator answers from the
  // capabilities the last round read; the action's activity decides again under the row lock.
  const queued: QueuedAction[] = [];
  setHandler(
    subscriptionActionUpdate,
    async (request) => {
      const entry: QueuedAction = { request };
      queued.push(entry);
      await condition(() => entry.answer !== undefined);
      const answer = entry.answer!;
      if ('refused' in answer) refuse(answer.refused, answer.message);
      return answer as SubscriptionActionView;
    },
    {
      validator: (request: SubscriptionActionRequest) => {
        const capability = capabilities?.[CAPABILITY_OF[request.action]];
        // A retried request (its key already queued) is answered again, not refused.
        if (capability && !capability.allowed && !queued.some((q) => q.request.requestKey === request.requestKey))
          refuse(
            capability.reason ?? 'not_allowed',
            `The subscription cannot ${request.action.replace(/_/g, ' ')} now: ${capability.reason}`,
          );
      },
    },
  );
  setHandler(
    paymentMethodUpdate,
    async (request) => {
      const answer = await provider.createPaymentMethodSession({ ...ref, ...request });
      if ('refused' in answer) refuse(answer.refused, answer.message);
      return answer;
    },
    {
      validator: (_request: PaymentMethodUpdateRequest) => {
        const capability = capabilities?.update_payment_method;
        if (capability && !capability.allowed)
          refuse(capability.reason ?? 'not_allowed', `The subscription's payment method cannot be updated now: ${capability.reason}`);
      },
    },
  );
  // A change's preview asks the provider what the change would charge and records it; nothing
  // of the subscription changes, so it runs beside the loop (the confirm is a queued action).
  setHandler(
    subscriptionChangePreviewUpdate,
    async (request) => {
      const answer = await provider.previewSubscriptionChange({ ...ref, ...request });
      if ('refused' in answer) refuse(answer.refused, answer.message);
      return answer;
    },
    {
      validator: (request: SubscriptionChangePreviewRequest) => {
        const capability = capabilities?.[CAPABILITY_OF[request.action]];
        if (capability && !capability.allowed)
          refuse(
            capability.reason ?? 'not_allowed',
            `The subscription cannot ${request.action.replace(/_/g, ' ')} now: ${capability.reason}`,
          );
      },
    },
  );
  const takeAction = async (entry: QueuedAction) => {
    capabilities = null;
    const decided = await record.recordSubscriptionAction({ ...ref, ...entry.request });
    entry.answer = 'refused' in decided ? decided : await provider.sendSubscriptionAction({ actionId: decided.actionId });
  };

  for (;;) {
    // Taken actions stay queued (answered) for retries of the same request in this run.
    for (const entry of queued) if (!entry.answer) await takeAction(entry);
    const seen = changes;
    const plan = await record.planSubscriptionStep(ref);
    state.rounds += 1;
    state.step = plan.step;
    capabilities = plan.step === 'wait' && changes === seen ? (plan.capabilities ?? null) : null;
    if (plan.status !== state.status) {
      state.status = plan.status;
      upsertSearchAttributes({ SellflowStatus: [plan.status] });
    }
    switch (plan.step) {
      case 'finished':
        // An action that arrived meanwhile is answered (refused: the subscription ended) first.
        if (queued.some((q) => !q.answer)) break;
        // A payment-method Update running beside the loop gets its answer before the run ends.
        await condition(allHandlersFinished);
        return { subscriptionId: input.subscriptionId, status: plan.status };
      case 'send_cancellation':
        await provider.sendSubscriptionCancellation(ref);
        break;
      case 'revoke':
        await provider.revokeSubscriptionEntitlements(ref);
        break;
      case 'end_at_provider':
        await provider.endSubscriptionAtProvider(ref);
        break;
      case 'notify_payment_failed':
        await provider.notifySubscriptionPaymentFailed(ref);
        break;
      case 'confirm_cancellation':
        await provider.confirmSubscriptionCancellation(ref);
        break;
      case 'settle':
        await record.settleSubscriptionDeadline(ref);
        break;
      case 'verify_renewal':
        await provider.verifySubscriptionRenewal(ref);
        break;
      case 'wait':
        state.waitingUntil = plan.until;
        await condition(
          () => changes !== seen || queued.some((q) => !q.answer),
          Math.max(MIN_WAIT_MS, Date.parse(plan.until!) - Date.now()),
        );
        state.waitingUntil = null;
        break;
    }
    const idle = queued.every((q) => q.answer);
    if (idle && (state.rounds >= plan.roundsPerRun || workflowInfo().continueAsNewSuggested)) {
      // Everything lives in the record, so the next run needs only the ids.
      await continueAsNew<typeof subscription>(input);
    }
  }
}
