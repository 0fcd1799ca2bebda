import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DatabaseHandle, openEmbedded } from '../../src/db/connect';
import { openScratchPostgres } from '../../src/db/scratch-database';
import { migrateToLatest } from '../../src/db/migrate';

/** The machine's Postgres, for tests that need several processes on one database. */
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A fresh, migrated database for one test file: a new database on the Postgres named by
 * DATABASE_URL when set (as in CI), embedded PGlite in a temp directory otherwise.
 * `kind: 'postgres'` insists on Postgres (DATABASE_URL, else the local server): embedded
 * PGlite serves one process well, not several writing at once.
 */
export interface TestDatabase extends DatabaseHandle {
  /** How another process reaches it: DATABASE_URL, or SELLFLOW_DATA_DIR for embedded. */
  env: { DATABASE_URL?: string; SELLFLOW_DATA_DIR?: string };
}

export async function createTestDatabase(options: { kind?: 'postgres' | 'embedded' } = {}): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  const kind = options.kind ?? (url ? 'postgres' : 'embedded');
  const handle = kind === 'postgres' ? await createPostgresDatabase(url ?? LOCAL_POSTGRES) : await createEmbeddedDatabase();
  await migrateToLatest(handle.db);
  // Workflow ids derive from row ids (order-<id>, grant-<id>, subscription-<id>) and every test
  // database starts its ids at 1, while all test files share one Temporal server: a grant-1 still
  // running from an earlier file would swallow this file's grant 1. Start every sequence elsewhere.
  const sequences = await sql<{
    name: string;
  }>`select c.relname as name from pg_class c where c.relkind = 'S' and pg_table_is_visible(c.oid)`.execute(handle.db);
  for (const { name } of sequences.rows) {
    await sql`select setval(${name}::regclass, ${randomInt(1, 2 ** 30)})`.execute(handle.db);
  }
  return handle;
}

async function createPostgresDatabase(adminUrl: string): Promise<TestDatabase> {
  const handle = await openScratchPostgres(adminUrl, 'sellflow_test', 5);
  return { ...handle, env: { DATABASE_URL: handle.url } };
}

async function createEmbeddedDatabase(): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-pglite-'));
  const handle = await openEmbedded(path.join(dir, 'pglite'), { own: true });
  return {
    ...handle,
    env: { SELLFLOW_DATA_DIR: dir },
    async close() {
      await handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
