import type { Config } from '../config';
import type { RateLimitStore } from './middleware/rate-limit';
import type { Db } from '../db/schema';
import type { Logger } from '../logger';
import type { ObjectStorage } from '../storage/object-storage';
import type { TemporalClient } from '../temporal/connection';

/** What the API needs from the rest of the process. */
export interface ApiDependencies {
  config: Config;
  db: Db;
  logger: Logger;
  temporal: TemporalClient;
  taskQueue: string;
  storage: ObjectStorage;
  /** Shared counters for rate limits (Postgres); absent, each process counts in memory. */
  rateLimitStore?: RateLimitStore;
}
