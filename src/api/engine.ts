import type { EngineConnection } from '../outbox/engine-intents';
import type { ApiDependencies } from './context';

/** What the routes need to tell the engine of a committed change (through the engine outbox). */
export function engineOf(deps: ApiDependencies): EngineConnection {
  return {
    db: deps.db,
    client: deps.temporal.client,
    taskQueue: deps.taskQueue,
    crypto: deps.config.crypto,
    failpoints: deps.config.failpoints,
  };
}
