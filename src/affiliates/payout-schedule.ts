import { type Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Db } from '../db/schema';
import type { Logger } from '../logger';
import { PAYOUT_DAYS_OF_MONTH } from '../domain/payout-cycle';
import type { WorkflowName, WorkflowSignatures } from '../temporal/contracts/workflows';

export const payoutScheduleId = (taskQueue: string, storeId: number) => `affiliate-payouts-${taskQueue}-${storeId}`;

function spec(timeZone: string) {
  return {
    calendars: [{ dayOfMonth: [...PAYOUT_DAYS_OF_MONTH], hour: 0, minute: 0, comment: 'affiliate payouts: 1st and 15th' }],
    timezone: timeZone,
  };
}

/**
 * The store's payout cycle as a Temporal Schedule: midnight on the 1st and 15th in the store's
 * time zone. Created when the program is enabled; an existing one keeps its paused state and
 * only follows a time-zone change.
 */
export async function ensurePayoutSchedule(client: Client, taskQueue: string, storeId: number, timeZone: string): Promise<void> {
  const scheduleId = payoutScheduleId(taskQueue, storeId);
  try {
    await client.schedule.create<WorkflowSignatures['affiliatePayoutCycle']>({
      scheduleId,
      spec: spec(timeZone),
      // Temporal appends each run's scheduled time to the workflow id.
      action: {
        type: 'startWorkflow',
        workflowType: 'affiliatePayoutCycle' satisfies WorkflowName,
        taskQueue,
        workflowId: `payouts-${storeId}`,
        args: [{ storeId, trigger: 'schedule' }],
      },
      // A missed cycle (server down) still runs when it comes back, within a day.
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '1 day' },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    const handle = client.schedule.getHandle(scheduleId);
    const current = await handle.describe();
    if (current.spec.timezone !== timeZone) await handle.update((previous) => ({ ...previous, spec: spec(timeZone) }));
  }
}

/** Every worker makes sure each enabled program has its schedule (the API may have failed midway). */
export async function ensurePayoutSchedules(client: Client, taskQueue: string, db: Db, logger: Logger): Promise<void> {
  const programs = await db
    .selectFrom('affiliate_programs as p')
    .innerJoin('stores as s', 's.id', 'p.store_id')
    .select(['p.store_id', 's.timezone'])
    .where('p.enabled', '=', true)
    .where('s.deleted_at', 'is', null)
    .execute();
  for (const program of programs) {
    // One store's problem (a bad time zone) must not keep the worker, and every order, down.
    try {
      await ensurePayoutSchedule(client, taskQueue, program.store_id, program.timezone);
    } catch (error) {
      logger.error({ err: error, storeId: program.store_id }, 'could not create the affiliate payout schedule');
    }
  }
}

export async function describePayoutSchedule(client: Client, taskQueue: string, storeId: number) {
  try {
    const description = await client.schedule.getHandle(payoutScheduleId(taskQueue, storeId)).describe();
    return {
      schedule_id: description.scheduleId,
      paused: description.state.paused,
      note: description.state.note || null,
      time_zone: description.spec.timezone ?? 'UTC',
      days_of_month: [...PAYOUT_DAYS_OF_MONTH],
      next_runs: description.info.nextActionTimes.slice(0, 4).map((d) => d.toISOString()),
      recent_runs: description.info.recentActions.map((a) => ({
        scheduled_at: a.scheduledAt.toISOString(),
        workflow_id: a.action.workflow.workflowId,
      })),
    };
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
}

/** Pauses or resumes the store's payout schedule; false when the store has none (the program was never enabled). */
export async function setPayoutSchedulePaused(
  client: Client,
  taskQueue: string,
  storeId: number,
  paused: boolean,
  note: string,
): Promise<boolean> {
  if (!(await describePayoutSchedule(client, taskQueue, storeId))) return false;
  const handle = client.schedule.getHandle(payoutScheduleId(taskQueue, storeId));
  await (paused ? handle.pause(note) : handle.unpause(note));
  return true;
}
