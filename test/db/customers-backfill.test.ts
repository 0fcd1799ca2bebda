import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations';
import { createTestDatabase } from '../helpers/database';

/** Migration 0029 gives every invoice made before it its customer: one per store, world and e-mail (any case). */
it('backfills customers from the invoices already there', async () => {
  // Postgres when the run has one (much faster than embedded for two migration passes).
  const database = await createTestDatabase({ kind: process.env.DATABASE_URL ? 'postgres' : 'embedded' });
  const db = database.db;
  try {
    await sql`drop schema public cascade`.execute(db);
    await sql`create schema public`.execute(db);
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0029'));
    const migrated = await new Migrator({ db, provider: { getMigrations: async () => before } }).migrateToLatest();
    expect(migrated.error).toBeUndefined();

    await sql`insert into accounts (name) values ('a')`.execute(db);
    await sql`insert into stores (account_id, slug, name) values (1, 'one', 'One'), (1, 'two', 'Two')`.execute(db);
    const invoice = (store: number, live: boolean, email: string, createdAt: string) => sql`
      insert into invoices (store_id, livemode, status_history, customer_email, payment_method, currency, subtotal_cents, total_cents,
                            units, gateway, expires_at, created_at)
      values (${store}, ${live}, '[]'::jsonb, ${email}, 'PAYPAL', 'USD', 100, 100, 1, '{}'::jsonb, now(), ${createdAt}::timestamptz)`;
    await invoice(1, true, 'Ann@E.co', '2026-01-02T00:00:00Z').execute(db);
    await invoice(1, true, 'ann@e.co', '2026-01-01T00:00:00Z').execute(db);
    await invoice(1, true, 'bob@e.co', '2026-01-03T00:00:00Z').execute(db);
    await invoice(1, false, 'ann@e.co', '2026-01-04T00:00:00Z').execute(db);
    await invoice(2, true, 'ann@e.co', '2026-01-05T00:00:00Z').execute(db);

    await migrations['0029_customers']!.up(db as never);

    const customers = await sql<{ id: number; store_id: number; livemode: boolean; email: string; created_at: Date }>`
      select id, store_id, livemode, email, created_at from customers order by store_id, livemode desc, email`.execute(db);
    expect(customers.rows.map((c) => [c.store_id, c.livemode, c.email, c.created_at.toISOString()])).toEqual([
      [1, true, 'ann@e.co', '2026-01-01T00:00:00.000Z'],
      [1, true, 'bob@e.co', '2026-01-03T00:00:00.000Z'],
      [1, false, 'ann@e.co', '2026-01-04T00:00:00.000Z'],
      [2, true, 'ann@e.co', '2026-01-05T00:00:00.000Z'],
    ]);
    const links = await sql<{ customer_email: string; store_id: number; livemode: boolean; email: string; same_world: boolean }>`
      select i.customer_email, c.email, (c.store_id = i.store_id and c.livemode = i.livemode) as same_world
      from invoices i join customers c on c.id = i.customer_id order by i.id`.execute(db);
    expect(links.rows).toHaveLength(5);
    for (const link of links.rows) {
      expect(link.email).toBe(link.customer_email.toLowerCase());
      expect(link.same_world).toBe(true);
    }
    // The two spellings of Ann's address in store one's live world are one customer.
    const ann = await sql<{
      n: string;
    }>`select count(distinct customer_id) as n from invoices where store_id = 1 and livemode and lower(customer_email) = 'ann@e.co'`.execute(
      db,
    );
    expect(Number(ann.rows[0]!.n)).toBe(1);
  } finally {
    await database.close();
  }
}, 180_000);
