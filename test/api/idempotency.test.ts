import { sql } from 'kysely';
import request from 'supertest';
import { issueApiKey } from '../../src/accounts/api-keys';
import { requestFingerprint } from '../../src/api/middleware/idempotency';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let variantId: number;

beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
  ({ variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } } }));
});
afterAll(() => h.close());

const order = (email: string) => ({ customer_email: email, payment_method: 'STRIPE', product_variants: { [variantId]: { quantity: 1 } } });
const createInvoice = (key: string, idempotencyKey: string, body: object) =>
  request(h.app).post('/api/v2/invoices').set('Authorization', `Bearer ${key}`).set('Idempotency-Key', idempotencyKey).send(body);
const invoicesOf = async (email: string) =>
  (await h.db.selectFrom('invoices').select('id').where('customer_email', '=', email).execute()).length;

describe('Idempotency-Key', () => {
  it('answers a retried create with the first response and creates one invoice', async () => {
    const first = await createInvoice(store.live, 'retry-1', order('retry@e.co'));
    expect(first.status).toBe(201);
    const again = await createInvoice(store.live, 'retry-1', order('retry@e.co'));
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await invoicesOf('retry@e.co')).toBe(1);
  });

  it('refuses the same key with another body (422) and makes nothing', async () => {
    await createInvoice(store.live, 'reuse-1', order('first@e.co')).expect(201);
    const other = await createInvoice(store.live, 'reuse-1', order('second@e.co'));
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'idempotency_key_mismatch', param: 'Idempotency-Key' });
    expect(await invoicesOf('second@e.co')).toBe(0);
  });

  it('lets concurrent requests with one key make one effect', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => createInvoice(store.live, 'burst-1', order('burst@e.co'))));
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses).toContain(201);
    for (const refused of answers.filter((a) => a.status === 409)) {
      expect(refused.body.error.code).toBe('idempotency_key_in_use');
      expect(refused.headers['retry-after']).toBe('1');
    }
    expect(await invoicesOf('burst@e.co')).toBe(1);
    // Once answered, every retry gets that answer.
    const settled = await createInvoice(store.live, 'burst-1', order('burst@e.co')).expect(201);
    expect(settled.body.data.id).toBe(answers.find((a) => a.status === 201)!.body.data.id);
  });

  it('keeps keys per API key, replays errors below 500, and forgets a key after 24 h', async () => {
    const other = await issueApiKey(h.db, {
      accountId: store.accountId,
      storeId: store.id,
      mode: 'live',
      scopes: ['invoices:write', 'invoices:read'],
    });
    await createInvoice(store.live, 'shared-name', order('a@e.co')).expect(201);
    await createInvoice(other.key, 'shared-name', order('b@e.co')).expect(201);
    expect(await invoicesOf('b@e.co')).toBe(1);

    const invalid = { ...order('c@e.co'), payment_method: 'NOT_A_METHOD' };
    const refused = await createInvoice(store.live, 'invalid-1', invalid);
    expect(refused.status).toBe(422);
    const replayed = await createInvoice(store.live, 'invalid-1', invalid);
    expect({ status: replayed.status, replayed: replayed.headers['idempotent-replayed'] }).toEqual({ status: 422, replayed: 'true' });

    await h.db
      .updateTable('idempotency_keys')
      .set({ created_at: new Date(Date.now() - 25 * 3600_000) })
      .where('key', '=', 'reuse-1')
      .execute();
    await createInvoice(store.live, 'reuse-1', order('later@e.co')).expect(201);
    expect(await invoicesOf('later@e.co')).toBe(1);
  });

  it('takes over a key whose first request never finished (its process died before answering)', async () => {
    const key = await h.db
      .selectFrom('api_keys')
      .select('id')
      .where('store_id', '=', store.id)
      .where('mode', '=', 'live')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const body = order('orphan@e.co');
    const fingerprint = requestFingerprint('POST', '/api/v2/invoices', body);
    await h.db
      .insertInto('idempotency_keys')
      .values({ api_key_id: key.id, key: 'orphan-1', fingerprint, status: null, response: null })
      .execute();
    // Still fresh: the first may be running, so a retry waits.
    expect((await createInvoice(store.live, 'orphan-1', body)).status).toBe(409);
    await h.db
      .updateTable('idempotency_keys')
      // Unrenewed for 10 s: its process is gone (a live first request renews its claim every 2 s).
      // Set by the database itself, at its microsecond precision, as a real claim is.
      .set({ locked_at: sql<Date>`now() - interval '10 seconds'` })
      .where('key', '=', 'orphan-1')
      .execute();
    const taken = await createInvoice(store.live, 'orphan-1', body);
    expect(taken.status).toBe(201);
    expect(await invoicesOf('orphan@e.co')).toBe(1);
    expect((await createInvoice(store.live, 'orphan-1', body)).body).toEqual(taken.body);
  });

  it('finds the invoice a lost answer created instead of making a second one', async () => {
    const first = await createInvoice(store.live, 'lost-1', order('lost@e.co')).expect(201);
    // What a 5xx on the way out (after the commit) leaves: the key released, its answer unsaved.
    await h.db
      .updateTable('idempotency_keys')
      .set({ status: null, response: null, locked_at: new Date(0) })
      .where('key', '=', 'lost-1')
      .execute();
    const retried = await createInvoice(store.live, 'lost-1', order('lost@e.co')).expect(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.body.data.id).toBe(first.body.data.id);
    expect(await invoicesOf('lost@e.co')).toBe(1);
  });

  it('refuses a malformed key', async () => {
    const res = await createInvoice(store.live, 'x'.repeat(300), order('long@e.co'));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_idempotency_key');
  });
});
