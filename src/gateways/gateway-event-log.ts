import type { DbExecutor } from '../db/schema';

/** What a gateway event did, as its gateway_events row keeps it. */
export interface LoggedGatewayEvent {
  invoiceId: number | null;
  subscriptionId: number | null;
  outcome: string | null;
  reason: string | null;
}

export interface GatewayEventKey {
  provider: string;
  eventId: string;
  storeId: number;
  type: string;
}

/**
 * Applies a gateway's event once per (provider, event id): its gateway_events row is inserted in
 * the caller's transaction before `apply` runs and gets what `apply` did, so the change and the
 * record commit together. A redelivery (the row already there) runs nothing and answers what the
 * first delivery did.
 */
export async function applyGatewayEventOnce(
  trx: DbExecutor,
  event: GatewayEventKey,
  apply: () => Promise<LoggedGatewayEvent>,
): Promise<{ duplicate: boolean; logged: LoggedGatewayEvent }> {
  const fresh = await trx
    .insertInto('gateway_events')
    .values({ provider: event.provider, event_id: event.eventId, store_id: event.storeId, type: event.type, invoice_id: null })
    .onConflict((oc) => oc.constraint('gateway_events_provider_event_uq').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!fresh) {
    const row = await trx
      .selectFrom('gateway_events')
      .select(['invoice_id', 'subscription_id', 'outcome', 'reason'])
      .where('provider', '=', event.provider)
      .where('event_id', '=', event.eventId)
      .executeTakeFirstOrThrow();
    return {
      duplicate: true,
      logged: { invoiceId: row.invoice_id, subscriptionId: row.subscription_id, outcome: row.outcome, reason: row.reason },
    };
  }
  const logged = await apply();
  await trx
    .updateTable('gateway_events')
    .set({ invoice_id: logged.invoiceId, subscription_id: logged.subscriptionId, outcome: logged.outcome, reason: logged.reason })
    .where('id', '=', fresh.id)
    .execute();
  return { duplicate: false, logged };
}
