import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../migrations';
import { createTestDatabase } from '../helpers/database';

const kinds = process.env.DATABASE_URL ? (['embedded', 'postgres'] as const) : (['embedded'] as const);
// Every migration from empty on PGlite (WASM, one session over a socket) takes 15 s on a quiet
// 2-core machine and over 60 s while the rest of CI loads it; these tests check order and
// safety, not speed.
const MIGRATE_FROM_EMPTY_MS = 240_000;

describe.each(kinds)('migrations on an empty %s database', (kind) => {
  it(
    'apply every migration in order, and a second run applies nothing',
    async () => {
      // createTestDatabase has migrated already; a second run must be a no-op.
      const database = await createTestDatabase({ kind });
      try {
        const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
        expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
        expect(await migrateToLatest(database.db)).toEqual([]);
        const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(database.db);
        expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['accounts', 'api_keys', 'ping_runs', 'stores']));
      } finally {
        await database.close();
      }
    },
    MIGRATE_FROM_EMPTY_MS,
  );

  it(
    'is safe when two processes migrate at once',
    async () => {
      const database = await createTestDatabase({ kind });
      try {
        await sql`drop schema public cascade`.execute(database.db);
        await sql`create schema public`.execute(database.db);
        const results = await Promise.all([migrateToLatest(database.db), migrateToLatest(database.db)]);
        expect(results.flat().sort()).toEqual(Object.keys(migrations).sort());
      } finally {
        await database.close();
      }
    },
    MIGRATE_FROM_EMPTY_MS,
  );
});
