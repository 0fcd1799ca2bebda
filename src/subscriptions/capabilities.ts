import type { Selectable } from 'kysely';
import type { SubscriptionsTable } from '../db/schema/subscriptions';
import { type Capability, subscriptionCapabilities } from '../domain/subscription-capabilities';
import type { SubscriptionStatus } from '../domain/subscription-lifecycle';

/** What a subscription row allows now and why not: the capabilities answer, the action validators and the buyer's e-mails read it alike. */
type CapabilityColumns = Pick<
  Selectable<SubscriptionsTable>,
  'status' | 'provider' | 'cancel_at_period_end' | 'cancellation_in_progress' | 'ended_at' | 'paused_at'
>;

export function capabilitiesOf(row: CapabilityColumns): Record<string, Capability> {
  return subscriptionCapabilities({
    status: row.status as SubscriptionStatus,
    provider: row.provider,
    cancelAtPeriodEnd: row.cancel_at_period_end,
    cancellationInProgress: row.cancellation_in_progress,
    endedAt: row.ended_at,
    pausedAt: row.paused_at,
  });
}
