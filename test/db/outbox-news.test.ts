import pg from 'pg';
import { createStore } from '../../src/accounts/stores';
import { recordEvent } from '../../src/events/record';
import { relayGoesToSleep } from '../../src/outbox/relay-wakeups';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/**
 * The outbox's news triggers (migrations 0025, 0026) notify only while a relay sleeps: a
 * NOTIFY serialises commits database-wide, so writers must not pay it while the relay is awake
 * and will look anyway. A writer that looked before the relay said it sleeps is waited out by
 * the relay, so its work is never slept through. LISTEN/NOTIFY is Postgres's: this runs on it.
 */
let database: TestDatabase;
let listener: pg.Client;
let heard: string[] = [];
let storeId: number;
const QUEUE = 'outbox-news-test';

beforeAll(async () => {
  database = await createTestDatabase({ kind: 'postgres' });
  listener = new pg.Client({ connectionString: database.env.DATABASE_URL });
  await listener.connect();
  listener.on('notification', (n) => heard.push(n.payload ?? ''));
  await listener.query('listen sellflow_outbox');
  storeId = (await database.db.transaction().execute((trx) => createStore(trx, { slug: 'outbox-news' }))).store.id;
});
afterAll(async () => {
  await listener.end();
  await database.close();
});

/** NOTIFY is delivered after commit; a round trip on the listener's own connection flushes what is due. */
async function news(): Promise<string[]> {
  await new Promise((r) => setTimeout(r, 100));
  await listener.query('select 1');
  const told = heard;
  heard = [];
  return told;
}

const setRelay = (sleeping: boolean, wakeAt: Date | null) =>
  database.db
    .insertInto('relay_state')
    .values({ task_queue: QUEUE, sleeping, wake_at: wakeAt, updated_at: new Date() })
    .onConflict((oc) => oc.column('task_queue').doUpdateSet({ sleeping, wake_at: wakeAt }))
    .execute();

const event = () => recordEvent(database.db, { storeId, livemode: true, type: 'product.created', data: { id: 1 } });

function insertInvoice(expiresAt: Date) {
  return database.db
    .insertInto('invoices')
    .values({
      store_id: storeId,
      livemode: true,
      status_history: JSON.stringify([]),
      customer_email: 'buyer@example.com',
      customer_ip: null,
      country: null,
      vat_id: null,
      payment_method: 'PAYPAL',
      coupon_code: null,
      affiliate: null,
      currency: 'USD',
      subtotal_cents: 100,
      total_cents: 100,
      units: 1,
      gateway: JSON.stringify({}),
      replacement_of: null,
      expires_at: expiresAt,
      paid_at: null,
      completed_at: null,
    })
    .execute();
}

beforeEach(async () => {
  await setRelay(false, null);
  await news();
});

it('tells no one while the relay is awake', async () => {
  await event();
  await insertInvoice(new Date(Date.now() + 60_000));
  expect(await news()).toEqual([]);
});

it('tells a sleeping relay of an event', async () => {
  await setRelay(true, new Date(Date.now() + 5 * 60_000));
  await event();
  expect(await news()).toEqual(['events']);
});

it('tells a sleeping relay of an invoice only when it expires before the relay means to wake', async () => {
  await setRelay(true, new Date(Date.now() + 5 * 60_000));
  await insertInvoice(new Date(Date.now() + 60 * 60_000));
  expect(await news()).toEqual([]);
  await insertInvoice(new Date(Date.now() + 60_000));
  expect(await news()).toEqual(['invoices']);
});

it('a relay going to sleep waits out a writer that looked while it was awake, then sees its work', async () => {
  await database.db.updateTable('events').set({ dispatched_at: new Date() }).where('dispatched_at', 'is', null).execute();
  const writer = await database.pool.connect();
  try {
    await writer.query('begin');
    await writer.query(
      `insert into events (id, store_id, livemode, type, data) values ('evt_outbox_news', $1, true, 'product.created', '{}')`,
      [storeId],
    );
    let settled = false;
    const sleep = relayGoesToSleep(database.db, QUEUE, new Date(Date.now() + 5 * 60_000)).then((owed) => ((settled = true), owed));
    await new Promise((r) => setTimeout(r, 300));
    // The writer saw an awake relay and told no one; the relay must not have looked past it.
    expect(settled).toBe(false);
    await writer.query('commit');
    expect(await sleep).toBe(true);
    expect(await news()).toEqual([]);
  } finally {
    writer.release();
  }
});
