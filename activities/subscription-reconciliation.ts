import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../src/db/schema';
import type { StripeGateway } from '../src/gateways/stripe-gateway';
import type { SecretBox } from '../src/security/secret-box';
import { type Repair, reconcileSubscription, recordRepairs } from '../src/subscriptions/reconcile';

/** The daily reconciliation's steps: open a run, check subscriptions in batches, close it. */
export function createReconciliationActivities(deps: {
  db: Db;
  secrets: SecretBox;
  stripe: StripeGateway;
  client?: Client;
  taskQueue?: string;
}) {
  const { db } = deps;
  // Open subscriptions, ended ones with work left, and ones that ended lately (Stripe may still bill them).
  const candidates = (storeId: number | null) => {
    const open = db
      .selectFrom('subscriptions')
      .where((eb) =>
        eb.or([
          eb('status', 'in', ['ACTIVE', 'PAST_DUE']),
          eb('entitlements_revoked_at', 'is', null),
          eb('provider_ended_at', 'is', null),
          eb('cancel_request_sent_at', 'is', null).and('cancel_request', 'is not', null),
          eb('ended_at', '>', sql<Date>`now() - interval '35 days'`),
        ]),
      );
    return storeId === null ? open : open.where('store_id', '=', storeId);
  };
  const storeOf = async (reconciliationId: number) =>
    (await db.selectFrom('subscription_reconciliations').select('store_id').where('id', '=', reconciliationId).executeTakeFirstOrThrow())
      .store_id;

  return {
    /** `storeId` confines the run to one store (a store's key asked for it); absent, every store. */
    async openReconciliation(input: { trigger: string; storeId?: number }): Promise<{ reconciliationId: number }> {
      const storeId = input.storeId ?? null;
      const { total } = await candidates(storeId)
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      const run = await db
        .insertInto('subscription_reconciliations')
        .values({ trigger: input.trigger, store_id: storeId, total: Number(total), finished_at: null })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { reconciliationId: run.id };
    },

    /** Checks the next batch after `afterId`; progress is visible on the run as it goes. */
    async reconcileBatch(input: {
      reconciliationId: number;
      afterId: number;
      limit: number;
    }): Promise<{ lastId: number | null; checked: number; repaired: number }> {
      const { client, taskQueue } = deps;
      if (!client || !taskQueue) throw new Error('reconcileBatch needs a Temporal client');
      const ids = await candidates(await storeOf(input.reconciliationId))
        .select('id')
        .where('id', '>', input.afterId)
        .orderBy('id')
        .limit(input.limit)
        .execute();
      let repaired = 0;
      for (const { id } of ids) {
        // A retried batch does not check (or report) a subscription twice in one run.
        const done = await db
          .selectFrom('subscription_repairs')
          .select('id')
          .where('reconciliation_id', '=', input.reconciliationId)
          .where('subscription_id', '=', id)
          .executeTakeFirst();
        if (done) continue;
        let repairs: Repair[];
        try {
          repairs = await reconcileSubscription({ db, secrets: deps.secrets, stripe: deps.stripe, client, taskQueue }, id);
        } catch (error) {
          // One broken subscription must not stop the run (or every later one).
          repairs = [
            { problem: 'check_failed', action: 'reported', detail: { reason: error instanceof Error ? error.message : String(error) } },
          ];
        }
        await recordRepairs(db, input.reconciliationId, id, repairs);
        repaired += repairs.length > 0 ? 1 : 0;
        await db
          .updateTable('subscription_reconciliations')
          .set({ checked: sql`checked + 1`, repaired: sql`repaired + ${repairs.length > 0 ? 1 : 0}` })
          .where('id', '=', input.reconciliationId)
          .execute();
        heartbeat(id);
      }
      return { lastId: ids.at(-1)?.id ?? null, checked: ids.length, repaired };
    },

    async closeReconciliation(input: { reconciliationId: number }): Promise<{ checked: number; repaired: number }> {
      const run = await db
        .updateTable('subscription_reconciliations')
        .set({ status: 'finished', finished_at: new Date() })
        .where('id', '=', input.reconciliationId)
        .returning(['checked', 'repaired'])
        .executeTakeFirstOrThrow();
      return run;
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
