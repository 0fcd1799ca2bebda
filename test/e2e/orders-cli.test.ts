import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { runCli } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';

/** `sellflow orders stuck` and `orders retry` as ops would run them, against a live worker. */
const prefix = `ops-${randomUUID()}`;
let h: Harness;
beforeAll(async () => {
  // The CLI is a second process on the same database: Postgres.
  h = await startHarness({ worker: true, taskQueue: mainTaskQueue(prefix), database: 'postgres' });
});
afterAll(() => h.close());

it('lists stuck orders and retries them, reporting what recovered', async () => {
  const store = await h.createStore();
  const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
  const { productId, variantId } = await createVariant(h, store.live, { deliverable: { types: ['TEXT'], data: { serials: 'FIRST' } } });
  const ids: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    ids.push(
      (
        await api('post', '/invoices', {
          customer_email: 'o@e.co',
          payment_method: 'PAYPAL',
          product_variants: { [variantId]: { quantity: 1 } },
        })
      ).body.data.id,
    );
  }
  for (const id of ids) {
    await api('patch', `/invoices/${id}/mark-completed`).expect(200);
    await waitFor(
      () => api('get', `/invoices/${id}`).then((r) => r.body.data),
      (b) => b.status.status.status === 'COMPLETED' || b.delivery.needs_attention,
    );
  }
  const env = {
    ...h.database.env,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    SELLFLOW_DATA_DIR: h.config.dataDir,
  };

  const stuck = await runCli(['orders', 'stuck', '--store', store.slug, '--json'], env);
  expect(stuck.code).toBe(0);
  const listed = JSON.parse(stuck.stdout).orders;
  expect(listed.map((o: { id: number }) => o.id)).toEqual([ids[1], ids[2]]);
  expect(listed[0].failed_steps[0]).toMatchObject({ kind: 'serials', attempts: 1 });
  expect(listed[0].failed_steps[0].reason).toContain('Out of stock');

  // One more serial: one of the two recovers, the other fails again.
  await api('post', `/products/${productId}/variants/${variantId}/serials`, { serials: 'SECOND' }).expect(201);
  const partial = await runCli(['orders', 'retry', '--all-stuck', '--store', store.slug, '--json', '--wait', '60'], env);
  expect(partial.code).toBe(2);
  const summary = JSON.parse(partial.stdout);
  expect(summary.recovered).toHaveLength(1);
  expect(summary.still_stuck).toHaveLength(1);
  expect([...summary.recovered, ...summary.still_stuck].sort()).toEqual([ids[1], ids[2]].sort());

  await api('post', `/products/${productId}/variants/${variantId}/serials`, { serials: 'THIRD' }).expect(201);
  const last = await runCli(['orders', 'retry', String(summary.still_stuck[0]), String(ids[0]), '--json'], env);
  expect(last.code).toBe(0);
  expect(JSON.parse(last.stdout)).toEqual({
    recovered: [summary.still_stuck[0]],
    still_stuck: [],
    pending: [],
    not_stuck: [ids[0]],
    needs_manual_action: [],
  });
  const none = await runCli(['orders', 'stuck', '--store', store.slug, '--json'], env);
  expect(JSON.parse(none.stdout)).toEqual({ orders: [] });
}, 180_000);
