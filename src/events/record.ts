import { createId } from '@paralleldrive/cuid2';
import type { DbExecutor } from '../db/schema';
import { type EventType, SEED_NAME_BESIDE } from './catalog';

export interface NewEvent {
  storeId: number;
  livemode: boolean;
  type: EventType;
  data: Record<string, unknown>;
}

/**
 * Appends to the event log. Call it with the transaction that makes the change the event
 * describes (outbox): both are committed, or neither. An event whose seed-era name differs
 * from the spec's is recorded under both (SEED_NAME_BESIDE); the spec's id is returned.
 */
export async function recordEvent(trx: DbExecutor, event: NewEvent): Promise<string> {
  const types = [event.type, SEED_NAME_BESIDE[event.type]].filter((type) => type !== undefined);
  const rows = types.map((type) => ({
    id: `evt_${createId()}`,
    store_id: event.storeId,
    livemode: event.livemode,
    type,
    data: JSON.stringify(event.data),
  }));
  await trx.insertInto('events').values(rows).execute();
  return rows[0]!.id;
}
