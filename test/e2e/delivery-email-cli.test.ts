import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { startSmtpSink } from '../fakes/smtp-sink';
import { createVariant } from '../helpers/catalog-fixtures';
import { runCli } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';

/** A delivery e-mail the SMTP server refused, found with `sellflow orders stuck` and sent again with `orders resend-notices`. */
const prefix = `mail-${randomUUID()}`;
let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
beforeAll(async () => {
  smtp = await startSmtpSink();
  // The CLI is a second process on the same database: Postgres.
  h = await startHarness({ worker: true, taskQueue: mainTaskQueue(prefix), database: 'postgres', env: { SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await h.close();
  await smtp.close();
});

it('lists an order whose e-mail failed and resends it', async () => {
  const store = await h.createStore();
  const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['TEXT'], data: { serials: 'ONLY-ONE' } } });
  const created = await api('post', '/invoices', {
    customer_email: 'cli-buyer@example.com',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  });
  const id: number = created.body.data.id;
  smtp.control.refusing = true;
  try {
    await api('patch', `/invoices/${id}/mark-completed`).expect(200);
    await h.temporal.client.workflow.getHandle(workflowIds.order(id)).result();
  } finally {
    smtp.control.refusing = false;
  }
  const env = {
    ...h.database.env,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    SELLFLOW_DATA_DIR: h.config.dataDir,
    SMTP_URL: smtp.url,
  };

  const stuck = await runCli(['orders', 'stuck', '--store', store.slug, '--json'], env);
  expect(stuck.code).toBe(0);
  const [listed] = JSON.parse(stuck.stdout).orders;
  expect(listed).toMatchObject({ id, status: 'COMPLETED' });
  expect(listed.attention_reason).toMatch(/^Delivery e-mail not sent: .*550/);

  const resent = await runCli(['orders', 'resend-notices', String(id), '--json'], env);
  expect(resent.code).toBe(0);
  expect(JSON.parse(resent.stdout)).toEqual({ notifications_sent: 1 });
  const mails = smtp.mails.filter((m) => m.to.includes('cli-buyer@example.com'));
  expect(mails).toHaveLength(1);
  expect(mails[0]!.raw).toContain('ONLY-ONE');
  const after = await runCli(['orders', 'stuck', '--store', store.slug, '--json'], env);
  expect(JSON.parse(after.stdout).orders).toEqual([]);
});
