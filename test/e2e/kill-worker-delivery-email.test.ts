import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { startSmtpSink } from '../fakes/smtp-sink';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { spawnWorker } from '../helpers/worker-process';

/**
 * One delivery e-mail across a crash: a real `sellflow worker` is SIGKILLed while its SMTP
 * server holds back the reply to the e-mail's DATA, and a new worker is started. The order's
 * retried activity finds the dead attempt's lease, waits it out, and sends; the sink ends with
 * exactly one e-mail for the order.
 */
const prefix = `kill-mail-${randomUUID()}`;
let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;

beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startHarness({ taskQueue: mainTaskQueue(prefix), database: 'postgres' });
});
afterAll(async () => {
  await h.close();
  await smtp.close();
});

const startWorker = () => spawnWorker(h, prefix, { SMTP_URL: smtp.url, SMTP_FROM: 'Sellflow <no-reply@sellflow.test>' });

it('sends the buyer exactly one delivery e-mail when the worker is killed mid-send', async () => {
  const store = await h.createStore();
  const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
  // The first message's reply never comes while its worker lives.
  Object.assign(smtp.control, { stalls: 1, stallMs: 20_000 });
  let worker = startWorker();
  try {
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['TEXT'], data: { serials: 'KILL-1' } } });
    await worker.up;
    const created = await api('post', '/invoices', {
      customer_email: 'killed@example.com',
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity: 1 } },
    });
    const id: number = created.body.data.id;
    await api('patch', `/invoices/${id}/mark-completed`).expect(200);
    await waitFor(
      () => Promise.resolve(smtp.control.stalling),
      (n) => n === 1,
      30_000,
    );
    worker.child.kill('SIGKILL');
    await new Promise((resolve) => worker.child.once('exit', resolve));
    // Killed mid-send: the row is claimed, its lease live, nothing at the sink.
    const row = await h.db.selectFrom('delivery_emails').selectAll().where('invoice_id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'sending', attempts: 1 });
    expect(row.sending_until!.getTime()).toBeGreaterThan(Date.now());
    expect(smtp.mails).toHaveLength(0);

    worker = startWorker();
    await worker.up;
    const sent = await waitFor(
      () => h.db.selectFrom('delivery_emails').selectAll().where('invoice_id', '=', id).executeTakeFirstOrThrow(),
      (r) => r.status === 'sent',
      90_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- worker log ---\n${worker.log.join('').slice(-4000)}`);
    });
    expect(sent.attempts).toBe(2);
    // The killed attempt's socket died with it: the stalled server dropped that copy.
    await waitFor(
      () => Promise.resolve(smtp.control.stalling),
      (n) => n === 0,
      30_000,
    );
    expect(smtp.control.dropped).toBe(1);
    const mails = smtp.mails.filter((m) => m.to.includes('killed@example.com'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.raw).toContain(`Message-ID: <invoice-${id}.order@sellflow.test>`);
    const invoice = (await api('get', `/invoices/${id}`)).body.data;
    expect(invoice.status.status.status).toBe('COMPLETED');
    expect(invoice.delivery.needs_attention).toBe(false);
  } finally {
    worker.child.kill('SIGKILL');
  }
}, 180_000);
