import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../src/db/schema';
import type { StripeGateway } from '../src/gateways/stripe-gateway';
import type { SecretBox } from '../src/security/secret-box';
import { reconcileSubscription, recordRepairs } from '../src/subscriptions/reconcile';

/** The daily reconciliation's steps: open a run, check subscriptions in batches, close it. */
export function createReconciliationActivities(deps: { db: Db; secrets: SecretBox; stripe: StripeGateway; client?: Client; taskQueue?: string }) {
  const { db } = deps;
  // Open subscriptions, and ended ones whose revoke or provider stop has not happened.
  const candidates = () =>
    db.selectFrom('subscriptions').where((eb) => eb.or([eb('status', 'in', ['ACTIVE', 'PAST_DUE']), eb('entitlements_revoked_at', 'is', null), eb('provider_ended_at', 'is', null)]));

  return {
    async openReconciliation(input: { trigger: string }): Promise<{ reconciliationId: number }> {
      const { total } = await candidates().select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
      const run = await db.insertInto('subscription_reconciliations').values({ trigger: input.trigger, total: Number(total), finished_at: null }).returning('id').executeTakeFirstOrThrow();
      return { reconciliationId: run.id };
    },

    /** Checks the next batch after `afterId`; progress is visible on the run as it goes. */
    async reconcileBatch(input: { reconciliationId: number; afterId: number; limit: number }): Promise<{ lastId: number | null; checked: number; repaired: number }> {
      const { client, taskQueue } = deps;
      if (!client || !taskQueue) throw new Error('reconcileBatch needs a Temporal client');
      const ids = await candidates().select('id').where('id', '>', input.afterId).orderBy('id').limit(input.limit).execute();
      let repaired = 0;
      for (const { id } of ids) {
        const repairs = await reconcileSubscription({ db, secrets: deps.secrets, stripe: deps.stripe, client, taskQueue }, id);
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
