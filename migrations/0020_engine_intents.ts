import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // What the engine must hear of a committed change (start, signal), written in the change's
  // own transaction; the relay delivers it after commit and again after any crash.
  await db.schema
    .createTable('engine_intents')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'integer', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();
  await sql`create index engine_intents_pending_idx on engine_intents (created_at) where delivered_at is null`.execute(db);
  await db.schema.createIndex('engine_intents_subject_idx').on('engine_intents').columns(['kind', 'subject_id']).execute();
}
