import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Bitcoin-like chain behind Esplora's REST API on loopback (Blockstream / mempool.space
 * shapes and paging): /address/:addr/txs, /address/:addr/txs/chain[/:last_seen_txid] and
 * /blocks/tip/height. Tests move the chain: pay() into the mempool or straight into a block,
 * mine() blocks, reorg() a transaction back out of its block.
 */
export interface RecordedEsploraRequest {
  method: string;
  path: string;
}

interface FakeOutput {
  address: string;
  value: number;
}

interface FakeTx {
  txid: string;
  outputs: FakeOutput[];
  height: number | null;
  /** Order of arrival: newest first within a block, like Esplora's history. */
  seq: number;
}

/** Esplora's page sizes: mempool transactions on /txs, confirmed ones on every history page. */
const MEMPOOL_LIMIT = 50;
const CHAIN_PAGE = 25;
const CHANGE_ADDRESS = 'bc1qchangechangechangechangechangechangechan';

export async function startEsplora(options: { tipHeight?: number } = {}) {
  const requests: RecordedEsploraRequest[] = [];
  const txs = new Map<string, FakeTx>();
  const blockHashes = new Map<number, string>();
  const failures: { status: number; path?: string }[] = [];
  let tip = options.tipHeight ?? 840_000;
  let seq = 0;
  const hash = (seed: string) => createHash('sha256').update(seed).digest('hex');
  const blockHash = (height: number) => {
    if (!blockHashes.has(height)) blockHashes.set(height, hash(`block ${height} ${blockHashes.size}`));
    return blockHashes.get(height)!;
  };
  const blockTime = (height: number) => 1_700_000_000 + height * 600;

  const txJson = (tx: FakeTx) => ({
    txid: tx.txid,
    version: 2,
    locktime: 0,
    vin: [
      {
        txid: hash(`funding ${tx.txid}`),
        vout: 0,
        prevout: {
          scriptpubkey_address: 'bc1qpayerpayerpayerpayerpayerpayerpayerpay',
          value: tx.outputs.reduce((s, o) => s + o.value, 0) + 1_000,
        },
        is_coinbase: false,
        sequence: 4294967293,
      },
    ],
    vout: tx.outputs.map((o) => ({
      scriptpubkey: `0014${hash(o.address).slice(0, 40)}`,
      scriptpubkey_type: 'v0_p2wpkh',
      scriptpubkey_address: o.address,
      value: o.value,
    })),
    size: 222,
    weight: 561,
    fee: 1_000,
    status:
      tx.height === null
        ? { confirmed: false }
        : { confirmed: true, block_height: tx.height, block_hash: blockHash(tx.height), block_time: blockTime(tx.height) },
  });

  /** Newest first: mempool, then by height, then by arrival. */
  const historyOf = (address: string) =>
    [...txs.values()]
      .filter((tx) => tx.outputs.some((o) => o.address === address))
      .sort((a, b) => (b.height ?? Infinity) - (a.height ?? Infinity) || b.seq - a.seq);

  function handle(path: string): { status: number; body: string; type: string } {
    const json = (body: unknown, status = 200) => ({ status, body: JSON.stringify(body), type: 'application/json' });
    if (path === '/api/blocks/tip/height') return { status: 200, body: String(tip), type: 'text/plain' };
    const history = path.match(/^\/api\/address\/([^/]+)\/txs(\/chain(?:\/([0-9a-f]{64}))?)?$/);
    if (history) {
      const all = historyOf(decodeURIComponent(history[1]!));
      const confirmed = all.filter((tx) => tx.height !== null);
      if (!history[2])
        return json([...all.filter((tx) => tx.height === null).slice(0, MEMPOOL_LIMIT), ...confirmed.slice(0, CHAIN_PAGE)].map(txJson));
      const after = history[3] ? confirmed.findIndex((tx) => tx.txid === history[3]) : -1;
      // Esplora answers an unknown last_seen_txid with an empty page.
      if (history[3] && after < 0) return json([]);
      return json(confirmed.slice(after + 1, after + 1 + CHAIN_PAGE).map(txJson));
    }
    return { status: 404, body: 'Not Found', type: 'text/plain' };
  }

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://esplora.test').pathname;
    requests.push({ method: req.method ?? 'GET', path });
    const at = failures.findIndex((f) => f.path === undefined || f.path === path);
    const failure = at < 0 ? undefined : failures.splice(at, 1)[0]!.status;
    const result =
      failure !== undefined
        ? { status: failure, body: `injected ${failure}`, type: 'text/plain' }
        : req.method === 'GET'
          ? handle(path)
          : { status: 405, body: 'Method Not Allowed', type: 'text/plain' };
    res.writeHead(result.status, { 'content-type': result.type }).end(result.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const pay = (outputs: FakeOutput[], opts: { confirmed?: boolean } = {}) => {
    seq += 1;
    const tx: FakeTx = { txid: hash(`tx ${seq}`), outputs: [...outputs, { address: CHANGE_ADDRESS, value: 12_345 }], height: null, seq };
    txs.set(tx.txid, tx);
    if (opts.confirmed) {
      tip += 1;
      tx.height = tip;
    }
    return tx.txid;
  };

  return {
    /** API root, like https://blockstream.info/api. */
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    requests,
    tipHeight: () => tip,
    /** A transaction paying `amountSats` to `address`, in the mempool or (confirmed) in a new block of its own. */
    pay: (address: string, amountSats: number, opts: { confirmed?: boolean } = {}) => pay([{ address, value: amountSats }], opts),
    /** One transaction with several outputs, e.g. two to the same address. */
    payOutputs: (outputs: FakeOutput[], opts: { confirmed?: boolean } = {}) => pay(outputs, opts),
    /** Adds n blocks; the first takes every mempool transaction. */
    mine(n = 1) {
      for (let i = 0; i < n; i += 1) {
        tip += 1;
        if (i === 0) for (const tx of txs.values()) if (tx.height === null) tx.height = tip;
      }
    },
    /** The block holding `txid` is replaced by one without it: back to the mempool, new block hash. */
    reorg(txid: string) {
      const tx = txs.get(txid);
      if (!tx || tx.height === null) throw new Error(`${txid} is not confirmed`);
      blockHashes.set(tx.height, hash(`reorged ${tx.height} ${seq}`));
      tx.height = null;
    },
    /** The next request (to `path`, e.g. '/api/blocks/tip/height', if given) answers `status` instead; queue several by repeating. */
    failNext(status: number, path?: string) {
      failures.push({ status, path });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeEsplora = Awaited<ReturnType<typeof startEsplora>>;
