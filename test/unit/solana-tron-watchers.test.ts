import { ChainWatcherError } from '../../src/gateways/crypto/chain-observation';
import { SOLANA_USDC_MINT, SOLANA_USDT_MINT, SolanaWatcher } from '../../src/gateways/crypto/solana-watcher';
import { TRON_USDC_CONTRACT, TRON_USDT_CONTRACT, TronWatcher } from '../../src/gateways/crypto/tron-watcher';
import { startSolanaRpc, type FakeSolanaRpc } from '../fakes/solana-rpc';
import { startTronGrid, tronAddressFor, type FakeTronGrid } from '../fakes/trongrid';

const SOL_OWNER = '9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM';
const OTHER_SOL_OWNER = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';
const TRX_ADDRESS = 'TJmmqjb1DK9TTZbQXzRQ2AuA94z4gKAPFh';
const OTHER_TRX_ADDRESS = 'TLCuBEirVzB6V4menLZKw1jfBTFMZbuKq7';

/** What a call rejected with, for asserting on fields. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('Solana watcher (SOL, SPL tokens)', () => {
  let chain: FakeSolanaRpc;
  beforeEach(async () => {
    chain = await startSolanaRpc();
  });
  afterEach(() => chain.close());

  const callsOf = (method: string) => chain.calls.filter((c) => c.method === method);
  const listedAccounts = () => callsOf('getSignaturesForAddress').map((c) => c.params[0]);

  it('reports each SOL payment to the address separately, with its exact amount, and nothing else', async () => {
    const watcher = new SolanaWatcher({ rpcUrl: chain.url });
    const cursor = await watcher.startCursor();
    expect(cursor).toEqual({ nextBlock: chain.slot() });

    const first = chain.pay(SOL_OWNER, 1_500_000_000n);
    const firstSlot = chain.slot();
    chain.pay(OTHER_SOL_OWNER, 9_000_000_000n);
    chain.pay(SOL_OWNER, 777n, { failed: true });
    // Names the owner (it creates the owner's token account) but moves none of its lamports.
    chain.payToken(SOLANA_USDC_MINT, SOL_OWNER, 5_000_000n);
    const second = chain.pay(SOL_OWNER, 1_500_000_000n);
    const secondSlot = chain.slot();
    chain.advance(3);

    const result = await watcher.observe(SOL_OWNER, { cursor });
    expect(result.observations).toEqual([
      {
        txid: first,
        amount: 1_500_000_000n,
        confirmations: chain.slot() - firstSlot + 1,
        blockHeight: firstSlot,
        seenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      { txid: second, amount: 1_500_000_000n, confirmations: 4, blockHeight: secondSlot, seenAt: expect.any(String) },
    ]);
    expect(result.cursor).toEqual({ nextBlock: chain.slot() + 1 });
    expect(listedAccounts()).toEqual([SOL_OWNER]);
    // The failed transaction is skipped from its listing, never read.
    expect(callsOf('getTransaction')).toHaveLength(3);
    expect(callsOf('getSignaturesForAddress')[0]!.params[1]).toMatchObject({ commitment: 'confirmed', minContextSlot: chain.slot() });
  });

  it('keeps confirmations below 32 until the transaction is finalized, rechecking known payments by status', async () => {
    const watcher = new SolanaWatcher({ rpcUrl: chain.url });
    const start = await watcher.startCursor();
    const txid = chain.pay(SOL_OWNER, 42n);
    const paidAt = chain.slot();
    const first = await watcher.observe(SOL_OWNER, { cursor: start });
    expect(first.observations).toEqual([{ txid, amount: 42n, confirmations: 1, blockHeight: paidAt, seenAt: expect.any(String) }]);

    chain.advance(10);
    chain.calls.length = 0;
    const second = await watcher.observe(SOL_OWNER, { cursor: first.cursor, known: first.observations });
    expect(second.observations).toMatchObject([{ txid, amount: 42n, confirmations: 11, blockHeight: paidAt }]);
    expect(callsOf('getTransaction')).toEqual([]);
    expect(callsOf('getSignatureStatuses').map((c) => c.params)).toEqual([[[txid], { searchTransactionHistory: true }]]);

    chain.advance(100);
    const deep = await watcher.observe(SOL_OWNER, { cursor: second.cursor, known: second.observations });
    expect(deep.observations).toMatchObject([{ txid, confirmations: 31 }]);

    chain.finalize();
    const rooted = await watcher.observe(SOL_OWNER, { cursor: deep.cursor, known: deep.observations });
    expect(rooted.observations).toMatchObject([{ txid, amount: 42n, confirmations: chain.slot() - paidAt + 1, blockHeight: paidAt }]);
    expect(rooted.observations[0]!.confirmations).toBeGreaterThanOrEqual(32);
  });

  it('counts a finalized transaction as at least 32 confirmations', async () => {
    const watcher = new SolanaWatcher({ rpcUrl: chain.url });
    const start = await watcher.startCursor();
    const txid = chain.pay(SOL_OWNER, 5n);
    chain.finalize();
    expect((await watcher.observe(SOL_OWNER, { cursor: start })).observations).toMatchObject([{ txid, confirmations: 32 }]);
  });

  it('finds SPL token payments through the owner’s token accounts, by mint and owner', async () => {
    const watcher = new SolanaWatcher({ rpcUrl: chain.url, mint: SOLANA_USDC_MINT });
    const start = await watcher.startCursor();
    // The owner has no USDC account yet: nothing to list.
    expect((await watcher.observe(SOL_OWNER, { cursor: start })).observations).toEqual([]);
    expect(listedAccounts()).toEqual([]);

    const created = chain.payToken(SOLANA_USDC_MINT, SOL_OWNER, 25_000_000n);
    chain.payToken(SOLANA_USDT_MINT, SOL_OWNER, 99_000_000n);
    chain.payToken(SOLANA_USDC_MINT, OTHER_SOL_OWNER, 8_000_000n);
    chain.pay(SOL_OWNER, 10n ** 9n);
    chain.payToken(SOLANA_USDC_MINT, SOL_OWNER, 3n, { failed: true });
    // To the existing account: the owner is not among the transaction's accounts.
    const topUp = chain.payToken(SOLANA_USDC_MINT, SOL_OWNER, 25_000_000n);

    const { observations } = await watcher.observe(SOL_OWNER, { cursor: start });
    expect(observations.map((o) => [o.txid, o.amount, o.confirmations])).toEqual([
      [created, 25_000_000n, 6],
      [topUp, 25_000_000n, 1],
    ]);
    expect(callsOf('getTokenAccountsByOwner').at(-1)!.params).toEqual([
      SOL_OWNER,
      { mint: SOLANA_USDC_MINT },
      { encoding: 'jsonParsed', commitment: 'confirmed' },
    ]);
    expect(listedAccounts()).toEqual([chain.tokenAccountOf(SOL_OWNER, SOLANA_USDC_MINT)]);
  });

  it('resumes from its cursor slot without rereading what it has seen', async () => {
    const watcher = new SolanaWatcher({ rpcUrl: chain.url });
    const before = chain.pay(SOL_OWNER, 1n);
    chain.advance();
    const start = await watcher.startCursor();
    const paid = chain.pay(SOL_OWNER, 100n);
    const first = await watcher.observe(SOL_OWNER, { cursor: start });
    // The payment before the cursor is listed (same page) but never read.
    expect(first.observations.map((o) => o.txid)).toEqual([paid]);
    expect(callsOf('getTransaction').map((c) => c.params[0])).toEqual([paid]);

    chain.calls.length = 0;
    const next = chain.pay(SOL_OWNER, 200n);
    const second = await watcher.observe(SOL_OWNER, { cursor: first.cursor, known: first.observations });
    expect(second.observations.map((o) => [o.txid, o.amount])).toEqual([
      [paid, 100n],
      [next, 200n],
    ]);
    expect(callsOf('getTransaction').map((c) => c.params[0])).toEqual([next]);
    expect(callsOf('getSignatureStatuses').map((c) => c.params[0])).toEqual([[paid]]);

    // Nothing new: nothing read, the cursor moves on with the chain.
    chain.calls.length = 0;
    chain.advance(2);
    const third = await watcher.observe(SOL_OWNER, { cursor: second.cursor, known: second.observations });
    expect(callsOf('getTransaction')).toEqual([]);
    expect(third.cursor).toEqual({ nextBlock: chain.slot() + 1 });
    expect(third.observations.map((o) => o.txid)).toEqual([paid, next]);
    expect(third.observations.map((o) => o.txid)).not.toContain(before);
  });

  it('pages back with `before` until it passes the cursor slot', async () => {
    const watcher = new SolanaWatcher({ rpcUrl: chain.url, pageSize: 3, batchSize: 4 });
    chain.pay(SOL_OWNER, 1n);
    chain.pay(SOL_OWNER, 2n);
    chain.advance();
    const start = await watcher.startCursor();
    const paid = Array.from({ length: 7 }, (_, i) => chain.pay(SOL_OWNER, 1_000n + BigInt(i)));
    const requestsBefore = chain.httpRequests();

    const { observations } = await watcher.observe(SOL_OWNER, { cursor: start });
    expect(observations.map((o) => o.txid)).toEqual(paid);
    expect(observations.reduce((sum, o) => sum + o.amount, 0n)).toBe(7_021n);
    // Newest first: 6,5,4 then 3,2,1 then 0 and the two older ones, where paging stops.
    expect(callsOf('getSignaturesForAddress').map((c) => (c.params[1] as { before?: string }).before)).toEqual([
      undefined,
      paid[4],
      paid[1],
    ]);
    expect(callsOf('getTransaction')).toHaveLength(7);
    // 1 slot, 3 pages, 7 transactions in batches of 4.
    expect(chain.httpRequests() - requestsBefore).toBe(1 + 3 + 2);
  });

  it('drops a payment whose fork was abandoned to 0 confirmations', async () => {
    const watcher = new SolanaWatcher({ rpcUrl: chain.url });
    const start = await watcher.startCursor();
    const txid = chain.pay(SOL_OWNER, 9n);
    const seen = await watcher.observe(SOL_OWNER, { cursor: start });
    chain.rollBack(txid);
    const after = await watcher.observe(SOL_OWNER, { cursor: seen.cursor, known: seen.observations });
    expect(after.observations).toEqual([{ txid, amount: 9n, confirmations: 0, blockHeight: null }]);
  });

  it('turns RPC and HTTP errors into ChainWatcherErrors that say whether to retry', async () => {
    const watcher = new SolanaWatcher({ rpcUrl: chain.url });
    const cursor = await watcher.startCursor();
    chain.pay(SOL_OWNER, 1n);
    for (const [failure, retryable] of [
      [{ status: 429 }, true],
      [{ status: 503 }, true],
      [{ status: 500 }, true],
      [{ status: 400 }, false],
      [{ status: 401 }, false],
      [{ rpcError: { code: -32005, message: 'Node is behind by 42 slots' } }, true],
      [{ rpcError: { code: 429, message: 'Too many requests for a specific RPC call' } }, true],
      [{ method: 'getSignaturesForAddress', rpcError: { code: -32016, message: 'Minimum context slot has not been reached' } }, true],
      [{ rpcError: { code: -32602, message: 'Invalid param: WrongSize' } }, false],
      [{ method: 'getTransaction', rpcError: { code: -32601, message: 'Method not found' } }, false],
    ] as const) {
      chain.failNext(failure);
      const error = await failureOf(watcher.observe(SOL_OWNER, { cursor }));
      expect(error).toBeInstanceOf(ChainWatcherError);
      expect(error).toMatchObject({ retryable });
    }
    expect((await watcher.observe(SOL_OWNER, { cursor })).observations).toHaveLength(1);
  });

  it('refuses to list without a cursor or for a malformed address', async () => {
    const watcher = new SolanaWatcher({ rpcUrl: chain.url });
    await expect(watcher.observe(SOL_OWNER)).rejects.toMatchObject({ name: 'ChainWatcherError', retryable: false });
    await expect(watcher.observe('0x52908400098527886E0F7030069857D2E4169EE7', { cursor: { nextBlock: 1 } })).rejects.toMatchObject({
      retryable: false,
    });
    expect(() => new SolanaWatcher({ rpcUrl: chain.url, mint: 'not-a-mint' })).toThrow(ChainWatcherError);
  });
});

describe('Tron watcher (TRX, TRC-20 tokens)', () => {
  let grid: FakeTronGrid;
  beforeEach(async () => {
    grid = await startTronGrid();
  });
  afterEach(() => grid.close());

  const infoLookups = () =>
    grid.requests.filter((r) => r.path === '/wallet/gettransactioninfobyid').map((r) => (r.body as { value: string }).value);
  const blockTime = (block: number) => grid.blockTimestamp(block);

  it('reports each TRX payment to the address separately, with its exact amount, and nothing else', async () => {
    const watcher = new TronWatcher({ baseUrl: grid.url, apiKey: 'grid-key' });
    const cursor = await watcher.startCursor();
    expect(cursor).toEqual({ nextBlock: blockTime(grid.head()) });

    const first = grid.pay(TRX_ADDRESS, 25_000_000n);
    const firstBlock = grid.head();
    grid.pay(OTHER_TRX_ADDRESS, 90_000_000n);
    // Listed for the address too, as a contract call, successful or not.
    grid.payToken(TRON_USDT_CONTRACT, TRX_ADDRESS, 25_000_000n);
    grid.payToken(TRON_USDT_CONTRACT, TRX_ADDRESS, 25_000_000n, { failed: true });
    const second = grid.pay(TRX_ADDRESS, 25_000_000n, { from: tronAddressFor('another payer') });
    const secondBlock = grid.head();
    grid.mine(2);

    const result = await watcher.observe(TRX_ADDRESS, { cursor });
    expect(result.observations).toEqual([
      {
        txid: first,
        amount: 25_000_000n,
        confirmations: grid.head() - firstBlock + 1,
        blockHeight: firstBlock,
        seenAt: new Date(blockTime(firstBlock)).toISOString(),
      },
      {
        txid: second,
        amount: 25_000_000n,
        confirmations: 3,
        blockHeight: secondBlock,
        seenAt: new Date(blockTime(secondBlock)).toISOString(),
      },
    ]);
    // The head is 21 s past the start, within the 60 s looked back: the window can't move yet.
    expect(result.cursor).toEqual(cursor);
    // Native listings carry their block: nothing to look up.
    expect(infoLookups()).toEqual([]);
    const listing = grid.requests.find((r) => r.path === `/v1/accounts/${TRX_ADDRESS}/transactions`)!;
    expect(listing.query).toMatchObject({
      only_to: 'true',
      only_confirmed: 'false',
      limit: '200',
      min_timestamp: String(cursor.nextBlock),
    });
    expect(grid.requests.every((r) => r.headers['tron-pro-api-key'] === 'grid-key')).toBe(true);
  });

  it('finds TRC-20 payments of its contract and looks each up for its block', async () => {
    const watcher = new TronWatcher({ baseUrl: grid.url, contract: TRON_USDT_CONTRACT });
    const cursor = await watcher.startCursor();

    const paid = grid.payToken(TRON_USDT_CONTRACT, TRX_ADDRESS, 12_500_000n);
    const paidAt = grid.head();
    grid.payToken(TRON_USDC_CONTRACT, TRX_ADDRESS, 7_000_000n);
    grid.payToken(TRON_USDT_CONTRACT, OTHER_TRX_ADDRESS, 99_000_000n);
    grid.pay(TRX_ADDRESS, 1_000_000n);
    grid.payToken(TRON_USDT_CONTRACT, TRX_ADDRESS, 12_500_000n, { failed: true });
    const again = grid.payToken(TRON_USDT_CONTRACT, TRX_ADDRESS, 12_500_000n);

    const { observations } = await watcher.observe(TRX_ADDRESS, { cursor });
    expect(observations).toEqual([
      { txid: paid, amount: 12_500_000n, confirmations: 6, blockHeight: paidAt, seenAt: new Date(blockTime(paidAt)).toISOString() },
      { txid: again, amount: 12_500_000n, confirmations: 1, blockHeight: grid.head(), seenAt: expect.any(String) },
    ]);
    const listing = grid.requests.find((r) => r.path === `/v1/accounts/${TRX_ADDRESS}/transactions/trc20`)!;
    expect(listing.query).toMatchObject({
      only_to: 'true',
      contract_address: TRON_USDT_CONTRACT,
      limit: '200',
      min_timestamp: String(cursor.nextBlock),
    });
    expect(infoLookups()).toEqual([again, paid]);
  });

  it('resumes from its cursor timestamp, looking known payments up by id once they leave the window', async () => {
    const watcher = new TronWatcher({ baseUrl: grid.url, contract: TRON_USDT_CONTRACT });
    const start = await watcher.startCursor();
    const txid = grid.payToken(TRON_USDT_CONTRACT, TRX_ADDRESS, 5_000_000n);
    const paidAt = grid.head();
    const first = await watcher.observe(TRX_ADDRESS, { cursor: start });
    expect(first.observations).toMatchObject([{ txid, confirmations: 1 }]);

    // 30 blocks (90 s) on, the payment is older than the 60 s the next listing looks back.
    grid.mine(30);
    const other = grid.payToken(TRON_USDT_CONTRACT, TRX_ADDRESS, 1_000_000n);
    grid.requests.length = 0;
    const second = await watcher.observe(TRX_ADDRESS, { cursor: first.cursor, known: first.observations });
    const listing = grid.requests.find((r) => r.path.endsWith('/trc20'))!;
    expect(listing.query.min_timestamp).toBe(String(first.cursor!.nextBlock));
    expect(second.observations.map((o) => [o.txid, o.amount, o.confirmations])).toEqual([
      [txid, 5_000_000n, grid.head() - paidAt + 1],
      [other, 1_000_000n, 1],
    ]);
    expect(second.cursor).toEqual({ nextBlock: blockTime(grid.head()) - 60_000 });

    // The next window no longer holds the first payment: it is looked up, not listed.
    grid.mine(25);
    grid.requests.length = 0;
    const third = await watcher.observe(TRX_ADDRESS, { cursor: second.cursor, known: second.observations });
    expect(third.observations.map((o) => o.confirmations)).toEqual([grid.head() - paidAt + 1, 26]);
    expect(grid.requests.find((r) => r.path.endsWith('/trc20'))!.query.min_timestamp).toBe(String(second.cursor!.nextBlock));
    expect(infoLookups().sort()).toEqual([txid, other].sort());
  });

  it('rechecks known TRX payments by id and drops a forgotten one to 0 confirmations', async () => {
    const watcher = new TronWatcher({ baseUrl: grid.url, rescanMs: 0 });
    const start = await watcher.startCursor();
    const kept = grid.pay(TRX_ADDRESS, 3_000_000n);
    const lost = grid.pay(TRX_ADDRESS, 4_000_000n);
    const seen = await watcher.observe(TRX_ADDRESS, { cursor: start });
    expect(seen.observations.map((o) => o.txid)).toEqual([kept, lost]);

    grid.forget(lost);
    grid.mine(19);
    grid.requests.length = 0;
    const after = await watcher.observe(TRX_ADDRESS, { cursor: seen.cursor, known: seen.observations });
    expect(after.observations).toEqual([
      { txid: kept, amount: 3_000_000n, confirmations: 21, blockHeight: grid.head() - 20, seenAt: expect.any(String) },
      { txid: lost, amount: 4_000_000n, confirmations: 0, blockHeight: null },
    ]);
    expect(infoLookups()).toEqual([kept, lost]);
  });

  it('follows meta.fingerprint across pages', async () => {
    const watcher = new TronWatcher({ baseUrl: grid.url, pageSize: 2 });
    const start = await watcher.startCursor();
    const paid = Array.from({ length: 5 }, (_, i) => grid.pay(TRX_ADDRESS, 1_000_000n + BigInt(i)));
    const { observations } = await watcher.observe(TRX_ADDRESS, { cursor: start });
    expect(observations.map((o) => o.txid)).toEqual(paid);
    const listings = grid.requests.filter((r) => r.path.startsWith('/v1/'));
    expect(listings).toHaveLength(3);
    expect(listings[0]!.query.fingerprint).toBeUndefined();
    expect(
      listings
        .slice(1)
        .every((r) => r.query.fingerprint !== undefined && r.query.limit === '2' && r.query.min_timestamp === String(start.nextBlock)),
    ).toBe(true);
  });

  it('says whether an API failure is worth retrying', async () => {
    const watcher = new TronWatcher({ baseUrl: grid.url });
    const cursor = await watcher.startCursor();
    grid.pay(TRX_ADDRESS, 1n);
    for (const [status, retryable] of [
      [429, true],
      [503, true],
      [500, true],
      [400, false],
      [401, false],
      [404, false],
    ] as const) {
      grid.failNext(status);
      const error = await failureOf(watcher.observe(TRX_ADDRESS, { cursor }));
      expect(error).toBeInstanceOf(ChainWatcherError);
      expect(error).toMatchObject({ retryable, message: expect.stringContaining(String(status)) });
    }
    grid.failNext(502, `/v1/accounts/${TRX_ADDRESS}/transactions`);
    await expect(watcher.observe(TRX_ADDRESS, { cursor })).rejects.toMatchObject({
      retryable: true,
      message: expect.stringContaining('/transactions'),
    });
    expect((await watcher.observe(TRX_ADDRESS, { cursor })).observations).toHaveLength(1);
  });

  it('refuses to list without a cursor or for a malformed address', async () => {
    const watcher = new TronWatcher({ baseUrl: grid.url });
    await expect(watcher.observe(TRX_ADDRESS)).rejects.toMatchObject({ name: 'ChainWatcherError', retryable: false });
    // One character off: the checksum catches it.
    await expect(watcher.observe('TJmmqjb1DK9TTZbQXzRQ2AuA94z4gKAPFj', { cursor: { nextBlock: 0 } })).rejects.toMatchObject({
      retryable: false,
    });
    expect(() => new TronWatcher({ baseUrl: grid.url, contract: '0xdAC17F958D2ee523a2206206994597C13D831ec7' })).toThrow(ChainWatcherError);
  });
});
