import type { Client } from '@temporalio/client';
import type { Db } from '../db/schema';
import { isTimeZone } from '../domain/payout-cycle';
import { AffiliateRuleError } from './errors';
import { ensurePayoutSchedule } from './payout-schedule';
import { type Program, type ProgramInput, saveProgram } from './program';

export interface ScheduleEngine {
  db: Db;
  client: Client;
  taskQueue: string;
}

/** The store's time zone, in which its payout cycles run. */
export async function storeTimeZone(db: Db, storeId: number): Promise<string> {
  return (await db.selectFrom('stores').select('timezone').where('id', '=', storeId).executeTakeFirstOrThrow()).timezone;
}

/** Payout cycles need an IANA zone: refused before anything is saved or started. */
export function assertPayoutTimeZone(timeZone: string): void {
  if (!isTimeZone(timeZone))
    throw new AffiliateRuleError('invalid_time_zone', `The store's time zone "${timeZone}" is not an IANA zone`, 'timezone');
}

/** Saves the program's settings; an enabled program gets its payout schedule, in the store's zone. */
export async function configureProgram(engine: ScheduleEngine, storeId: number, input: ProgramInput): Promise<Program> {
  const timeZone = await storeTimeZone(engine.db, storeId);
  if (input.enabled) assertPayoutTimeZone(timeZone);
  const program = await engine.db.transaction().execute((trx) => saveProgram(trx, storeId, input));
  if (program.enabled) await ensurePayoutSchedule(engine.client, engine.taskQueue, storeId, timeZone);
  return program;
}
