import type { DbExecutor, EngineIntentKind } from '../db/schema';

/**
 * The engine outbox. A change the engine must hear of (an invoice paid, voided, created, a
 * crypto checkout, a subscription changed, a refund asked for) records its intent in the change's own
 * transaction; after commit the caller delivers it at once, and the relay (the event
 * dispatcher) delivers whatever is still pending after any crash. Every delivery is
 * idempotent: workflow ids refuse a second start, and the workflows treat a repeated
 * signal as the same news.
 */
export interface EngineIntent {
  kind: EngineIntentKind;
  subjectId: number;
  detail?: Record<string, string>;
}

/** Records an intent in the change's own transaction (nothing is told yet: see engine-intents.ts). */
export async function recordIntent(trx: DbExecutor, intent: EngineIntent): Promise<number> {
  const row = await trx
    .insertInto('engine_intents')
    .values({
      kind: intent.kind,
      subject_id: intent.subjectId,
      detail: JSON.stringify(intent.detail ?? {}),
      delivered_at: null,
      last_error: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
