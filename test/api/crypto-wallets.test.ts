import request from 'supertest';
import pLimit from 'p-limit';
import { startEsplora } from '../fakes/esplora';
import { startEvmRpc } from '../fakes/evm-rpc';
import { expireUnpaidInvoice } from '../../src/orders/invoice-transitions';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * Crypto wallet settings and checkout quotes over HTTP (Postgres, for real concurrency): keys
 * are checked on save, each invoice gets its own derived address, never reused, and invoices
 * to one account address get amounts that tell them apart.
 */
// BIP84 test vector ("abandon … about", m/84'/0'/0'): its first receive address is the BIP's.
const ZPUB = 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
const FIRST_ADDRESSES = ['bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g'];
const XPRV = 'xprv9xpXFhFpqdQK3TmytPBqXtGSwS3DLjojFhTGht8gwAAii8py5X6pxeBnQ6ehJiyJ6nDjWGJfZ95WxByFXVkDxHXrqu53WCRGypk2ttuqncb';
const ETH_ADDRESS = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const XMR_ADDRESS = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';

let h: Harness;
let evm: Awaited<ReturnType<typeof startEvmRpc>>;
let esplora: Awaited<ReturnType<typeof startEsplora>>;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  evm = await startEvmRpc();
  esplora = await startEsplora();
  h = await startHarness({
    database: 'postgres',
    env: {
      CRYPTO_FIXED_RATES: '{"BTC":{"USD":50000},"ETH":{"USD":"2500"},"XMR":{"USD":250}}',
      CRYPTO_ETH_RPC_URL: evm.url,
      CRYPTO_BTC_API_URL: esplora.url,
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false',
    },
  });
  store = await h.createStore();
});
afterAll(async () => {
  await h.close();
  await evm.close();
  await esplora.close();
});

const api = (method: 'get' | 'put' | 'post', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);

describe('crypto wallet settings', () => {
  it('refuses private keys, other networks and garbage with 422, never storing them', async () => {
    const cases: [string, object, string, string][] = [
      ['BTC', { xpub: XPRV }, 'xpub', 'private_key_not_accepted'],
      [
        'BTC',
        { xpub: 'tpubDC5FSnBiZDMmhiuCmWAYsLwgLYrrT9rAqvTySfuCCrgsWz8wxMXUS9Tb9iVMvcRbvFcAHGkMD5Kx8koh4GquNGNTfohfk7pgjhaPCdXpoba' },
        'xpub',
        'wrong_network',
      ],
      ['LTC', { xpub: ZPUB.replace('zpub', 'xpub') }, 'xpub', 'invalid_extended_key'],
      ['BTC', { xpub: 'not a key' }, 'xpub', 'invalid_extended_key'],
      ['BTC', { address: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu' }, 'xpub', 'missing_field'],
      ['ETH', { address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD' }, 'address', 'invalid_address'],
      ['ETH', { address: '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318' }, 'address', 'private_key_not_accepted'],
      ['TRX', { address: ETH_ADDRESS }, 'address', 'invalid_address'],
      ['XMR', { address: XMR_ADDRESS }, 'wallet_rpc_url', 'missing_field'],
    ];
    for (const [method, body, param, code] of cases) {
      const res = await api('put', `/settings/payment-methods/${method}`, body);
      expect([method, res.status, res.body.error?.param, res.body.error?.code]).toEqual([method, 422, param, code]);
      expect(JSON.stringify(res.body)).not.toContain(XPRV);
    }
    expect((await api('get', '/settings/payment-methods/BTC')).status).toBe(404);
    expect((await api('put', '/settings/payment-methods/DOGE', { address: 'x' })).status).toBe(422);
    expect((await api('put', '/settings/payment-methods/ADA', { address: 'x' })).status).toBe(422);
    const fromTestKey = await api('put', '/settings/payment-methods/BTC', { xpub: ZPUB }, store.test);
    expect([fromTestKey.status, fromTestKey.body.error.code]).toEqual([403, 'livemode_required']);
  });

  it('saves a zpub and an address, normalized, and lists them', async () => {
    const btc = (await api('put', '/settings/payment-methods/BTC', { xpub: ` ${ZPUB} `, enabled: true }).expect(200)).body.data;
    expect(btc).toMatchObject({ method: 'BTC', enabled: true, xpub: ZPUB, scheme: 'p2wpkh', next_index: 0, gap_limit_warning: null });
    const eth = (
      await api('put', '/settings/payment-methods/ETH', { address: ETH_ADDRESS.toLowerCase(), minimum_withdrawal: 0.05 }).expect(200)
    ).body.data;
    // The checkout settings not sent stay null: the server-wide defaults apply.
    expect(eth).toEqual({
      method: 'ETH',
      enabled: true,
      address: ETH_ADDRESS,
      minimum_withdrawal: 0.05,
      underpaid_percentage: null,
      minimum_confirmations: null,
    });
    const listed = (await api('get', '/settings/payment-methods').expect(200)).body.data;
    expect(listed.map((m: { method: string }) => m.method)).toEqual(['BTC', 'ETH']);
    const sealed = await h.db.selectFrom('payment_gateways').select('settings_sealed').where('store_id', '=', store.id).execute();
    expect(sealed.every((r) => !r.settings_sealed.includes(ZPUB))).toBe(true);
  });
});

describe('crypto checkout quotes', () => {
  let variantId: number;
  beforeAll(async () => {
    ({ variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['MANUAL'], data: { comment: 'x' } },
      price: 1000,
      payment_methods: ['BTC', 'ETH', 'SOL', 'XMR'],
    }));
  });
  const invoice = async (method: string) =>
    (
      await api('post', '/invoices', {
        customer_email: 'c@e.co',
        payment_method: method,
        product_variants: { [variantId]: { quantity: 1 } },
      }).expect(201)
    ).body.data.id as number;

  it('derives address 0, then 1, …: 200 concurrent checkouts get 200 distinct indices and addresses', async () => {
    const first = await invoice('BTC');
    const quoted = (await api('post', `/invoices/${first}/checkout`).expect(200)).body;
    expect(quoted.crypto).toMatchObject({
      address: FIRST_ADDRESSES[0],
      currency: 'BTC',
      amount: '0.00020000',
      amount_units: '20000',
      status: 'AWAITING',
      required_confirmations: 2,
      rate: '50000',
    });
    expect(quoted.payment_url).toBe(`bitcoin:${FIRST_ADDRESSES[0]}?amount=0.00020000`);
    expect(quoted.invoice.payment.gateway.data).toMatchObject({ address: FIRST_ADDRESSES[0], amount: '0.00020000' });
    // Checking out again returns the same quote and address.
    expect((await api('post', `/invoices/${first}/checkout`).expect(200)).body.crypto.address).toBe(FIRST_ADDRESSES[0]);

    const ids = [];
    for (let i = 0; i < 199; i += 1) ids.push(await invoice('BTC'));
    // 20 at a time still race for the wallet's next index; 199 at once would also queue on the
    // test's few database connections past the pool's timeout under CI load (a 503, not the race).
    const twenty = pLimit(20);
    const answers = await Promise.all(ids.map((id) => twenty(() => api('post', `/invoices/${id}/checkout`))));
    expect(answers.filter((a) => a.status !== 200).map((a) => a.body)).toEqual([]);
    const rows = await h.db
      .selectFrom('crypto_payments')
      .select(['invoice_id', 'derivation_index', 'address'])
      .where('store_id', '=', store.id)
      .where('method', '=', 'BTC')
      .execute();
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => r.address)).size).toBe(200);
    expect(rows.map((r) => r.derivation_index).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(rows.find((r) => r.derivation_index === 1)!.address).toBe(FIRST_ADDRESSES[1]);
    const wallet = (await api('get', '/settings/payment-methods/BTC').expect(200)).body.data;
    expect(wallet).toMatchObject({ next_index: 200, unpaid_streak: 200, gap_limit_warning: expect.stringContaining('gap limit') });
  });

  it('never gives two stores sharing one wallet the same address', async () => {
    const other = await h.createStore();
    await request(h.app)
      .put('/api/v2/settings/payment-methods/BTC')
      .set('Authorization', `Bearer ${other.live}`)
      .send({ xpub: ZPUB })
      .expect(200);
    const { variantId: theirs } = await createVariant(h, other.live, {
      deliverable: { types: ['MANUAL'], data: { comment: 'x' } },
      price: 1000,
      payment_methods: ['BTC'],
    });
    const id = (
      await request(h.app)
        .post('/api/v2/invoices')
        .set('Authorization', `Bearer ${other.live}`)
        .send({ customer_email: 'c@e.co', payment_method: 'BTC', product_variants: { [theirs]: { quantity: 1 } } })
        .expect(201)
    ).body.data.id;
    const quoted = (await request(h.app).post(`/api/v2/invoices/${id}/checkout`).set('Authorization', `Bearer ${other.live}`).expect(200))
      .body.crypto;
    const mine = await h.db.selectFrom('crypto_payments').select('address').where('store_id', '=', store.id).execute();
    expect(mine.map((m) => m.address)).not.toContain(quoted.address);
    expect(
      await h.db.selectFrom('crypto_payments').select('derivation_index').where('invoice_id', '=', id).executeTakeFirstOrThrow(),
    ).toEqual({ derivation_index: 200 });
  });

  it("never lets the invoice's own expiry void a payment made in time that is still confirming", async () => {
    const id = await invoice('BTC');
    await api('post', `/invoices/${id}/checkout`).expect(200);
    await h.db.updateTable('crypto_payments').set({ status: 'CONFIRMING' }).where('invoice_id', '=', id).execute();
    expect(await h.db.transaction().execute((trx) => expireUnpaidInvoice(trx, id))).toEqual({ changed: false, status: 'PENDING' });
    await h.db.updateTable('crypto_payments').set({ status: 'AWAITING' }).where('invoice_id', '=', id).execute();
    expect(await h.db.transaction().execute((trx) => expireUnpaidInvoice(trx, id))).toEqual({ changed: true, status: 'VOIDED' });
  });

  it('gives invoices to one account address amounts no other open one has', async () => {
    const ids = [];
    for (let i = 0; i < 10; i += 1) ids.push(await invoice('ETH'));
    const answers = await Promise.all(ids.map((id) => api('post', `/invoices/${id}/checkout`).expect(200)));
    const amounts = answers.map((a) => a.body.crypto.amount_units as string);
    expect(new Set(amounts).size).toBe(10);
    // $10 at $2500: 0.004 ETH, then one step (0.000001 ETH) up per open invoice.
    expect(amounts.map((a) => BigInt(a)).sort((a, b) => (a < b ? -1 : 1))[0]).toBe(4_000_000_000_000_000n);
    expect(answers.every((a) => a.body.crypto.address === ETH_ADDRESS)).toBe(true);
  });

  it('answers 503 while the chain cannot be reached, and refuses methods with no wallet and test-mode crypto with 422', async () => {
    esplora.failNext(503);
    const busy = await api('post', `/invoices/${await invoice('BTC')}/checkout`);
    expect([busy.status, busy.body.error.code, busy.body.error.type]).toEqual([503, 'chain_unavailable', 'service_unavailable']);
    expect(busy.headers['retry-after']).toBe('30');
    // A store's wallet server may not point us at our own network.
    await api('put', '/settings/payment-methods/XMR', { address: XMR_ADDRESS, wallet_rpc_url: 'http://127.0.0.1:18082' }).expect(200);
    const inside = await api('post', `/invoices/${await invoice('XMR')}/checkout`);
    expect([inside.status, inside.body.error.code]).toEqual([422, 'chain_unavailable']);
    expect(inside.body.error.message).toMatch(/private|loopback|not allowed/i);
    const sol = await invoice('SOL');
    const res = await api('post', `/invoices/${sol}/checkout`);
    expect([res.status, res.body.error.code]).toEqual([422, 'gateway_not_configured']);
    const testInvoice = (
      await api(
        'post',
        '/invoices',
        { customer_email: 'c@e.co', payment_method: 'BTC', product_variants: { [variantId]: { quantity: 1 } } },
        store.test,
      ).expect(201)
    ).body.data;
    const t = await api('post', `/invoices/${testInvoice.id}/checkout`, undefined, store.test);
    expect([t.status, t.body.error.code]).toEqual([422, 'gateway_not_configured']);
  });
});
