import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { waitFor } from '../helpers/catalog-fixtures';
import { spawnCli, waitForOutput } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';
import { stripeWebhook, subscribe } from '../helpers/subscription-fixtures';

/**
 * Refunds exactly once across a crash: five subscriptions are canceled now with a refund,
 * Stripe (the fake) makes each refund at once but answers late, and the real `sellflow
 * worker` process is SIGKILLed while replies are outstanding. The new worker retries; Stripe
 * sees the same Idempotency-Key and returns the first refund instead of making another.
 */
const SUBSCRIPTIONS = 5;
const WEBHOOK_SECRET = 'whsec_killworker';
const ENCRYPTION_KEY = 'c'.repeat(64);
const prefix = `kill-subs-${randomUUID()}`;
let h: Harness;
let stripe: StripeBilling;

beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({
    taskQueue: mainTaskQueue(prefix),
    database: 'postgres',
    env: { STRIPE_API_BASE: stripe.url, SELLFLOW_ENCRYPTION_KEY: ENCRYPTION_KEY },
  });
});
afterAll(async () => {
  await h.close();
  await stripe.close();
});

function startWorker() {
  const child = spawnCli(['worker'], {
    ...h.database.env,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    SELLFLOW_DATA_DIR: h.config.dataDir,
    SELLFLOW_ENCRYPTION_KEY: ENCRYPTION_KEY,
    STRIPE_API_BASE: stripe.url,
  });
  return { child, up: waitForOutput(child, /worker is up/, 60_000) };
}

it('refunds and revokes each canceled subscription exactly once when the worker is killed mid-refund', async () => {
  const store = await h.createStore();
  const api = (method: 'get' | 'patch' | 'put', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_killworker', webhook_secret: WEBHOOK_SECRET }).expect(200);
  const webhook = stripeWebhook(h, store.slug, WEBHOOK_SECRET);
  let worker = startWorker();
  try {
    await worker.up;
    const subs: Awaited<ReturnType<typeof subscribe>>[] = [];
    for (let i = 0; i < SUBSCRIPTIONS; i += 1) subs.push(await subscribe(h, store.live, stripe, webhook, 3600));

    stripe.slowReplies('/v1/refunds', 4000);
    for (const sub of subs)
      await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: false, refund_last_payment: true }).expect(200);
    await waitFor(
      () => Promise.resolve(stripe.refunds.length),
      (n) => n >= 1,
      30_000,
    );
    worker.child.kill('SIGKILL');
    await new Promise((resolve) => worker.child.once('exit', resolve));
    // The kill landed while refunds were made but not yet acknowledged.
    const acknowledged = await h.db
      .selectFrom('subscription_payments')
      .select('id')
      .where('provider_refund_id', 'is not', null)
      .where(
        'subscription_id',
        'in',
        subs.map((s) => s.id),
      )
      .execute();
    expect(acknowledged.length).toBeLessThan(SUBSCRIPTIONS);

    stripe.slowReplies('/v1/refunds', 0);
    worker = startWorker();
    await worker.up;
    await waitFor(
      () =>
        h.db
          .selectFrom('subscription_payments')
          .select('provider_refund_id')
          .where(
            'subscription_id',
            'in',
            subs.map((s) => s.id),
          )
          .execute(),
      (rows) => rows.every((r) => r.provider_refund_id !== null),
      120_000,
    );
    for (const sub of subs) await webhook(stripe.deletedEvent(sub.stripeId));

    for (const sub of subs) {
      const made = stripe.refunds.filter((r) => r.metadata.subscription_id === String(sub.id));
      expect(made.map((r) => r.amount)).toEqual([1500]);
      const asked = stripe.requests.filter(
        (r) => r.path === '/v1/refunds' && (r.body.metadata as Record<string, string>).subscription_id === String(sub.id),
      );
      expect(new Set(asked.map((r) => r.idempotencyKey)).size).toBe(1);
      const row = (await api('get', `/subscriptions/${sub.id}`).expect(200)).body.data;
      expect(row).toMatchObject({ status: 'CANCELED', cancellation_in_progress: false });
      const keys = await waitFor(
        () => h.db.selectFrom('license_keys').select('active').where('invoice_id', '=', sub.invoiceId).execute(),
        (rows) => rows.every((k) => !k.active),
        30_000,
      );
      expect(keys.map((k) => k.active)).toEqual([false]);
    }
    // At least one refund was asked twice (before and after the kill) and made once.
    expect(stripe.requests.filter((r) => r.path === '/v1/refunds').length).toBeGreaterThan(SUBSCRIPTIONS);
  } finally {
    worker.child.kill('SIGKILL');
  }
}, 240_000);
