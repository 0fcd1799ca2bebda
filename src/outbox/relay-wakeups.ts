import { type Expression, sql } from 'kysely';
import type { Db } from '../db/schema';
import { awaitingExpiry } from '../orders/expire-invoices';
import { RELAY_AFTER_MS } from './engine-intents';

/**
 * The relay sleeps until there is work, instead of polling the engine: at the end of an empty
 * round it writes that it sleeps and until when (the next intent or invoice expiry coming
 * due, or the sweep ceiling), and a worker that hears of news (Postgres NOTIFY, or a cheap
 * database tick on the embedded engine) flips `sleeping` back and signals it. The flip is one
 * conditional UPDATE, so of several workers exactly one signals, and only when needed. Writers
 * notify only while a relay sleeps (a NOTIFY serialises commits database-wide).
 */

/** The longest the relay sleeps without news: the sweep for whatever no worker told it (a lost NOTIFY, a worker killed mid-wake). */
export const RELAY_SWEEP_MS = 5 * 60_000;

/**
 * The advisory lock every outbox writer holds shared to the end of its transaction (the news
 * triggers of migration 0026, which notify only while a relay sleeps).
 */
export const RELAY_SLEEP_LOCK = 5_311_207_026;

const RELAY_AFTER = sql.lit(`${RELAY_AFTER_MS} milliseconds`);

/** Work the relay owes now, or before `before` (its planned wake). Intents it already tried wake it on its own schedule. */
function owedWork(before: Expression<Date | null>) {
  return sql<boolean>`(
    exists (select 1 from events where dispatched_at is null)
    or exists (select 1 from community_grants where revoke_requested_at is not null and revoke_signaled_at is null)
    or exists (select 1 from engine_intents where delivered_at is null and attempts = 0 and created_at < now() - ${RELAY_AFTER}::interval)
    or exists (select 1 from invoices where ${awaitingExpiry()} and expires_at < ${before})
  )`;
}

/**
 * The relay's round found nothing: record that it sleeps until `wakeAt`, then look once more,
 * so news committed between the round's reads and this write is not slept through. Returns
 * true when there is work after all (the relay goes round again instead).
 */
export async function relayGoesToSleep(db: Db, taskQueue: string, wakeAt: Date): Promise<boolean> {
  await db
    .insertInto('relay_state')
    .values({ task_queue: taskQueue, sleeping: true, wake_at: wakeAt, updated_at: new Date() })
    .onConflict((oc) => oc.column('task_queue').doUpdateSet({ sleeping: true, wake_at: wakeAt, updated_at: new Date() }))
    .execute();
  // Writers that looked at relay_state before it said "sleeping" told no one: wait them out
  // (each holds the shared lock to its end), so the look below sees what they wrote.
  await db.transaction().execute((trx) => sql`select pg_advisory_xact_lock(${RELAY_SLEEP_LOCK})`.execute(trx));
  return wakeIfOwed(db, taskQueue);
}

/** Claims the wake-up (sleeping → awake) when the relay sleeps through owed work; true for the one caller that must signal it. */
export async function wakeIfOwed(db: Db, taskQueue: string): Promise<boolean> {
  const row = await db
    .updateTable('relay_state')
    .set({ sleeping: false, updated_at: new Date() })
    .where('task_queue', '=', taskQueue)
    .where('sleeping', '=', true)
    .where(({ ref }) => owedWork(ref('wake_at')))
    .returning('task_queue')
    .executeTakeFirst();
  return row !== undefined;
}

/** Intents committed but not yet told: the caller tells them at once; if it died, they come due after `RELAY_AFTER_MS`. */
export async function intentsInFlight(db: Db): Promise<boolean> {
  const row = await db.selectFrom('engine_intents').select('id').where('delivered_at', 'is', null).limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * When the relay next has something to do without news: an intent coming due (one it failed
 * to tell is retried after 2, 4, 8 … at most 60 s), or an unpaid invoice expiring.
 */
export async function nextRelayDue(db: Db): Promise<Date | null> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('engine_intents')
        .select(
          sql<Date | null>`min(case when attempts = 0 then created_at + ${RELAY_AFTER}::interval
            else now() + least(power(2, attempts), 60) * interval '1 second' end)`.as('due'),
        )
        .where('delivered_at', 'is', null)
        .as('intent_due'),
      eb
        .selectFrom('invoices')
        .select(sql<Date | null>`min(expires_at)`.as('due'))
        .where(awaitingExpiry())
        .as('expiry_due'),
    ])
    .executeTakeFirstOrThrow();
  const dues = [row.intent_due, row.expiry_due].filter((d): d is Date => d !== null).map((d) => new Date(d).getTime());
  return dues.length === 0 ? null : new Date(Math.min(...dues));
}
