import { createId } from '@paralleldrive/cuid2';
import type { DbExecutor } from '../db/schema';
import type { EventType } from './catalog';

export interface NewEvent {
  storeId: number;
  livemode: boolean;
  type: EventType;
  data: Record<string, unknown>;
}

/**
 * Appends to the event log. Call it with the transaction that makes the change the event
 * describes (outbox): both are committed, or neither.
 */
export async function recordEvent(trx: DbExecutor, event: NewEvent): Promise<string> {
  const id = `evt_${createId()}`;
  await trx
    .insertInto('events')
    .values({ id, store_id: event.storeId, livemode: event.livemode, type: event.type, data: JSON.stringify(event.data) })
    .execute();
  return id;
}
