import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { runCli } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';
import { stripeWebhook, subscribe } from '../helpers/subscription-fixtures';

/** `sellflow subscriptions list` and `subscriptions reconcile` as ops would run them. */
const prefix = `subs-cli-${randomUUID()}`;
const ENCRYPTION_KEY = 'd'.repeat(64);
let h: Harness;
let stripe: StripeBilling;
beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({
    worker: true,
    taskQueue: mainTaskQueue(prefix),
    database: 'postgres',
    env: { STRIPE_API_BASE: stripe.url, SELLFLOW_ENCRYPTION_KEY: ENCRYPTION_KEY },
  });
});
afterAll(async () => {
  await h.close();
  await stripe.close();
});

it('lists a store’s subscriptions and reconciles a lost workflow, printing one JSON report', async () => {
  const store = await h.createStore();
  await request(h.app)
    .put('/api/v2/settings/payment-methods/STRIPE')
    .set('Authorization', `Bearer ${store.live}`)
    .send({ secret_key: 'sk_live_cli', webhook_secret: 'whsec_cli' })
    .expect(200);
  const sub = await subscribe(h, store.live, stripe, stripeWebhook(h, store.slug, 'whsec_cli'), 3600);
  await h.temporal.client.workflow.getHandle(workflowIds.subscription(sub.id)).terminate('lost');
  const env = {
    ...h.database.env,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    SELLFLOW_DATA_DIR: h.config.dataDir,
    SELLFLOW_ENCRYPTION_KEY: ENCRYPTION_KEY,
  };

  const listed = await runCli(['subscriptions', 'list', '--store', store.slug, '--status', 'ACTIVE', '--json'], env);
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout).subscriptions.map((s: { id: number }) => s.id)).toEqual([sub.id]);
  expect((await runCli(['subscriptions', 'list', '--status', 'LIVE', '--json'], env)).code).toBe(1);

  const reconciled = await runCli(['subscriptions', 'reconcile', '--json'], env);
  expect(reconciled.code).toBe(0);
  const report = JSON.parse(reconciled.stdout);
  expect(report.checked).toBeGreaterThanOrEqual(1);
  expect(report.repairs).toEqual(
    expect.arrayContaining([expect.objectContaining({ subscription_id: sub.id, problem: 'missing_workflow', action: 'workflow_started' })]),
  );
  const described = await h.temporal.client.workflow.getHandle(workflowIds.subscription(sub.id)).describe();
  expect(described.status.name).toBe('RUNNING');
}, 120_000);
