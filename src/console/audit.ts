import type { Db } from '../db/schema';
import type { OpsAuditLogTable } from '../db/schema/console';
import { FulfillmentRefusedError, InvoiceStatusConflictError, PaypalCaptureInFlightError } from '../orders/errors';
import type { ConsoleSession } from './sessions';

export interface AuditedAction {
  subjectType: OpsAuditLogTable['subject_type'];
  subjectId: number;
  invoiceId: number | null;
  action: string;
  reason: string;
  detail?: string;
}

/** What an action answers: `ok`, or why it did nothing (a refusal a person reads). */
export type ActionOutcome = { ok: true } | { ok: false; message: string };

/** An order action whose refusal (the order's own, e.g. its workflow's validator) is shown, not thrown; an outcome it answers stands. */
export async function refusalShown(action: () => Promise<unknown>): Promise<ActionOutcome> {
  try {
    const done = await action();
    if (typeof done === 'object' && done !== null && 'ok' in done) return done as ActionOutcome;
    return { ok: true };
  } catch (error) {
    if (
      error instanceof FulfillmentRefusedError ||
      error instanceof InvoiceStatusConflictError ||
      error instanceof PaypalCaptureInFlightError
    )
      return { ok: false, message: error.message };
    throw error;
  }
}

/**
 * Runs an ops action and records who took it, when, on what, why and what came of it,
 * whether it worked, was refused or failed; a failure is recorded, then thrown.
 */
export async function audited(
  db: Db,
  session: ConsoleSession,
  entry: AuditedAction,
  run: () => Promise<ActionOutcome>,
): Promise<ActionOutcome> {
  const record = (outcome: string) =>
    db
      .insertInto('ops_audit_log')
      .values({
        store_id: session.store.id,
        api_key_id: session.apiKeyId,
        actor: session.actor,
        subject_type: entry.subjectType,
        subject_id: entry.subjectId,
        invoice_id: entry.invoiceId,
        action: entry.action,
        reason: entry.reason,
        outcome,
        detail: entry.detail ?? null,
      })
      .execute();
  let outcome: ActionOutcome;
  try {
    outcome = await run();
  } catch (error) {
    await record(`failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500));
    throw error;
  }
  await record(outcome.ok ? 'ok' : `refused: ${outcome.message}`.slice(0, 500));
  return outcome;
}

export async function auditOfOrder(db: Db, storeId: number, invoiceId: number) {
  return db
    .selectFrom('ops_audit_log')
    .select(['id', 'actor', 'subject_type', 'subject_id', 'action', 'reason', 'outcome', 'detail', 'created_at'])
    .where('store_id', '=', storeId)
    .where('invoice_id', '=', invoiceId)
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
}
