import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { PaypalCaptureInFlightError } from './errors';

/**
 * A PayPal capture call under way for an invoice. The capture activity claims the invoice (under
 * its row lock, then commits) before it calls PayPal, and lets go once PayPal's answer is applied
 * or PayPal refused; a call left unanswered lapses it but leaves it as a mark (lapseCapture). No
 * transaction stays open across PayPal's call, and a void by hand is refused while the claim
 * holds, since PayPal may be taking the money right then. The claim lapses on its own (the
 * database's clock): a worker that died mid-call blocks voids no longer than that, and the
 * activity's retry claims again.
 */
const CLAIM = 'capture_in_flight';

/** Longer than an attempt runs (30 s start-to-close; PayPal's calls time out after 20 s). */
const CAPTURE_CLAIM_SECONDS = 60;

/** Claims the invoice for this attempt (`token`), replacing a lapsed or earlier attempt's claim. */
export async function claimCapture(trx: DbExecutor, invoiceId: number, token: string): Promise<void> {
  await trx
    .updateTable('invoices')
    .set({
      gateway: sql`gateway || jsonb_build_object(${CLAIM}::text, jsonb_build_object(
        'token', ${token}::text, 'until', now() + make_interval(secs => ${CAPTURE_CLAIM_SECONDS})))`,
    })
    .where('id', '=', invoiceId)
    .execute();
}

/**
 * This attempt's call went unanswered (PayPal down, timed out, a reply lost): PayPal may have taken
 * the money. The claim lapses now, so a void may go ahead, but stays as a mark: an attempt that
 * then finds the invoice settled asks PayPal before it lets the order go (see the capture activity).
 */
export async function lapseCapture(db: DbExecutor, invoiceId: number, token: string): Promise<void> {
  await db
    .updateTable('invoices')
    .set({ gateway: sql`jsonb_set(gateway, ${`{${CLAIM},until}`}::text[], to_jsonb(now()))` })
    .where('id', '=', invoiceId)
    .where(sql<string>`gateway->${CLAIM}::text->>'token'`, '=', token)
    .execute();
}

/** Whether an attempt's call is unanswered or under way (a claim, lapsed or not). */
export const captureUnanswered = (gateway: unknown): boolean => typeof gateway === 'object' && gateway !== null && CLAIM in gateway;

/** Forgets whichever attempt's mark: PayPal's answer about the order is in. */
export async function forgetCapture(db: DbExecutor, invoiceId: number): Promise<void> {
  await db
    .updateTable('invoices')
    .set({ gateway: sql`gateway - ${CLAIM}::text` })
    .where('id', '=', invoiceId)
    .execute();
}

/** Lets go of this attempt's claim; a later attempt's claim (this one outlived its timeout) stays. */
export async function releaseCapture(db: DbExecutor, invoiceId: number, token: string): Promise<void> {
  await db
    .updateTable('invoices')
    .set({ gateway: sql`gateway - ${CLAIM}::text` })
    .where('id', '=', invoiceId)
    .where(sql<string>`gateway->${CLAIM}::text->>'token'`, '=', token)
    .execute();
}

/** Whether a capture call holds the invoice now: read under the caller's row lock, so a claim cannot start after it. */
const captureInFlight = sql<boolean>`coalesce((invoices.gateway->${sql.lit(CLAIM)}->>'until')::timestamptz > now(), false)`;

/**
 * A void, or a payment marked by hand, waits for PayPal's answer while a capture call holds the
 * invoice (read under the row lock): PayPal may be taking the money right then.
 */
export async function refuseWhileCapturing(trx: DbExecutor, invoiceId: number): Promise<void> {
  const row = await trx
    .selectFrom('invoices')
    .select(captureInFlight.as('capturing'))
    .where('id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (row.capturing) throw new PaypalCaptureInFlightError(invoiceId);
}
