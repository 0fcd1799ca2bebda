import { ChainWatcherError, type ObservationResult } from '../../src/gateways/crypto/chain-observation';
import { EsploraWatcher } from '../../src/gateways/crypto/esplora-watcher';
import { EvmWatcher } from '../../src/gateways/crypto/evm-watcher';
import { CoinGeckoRateSource, decimalString, FixedRateSource, RateSourceError } from '../../src/gateways/crypto/rate-source';
import { startCoinGecko } from '../fakes/coingecko';
import { startEsplora, type FakeEsplora } from '../fakes/esplora';
import { startEvmRpc, type FakeEvmRpc } from '../fakes/evm-rpc';

const BTC_ADDRESS = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';
const OTHER_BTC_ADDRESS = 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh';
// EIP-55 checksummed, as a wallet would show them; nodes answer in lower case.
const ETH_ADDRESS = '0x52908400098527886E0F7030069857D2E4169EE7';
const OTHER_ETH_ADDRESS = '0xde709f2102306220921060314715629080e2fb77';
const USDT = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
const USDC = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';

/** What a call rejected with, for asserting on fields. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('Esplora watcher (BTC, LTC)', () => {
  let chain: FakeEsplora;
  let watcher: EsploraWatcher;
  beforeEach(async () => {
    chain = await startEsplora();
    watcher = new EsploraWatcher({ baseUrl: chain.url });
  });
  afterEach(() => chain.close());

  it('reports an exact payment with its block, time and one confirmation', async () => {
    const txid = chain.pay(BTC_ADDRESS, 150_000, { confirmed: true });
    const result = await watcher.observe(BTC_ADDRESS);
    expect(result.cursor).toBeNull();
    expect(result.observations).toEqual([
      { txid, amount: 150_000n, confirmations: 1, blockHeight: chain.tipHeight(), seenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    ]);
    expect(await watcher.startCursor()).toBeNull();
  });

  it('sums outputs to the address per transaction and ignores outputs to others', async () => {
    const first = chain.pay(BTC_ADDRESS, 40_000, { confirmed: true });
    const split = chain.payOutputs(
      [
        { address: BTC_ADDRESS, value: 25_000 },
        { address: OTHER_BTC_ADDRESS, value: 999_999 },
        { address: BTC_ADDRESS, value: 35_000 },
      ],
      { confirmed: true },
    );
    chain.pay(OTHER_BTC_ADDRESS, 77_777, { confirmed: true });
    const { observations } = await watcher.observe(BTC_ADDRESS);
    expect(observations.map((o) => [o.txid, o.amount])).toEqual([
      [first, 40_000n],
      [split, 60_000n],
    ]);
    // Bech32 from a QR code arrives upper case: the same address.
    expect((await watcher.observe(BTC_ADDRESS.toUpperCase())).observations).toEqual(observations);
  });

  it('sees a mempool payment at 0 confirmations, then counts confirmations from the tip', async () => {
    const txid = chain.pay(BTC_ADDRESS, 10_000);
    expect((await watcher.observe(BTC_ADDRESS)).observations).toEqual([{ txid, amount: 10_000n, confirmations: 0, blockHeight: null }]);

    chain.mine();
    const minedAt = chain.tipHeight();
    expect((await watcher.observe(BTC_ADDRESS)).observations).toMatchObject([{ txid, confirmations: 1, blockHeight: minedAt }]);

    chain.mine(5);
    expect((await watcher.observe(BTC_ADDRESS)).observations).toMatchObject([{ txid, confirmations: 6, blockHeight: minedAt }]);
  });

  it('drops a reorged payment back to 0 confirmations until it is mined again', async () => {
    const txid = chain.pay(BTC_ADDRESS, 10_000, { confirmed: true });
    chain.mine(2);
    expect((await watcher.observe(BTC_ADDRESS)).observations).toMatchObject([{ txid, confirmations: 3 }]);

    chain.reorg(txid);
    const reorged = (await watcher.observe(BTC_ADDRESS)).observations;
    expect(reorged).toEqual([{ txid, amount: 10_000n, confirmations: 0, blockHeight: null }]);

    chain.mine();
    expect((await watcher.observe(BTC_ADDRESS)).observations).toMatchObject([{ txid, confirmations: 1, blockHeight: chain.tipHeight() }]);
  });

  it('pages past 25 confirmed transactions with last_seen_txid', async () => {
    const confirmed = Array.from({ length: 60 }, (_, i) => chain.pay(BTC_ADDRESS, 1_000 + i, { confirmed: true }));
    const unconfirmed = [chain.pay(BTC_ADDRESS, 5), chain.pay(BTC_ADDRESS, 7)];
    const { observations } = await watcher.observe(BTC_ADDRESS);

    expect(observations).toHaveLength(62);
    expect(new Set(observations.map((o) => o.txid))).toEqual(new Set([...confirmed, ...unconfirmed]));
    expect(observations.reduce((sum, o) => sum + o.amount, 0n)).toBe(60n * 1_000n + 1_770n + 12n);
    // Oldest first: the first payment is 60 blocks deep, the mempool ones come last.
    expect(observations[0]).toMatchObject({ txid: confirmed[0], confirmations: 60 });
    expect(observations.slice(60).every((o) => o.confirmations === 0)).toBe(true);

    const paths = chain.requests.map((r) => r.path);
    const base = `/api/address/${BTC_ADDRESS}/txs`;
    // Newest first: page 1 holds payments 59..35, page 2 34..10, page 3 the last 10.
    expect(paths).toEqual([base, `${base}/chain/${confirmed[35]}`, `${base}/chain/${confirmed[10]}`, '/api/blocks/tip/height']);
  });

  it('says whether an API failure is worth retrying', async () => {
    for (const [status, retryable] of [
      [503, true],
      [429, true],
      [500, true],
      [400, false],
      [404, false],
    ] as const) {
      chain.failNext(status);
      const error = await failureOf(watcher.observe(BTC_ADDRESS));
      expect(error).toBeInstanceOf(ChainWatcherError);
      expect(error).toMatchObject({ retryable, message: expect.stringContaining(String(status)) });
    }
    // The tip request fails after the history succeeded: still classified.
    chain.failNext(502, '/api/blocks/tip/height');
    await expect(watcher.observe(BTC_ADDRESS)).rejects.toMatchObject({
      retryable: true,
      message: expect.stringContaining('/blocks/tip/height'),
    });
  });

  it('treats an unreachable API as retryable', async () => {
    await chain.close();
    const error = await failureOf(new EsploraWatcher({ baseUrl: chain.url, timeoutMs: 2_000 }).observe(BTC_ADDRESS));
    expect(error).toBeInstanceOf(ChainWatcherError);
    expect(error).toMatchObject({ retryable: true });
    chain = await startEsplora();
  });
});

describe('EVM watcher (ETH, BNB, MATIC)', () => {
  let chain: FakeEvmRpc;
  beforeEach(async () => {
    chain = await startEvmRpc();
  });
  afterEach(() => chain.close());

  const blocksRequested = () =>
    chain.calls.filter((c) => c.method === 'eth_getBlockByNumber').map((c) => Number.parseInt(String(c.params[0]).slice(2), 16));

  it('finds native payments to the address, whatever its case, and nothing else', async () => {
    const watcher = new EvmWatcher({ rpcUrl: chain.url });
    const cursor = await watcher.startCursor();
    expect(cursor).toEqual({ nextBlock: chain.head() });

    const paid = chain.sendNative(ETH_ADDRESS, 10n ** 18n);
    const paidAt = chain.head();
    chain.sendNative(OTHER_ETH_ADDRESS, 5n * 10n ** 18n);
    chain.sendToken(USDT, ETH_ADDRESS, 1_000_000n);
    chain.sendNative(ETH_ADDRESS, 3n, { reverted: true });
    const second = chain.sendNative(ETH_ADDRESS.toLowerCase(), 2n * 10n ** 17n);
    const secondAt = chain.head();
    chain.mine(2);

    const result = await watcher.observe(ETH_ADDRESS, { cursor });
    expect(result.observations).toEqual([
      {
        txid: paid,
        amount: 10n ** 18n,
        confirmations: chain.head() - paidAt + 1,
        blockHeight: paidAt,
        seenAt: expect.stringMatching(/^\d{4}-/),
      },
      { txid: second, amount: 2n * 10n ** 17n, confirmations: 3, blockHeight: secondAt, seenAt: expect.any(String) },
    ]);
    expect(result.cursor).toEqual({ nextBlock: chain.head() + 1 });
    expect((await watcher.observe(ETH_ADDRESS.toLowerCase(), { cursor })).observations).toEqual(result.observations);
  });

  it('finds token transfers by their Transfer logs, summed per transaction', async () => {
    const watcher = new EvmWatcher({ rpcUrl: chain.url, token: USDT.toLowerCase() });
    const cursor = await watcher.startCursor();

    const paid = chain.sendToken(USDT, ETH_ADDRESS.toLowerCase(), 25_000_000n);
    chain.sendToken(USDT, OTHER_ETH_ADDRESS, 99_000_000n);
    chain.sendToken(USDC, ETH_ADDRESS, 7_000_000n);
    chain.sendNative(ETH_ADDRESS, 10n ** 18n);
    const payout = chain.sendTokens(USDT, [
      { to: ETH_ADDRESS, amount: 1_500_000n },
      { to: OTHER_ETH_ADDRESS, amount: 8n },
      { to: ETH_ADDRESS, amount: 500_000n },
    ]);

    const { observations } = await watcher.observe(ETH_ADDRESS, { cursor });
    expect(observations.map((o) => [o.txid, o.amount, o.confirmations])).toEqual([
      [paid, 25_000_000n, 5],
      [payout, 2_000_000n, 1],
    ]);
    expect(observations[0]!.seenAt).toMatch(/^\d{4}-/);
    const logQuery = chain.calls.find((c) => c.method === 'eth_getLogs');
    expect(logQuery?.params[0]).toMatchObject({
      address: USDT.toLowerCase(),
      topics: [expect.stringMatching(/^0xddf252ad/), null, `0x000000000000000000000000${ETH_ADDRESS.slice(2).toLowerCase()}`],
    });
  });

  it('resumes from its cursor without rescanning, rechecking known payments by receipt', async () => {
    const watcher = new EvmWatcher({ rpcUrl: chain.url });
    const start = await watcher.startCursor();
    const txid = chain.sendNative(ETH_ADDRESS, 42n);
    chain.mine(3);
    const first = await watcher.observe(ETH_ADDRESS, { cursor: start });
    expect(first.observations).toMatchObject([{ txid, confirmations: 4 }]);
    expect(blocksRequested()).toEqual(Array.from({ length: 5 }, (_, i) => start!.nextBlock + i));

    chain.calls.length = 0;
    chain.mine(2);
    const second = await watcher.observe(ETH_ADDRESS, { cursor: first.cursor, known: first.observations });
    expect(blocksRequested()).toEqual([first.cursor!.nextBlock, first.cursor!.nextBlock + 1]);
    expect(second.observations).toEqual([{ ...first.observations[0], confirmations: 6 }]);
    expect(chain.calls.filter((c) => c.method === 'eth_getTransactionReceipt').map((c) => c.params[0])).toEqual([txid]);

    // Nothing new: the cursor stays, no block is fetched.
    chain.calls.length = 0;
    const third = await watcher.observe(ETH_ADDRESS, { cursor: second.cursor, known: second.observations });
    expect(third.cursor).toEqual(second.cursor);
    expect(blocksRequested()).toEqual([]);
    expect(third.observations).toEqual(second.observations);
  });

  it('scans at most maxBlocksPerCall blocks per call, in JSON-RPC batches', async () => {
    const watcher = new EvmWatcher({ rpcUrl: chain.url, maxBlocksPerCall: 10, batchSize: 4 });
    let cursor = await watcher.startCursor();
    const from = cursor.nextBlock;
    chain.mine(24);
    const txid = chain.sendNative(ETH_ADDRESS, 1n);

    let result: ObservationResult = { observations: [], cursor };
    const requestsBefore = chain.httpRequests();
    for (const expectedNext of [from + 10, from + 20, from + 26]) {
      result = await watcher.observe(ETH_ADDRESS, { cursor, known: result.observations });
      expect(result.cursor).toEqual({ nextBlock: expectedNext });
      cursor = result.cursor!;
    }
    expect(result.observations).toMatchObject([{ txid, amount: 1n, confirmations: 1 }]);
    expect(blocksRequested()).toEqual(Array.from({ length: 26 }, (_, i) => from + i));
    // 26 blocks in batches of 4 (3+3+2 batches), 3 heads, 1 receipt: far fewer requests than calls.
    expect(chain.httpRequests() - requestsBefore).toBe(8 + 3 + 1);
  });

  it('drops a reorged native payment to 0 confirmations and picks it up again when re-mined', async () => {
    const watcher = new EvmWatcher({ rpcUrl: chain.url });
    const start = await watcher.startCursor();
    const txid = chain.sendNative(ETH_ADDRESS, 7n * 10n ** 16n);
    chain.mine(2);
    const seen = await watcher.observe(ETH_ADDRESS, { cursor: start });
    expect(seen.observations).toMatchObject([{ txid, confirmations: 3 }]);

    chain.reorg(txid);
    const reorged = await watcher.observe(ETH_ADDRESS, { cursor: seen.cursor, known: seen.observations });
    expect(reorged.observations).toEqual([{ txid, amount: 7n * 10n ** 16n, confirmations: 0, blockHeight: null }]);

    chain.mine();
    const remined = await watcher.observe(ETH_ADDRESS, { cursor: reorged.cursor, known: reorged.observations });
    expect(remined.observations).toMatchObject([{ txid, amount: 7n * 10n ** 16n, confirmations: 1, blockHeight: chain.head() }]);
  });

  it('drops a reorged token payment the same way', async () => {
    const watcher = new EvmWatcher({ rpcUrl: chain.url, token: USDT });
    const start = await watcher.startCursor();
    const txid = chain.sendToken(USDT, ETH_ADDRESS, 5_000_000n);
    const seen = await watcher.observe(ETH_ADDRESS, { cursor: start });
    expect(seen.observations).toMatchObject([{ txid, amount: 5_000_000n, confirmations: 1 }]);

    chain.reorg(txid);
    const reorged = await watcher.observe(ETH_ADDRESS, { cursor: seen.cursor, known: seen.observations });
    expect(reorged.observations).toEqual([{ txid, amount: 5_000_000n, confirmations: 0, blockHeight: null }]);

    chain.mine(3);
    const remined = await watcher.observe(ETH_ADDRESS, { cursor: reorged.cursor, known: reorged.observations });
    expect(remined.observations).toMatchObject([{ txid, amount: 5_000_000n, confirmations: 3 }]);
  });

  it('turns RPC and HTTP errors into ChainWatcherErrors that say whether to retry', async () => {
    const watcher = new EvmWatcher({ rpcUrl: chain.url });
    const cursor = await watcher.startCursor();
    chain.mine(3);
    for (const [failure, retryable] of [
      [{ rpcError: { code: -32005, message: 'limit exceeded' } }, true],
      [{ rpcError: { code: 429, message: 'Too Many Requests' } }, true],
      [{ rpcError: { code: -32602, message: 'invalid argument 0' } }, false],
      [{ rpcError: { code: -32601, message: 'the method eth_blockNumber does not exist' } }, false],
      [{ status: 503 }, true],
      [{ status: 429 }, true],
      [{ status: 401 }, false],
    ] as const) {
      chain.failNext(failure);
      const error = await failureOf(watcher.observe(ETH_ADDRESS, { cursor }));
      expect(error).toBeInstanceOf(ChainWatcherError);
      expect(error).toMatchObject({ retryable });
    }
    // One failed call inside a batch fails the whole observation.
    chain.failNext({ method: 'eth_getBlockByNumber', rpcError: { code: -32005, message: 'request rate exceeded' } });
    await expect(watcher.observe(ETH_ADDRESS, { cursor })).rejects.toMatchObject({
      retryable: true,
      message: expect.stringContaining('eth_getBlockByNumber'),
    });
    expect((await watcher.observe(ETH_ADDRESS, { cursor })).observations).toEqual([]);
  });

  it('refuses to scan without a cursor or for a malformed address', async () => {
    const watcher = new EvmWatcher({ rpcUrl: chain.url });
    await expect(watcher.observe(ETH_ADDRESS)).rejects.toMatchObject({ name: 'ChainWatcherError', retryable: false });
    await expect(watcher.observe('0x1234', { cursor: { nextBlock: 1 } })).rejects.toMatchObject({ retryable: false });
  });
});

describe('Rate sources', () => {
  it('reads CoinGecko simple prices as decimal strings, exponents expanded', async () => {
    const gecko = await startCoinGecko({
      bitcoin: { usd: '50000.12', eur: '46000' },
      'shiba-inu': { usd: '1.23e-5' },
      tether: { usd: '1.0' },
    });
    try {
      const rates = new CoinGeckoRateSource({ baseUrl: gecko.url, headers: { 'x-cg-demo-api-key': 'demo-key' } });
      expect(await rates.rate('BTC', 'USD')).toBe('50000.12');
      expect(await rates.rate('btc', 'eur')).toBe('46000');
      expect(await rates.rate('SHIB', 'USD')).toBe('0.0000123');
      expect(await rates.rate('USDT', 'USD')).toBe('1');
      expect(gecko.requests[0]).toMatchObject({
        path: '/api/v3/simple/price',
        query: { ids: 'bitcoin', vs_currencies: 'usd' },
        headers: { 'x-cg-demo-api-key': 'demo-key' },
      });
    } finally {
      await gecko.close();
    }
  });

  it('fails clearly on a missing rate, an unknown ticker, and says when to retry', async () => {
    const gecko = await startCoinGecko({ bitcoin: { usd: '50000' } });
    try {
      const rates = new CoinGeckoRateSource({ baseUrl: gecko.url });
      await expect(rates.rate('BTC', 'JPY')).rejects.toThrow('CoinGecko has no JPY rate for BTC (bitcoin)');
      await expect(rates.rate('ETH', 'USD')).rejects.toMatchObject({
        retryable: false,
        message: expect.stringContaining('no USD rate for ETH'),
      });
      await expect(rates.rate('DOGE', 'USD')).rejects.toThrow(/No CoinGecko id for DOGE/);
      gecko.failNext(429);
      const limited = await failureOf(rates.rate('BTC', 'USD'));
      expect(limited).toBeInstanceOf(RateSourceError);
      expect(limited).toMatchObject({ retryable: true });
      gecko.failNext(401);
      await expect(rates.rate('BTC', 'USD')).rejects.toMatchObject({ retryable: false });
    } finally {
      await gecko.close();
    }
  });

  it('serves fixed rates from CRYPTO_FIXED_RATES JSON', async () => {
    const rates = FixedRateSource.fromJson('{"BTC":{"USD":50000},"eth":{"eur":"3000.50"},"SHIB":{"USD":1.23e-5}}');
    expect(await rates.rate('btc', 'usd')).toBe('50000');
    expect(await rates.rate('ETH', 'EUR')).toBe('3000.50');
    expect(await rates.rate('SHIB', 'USD')).toBe('0.0000123');
    await expect(rates.rate('BTC', 'EUR')).rejects.toThrow('CRYPTO_FIXED_RATES has no EUR rate for BTC');
    await expect(rates.rate('LTC', 'USD')).rejects.toBeInstanceOf(RateSourceError);
  });

  it('rejects malformed fixed rates with the variable named', () => {
    expect(() => FixedRateSource.fromJson('{BTC:')).toThrow(/CRYPTO_FIXED_RATES is not JSON/);
    expect(() => FixedRateSource.fromJson('{"BTC":{"USD":-1}}')).toThrow(/CRYPTO_FIXED_RATES must look like/);
    expect(() => FixedRateSource.fromJson('{"BTC":{"USD":"0"}}')).toThrow(/positive decimal/);
    expect(() => FixedRateSource.fromJson('{"BTC":50000}')).toThrow(/CRYPTO_FIXED_RATES/);
  });

  it('writes numbers without exponents', () => {
    expect(decimalString(1.23e-5)).toBe('0.0000123');
    expect(decimalString(5e-7)).toBe('0.0000005');
    expect(decimalString(1.5e21)).toBe('1500000000000000000000');
    expect(decimalString(1e21)).toBe('1000000000000000000000');
    expect(decimalString(50000.12)).toBe('50000.12');
    expect(decimalString(0.1)).toBe('0.1');
    expect(() => decimalString(Number.NaN)).toThrow(RangeError);
  });
});
