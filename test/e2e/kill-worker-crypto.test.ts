import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { startEsplora } from '../fakes/esplora';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { spawnCli, waitForOutput } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';

/**
 * Crypto money exactly once across a crash: a real `sellflow worker` is SIGKILLed while
 * cryptoPayment workflows are settling paid invoices, and a new one is started. Every invoice
 * is paid once (one order.paid each), delivered, and no payment is counted twice.
 */
const INVOICES = 12;
const ZPUB = 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
const prefix = `kill-crypto-${randomUUID()}`;
let h: Harness;
let esplora: Awaited<ReturnType<typeof startEsplora>>;
const cryptoEnv = () => ({
  CRYPTO_BTC_API_URL: esplora.url,
  CRYPTO_FIXED_RATES: '{"BTC":{"USD":50000}}',
  CRYPTO_CONFIRMATIONS: '{"BTC":2}',
  CRYPTO_POLL_SECONDS: '0.5',
});

beforeAll(async () => {
  esplora = await startEsplora();
  h = await startHarness({ taskQueue: mainTaskQueue(prefix), database: 'postgres', env: cryptoEnv() });
});
afterAll(async () => {
  await h.close();
  await esplora.close();
});

function startWorker() {
  const child = spawnCli(['worker'], {
    ...h.database.env,
    ...cryptoEnv(),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    SELLFLOW_DATA_DIR: h.config.dataDir,
    SELLFLOW_ENCRYPTION_KEY: 'a'.repeat(64),
  });
  return { child, up: waitForOutput(child, /worker is up/, 60_000) };
}

it('settles every crypto invoice exactly once when the worker is killed mid-settlement', async () => {
  const store = await h.createStore();
  const api = (method: 'get' | 'post' | 'put' | 'patch', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
  let worker = startWorker();
  try {
    await api('put', '/settings/payment-methods/BTC', { xpub: ZPUB }).expect(200);
    const { variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } },
      price: 1000,
      payment_methods: ['BTC'],
    });
    await worker.up;
    const invoices: { id: number; address: string }[] = [];
    for (let i = 0; i < INVOICES; i += 1) {
      const id = (
        await api('post', '/invoices', {
          customer_email: 'k@e.co',
          payment_method: 'BTC',
          product_variants: { [variantId]: { quantity: 1 } },
        }).expect(201)
      ).body.data.id as number;
      invoices.push({ id, address: (await api('post', `/invoices/${id}/checkout`).expect(200)).body.crypto.address });
    }
    // Customers pay one after another, each payment in a block of its own: every block also
    // confirms the payment before it, so invoices reach their two confirmations in turn.
    const paying = (async () => {
      for (const { address } of invoices) {
        esplora.pay(address, 20_000, { confirmed: true });
        await new Promise((r) => setTimeout(r, 400));
      }
      esplora.mine(1);
    })();
    const ids = invoices.map((i) => i.id);
    // Kill once the first invoices are paid: the rest are mid-poll or mid-settlement.
    await waitFor(
      () => h.db.selectFrom('invoices').select('id').where('id', 'in', ids).where('status', 'in', ['PAID', 'COMPLETED']).execute(),
      (rows) => rows.length >= 2,
      30_000,
    );
    worker.child.kill('SIGKILL');
    await new Promise((resolve) => worker.child.once('exit', resolve));
    const paidAtKill = await h.db
      .selectFrom('invoices')
      .select('id')
      .where('id', 'in', ids)
      .where('status', 'in', ['PAID', 'COMPLETED'])
      .execute();
    expect(paidAtKill.length).toBeLessThan(INVOICES);
    await paying;

    worker = startWorker();
    await worker.up;
    await waitFor(
      () => h.db.selectFrom('invoices').select('status').where('id', 'in', ids).execute(),
      (rows) => rows.every((r) => r.status === 'COMPLETED'),
      120_000,
    );
    const paidEvents = await h.db
      .selectFrom('events')
      .select('data')
      .where('store_id', '=', store.id)
      .where('type', '=', 'order.paid')
      .execute();
    expect(paidEvents.map((e) => (e.data as { id: number }).id).sort()).toEqual([...ids].sort());
    const payments = await h.db.selectFrom('crypto_payments').select(['status', 'received_units']).where('invoice_id', 'in', ids).execute();
    expect(payments.every((p) => p.status === 'PAID' && p.received_units === '20000')).toBe(true);
    const txs = await h.db.selectFrom('crypto_payment_txs').select('invoice_id').where('invoice_id', 'in', ids).execute();
    expect(txs).toHaveLength(INVOICES);
  } finally {
    worker.child.kill('SIGKILL');
  }
}, 240_000);
