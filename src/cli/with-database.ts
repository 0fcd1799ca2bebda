import { loadConfig } from '../config';
import { openDatabase } from '../db/connect';
import { migrateToLatest } from '../db/migrate';
import type { Db } from '../db/schema';

/**
 * Opens the configured database for one CLI command. With embedded PGlite this goes
 * through the running Sellflow process when there is one (it owns the data directory),
 * and opens the directory itself otherwise.
 */
export async function withDatabase<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const database = await openDatabase(loadConfig());
  try {
    await migrateToLatest(database.db);
    return await work(database.db);
  } finally {
    await database.close();
  }
}
