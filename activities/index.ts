import type { Db } from '../src/db/schema';
import type { Logger } from '../src/logger';
import { createPingActivities } from './ping';

export interface ActivityDependencies {
  db: Db;
  logger: Logger;
}

/** Every activity the worker registers, built from injected dependencies. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createPingActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
