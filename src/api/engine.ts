import { type EngineConnection, engineConnection } from '../outbox/engine-intents';
import type { ApiDependencies } from './context';

/** What the routes need to tell the engine of a committed change (through the engine outbox). */
export function engineOf(deps: ApiDependencies): EngineConnection {
  return {
    ...engineConnection(deps.db, deps.temporal.client, deps.config, deps.taskQueue),
    mailer: { storage: deps.storage, mail: deps.config.notifications },
  };
}
