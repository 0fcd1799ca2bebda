import { createHash } from 'node:crypto';
import { rpcError, startJsonRpcServer } from './json-rpc-server';

export type { RecordedRpcCall, RpcFailure } from './json-rpc-server';

/**
 * An EVM chain behind a node's JSON-RPC on loopback, single and batch requests, in the real
 * shapes (hex quantities, lower-case addresses, 32-byte topics): eth_chainId, eth_blockNumber,
 * eth_getBlockByNumber, eth_getTransactionByHash, eth_getTransactionReceipt, eth_getLogs.
 * Like Anvil's automine, each send mines a block holding it; mine() adds empty blocks and
 * reorg() takes a transaction back out of its block into the pending pool.
 */
interface FakeLog {
  address: string;
  topics: string[];
  data: string;
}

interface FakeTx {
  hash: string;
  from: string;
  to: string;
  value: bigint;
  input: string;
  nonce: number;
  reverted: boolean;
  logs: FakeLog[];
  blockNumber: number | null;
}

interface FakeBlock {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
  txs: FakeTx[];
}

const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const PAYER = '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed';
const hex = (n: number | bigint) => `0x${n.toString(16)}`;
const word = (n: bigint | string) => (typeof n === 'bigint' ? n.toString(16) : n.replace(/^0x/, '').toLowerCase()).padStart(64, '0');

export async function startEvmRpc(options: { head?: number; chainId?: number } = {}) {
  const txs = new Map<string, FakeTx>();
  const blocks: FakeBlock[] = [];
  const pending: FakeTx[] = [];
  let counter = 0;
  const digest = (seed: string) => `0x${createHash('sha256').update(seed).digest('hex')}`;

  const addBlock = (included: FakeTx[]) => {
    const number = blocks.length;
    const block: FakeBlock = {
      number,
      hash: digest(`block ${number} ${(counter += 1)}`),
      parentHash: blocks[number - 1]?.hash ?? `0x${'0'.repeat(64)}`,
      timestamp: 1_700_000_000 + number * 12,
      txs: included,
    };
    for (const tx of included) tx.blockNumber = number;
    blocks.push(block);
    return block;
  };
  for (let i = 0; i <= (options.head ?? 1_000); i += 1) addBlock([]);
  const head = () => blocks.length - 1;

  const send = (tx: Omit<FakeTx, 'hash' | 'nonce' | 'blockNumber'>) => {
    counter += 1;
    const full: FakeTx = { ...tx, hash: digest(`tx ${counter}`), nonce: counter, blockNumber: null };
    txs.set(full.hash, full);
    addBlock([full]);
    return full.hash;
  };

  const location = (tx: FakeTx) => {
    const block = blocks[tx.blockNumber!]!;
    return { blockHash: block.hash, blockNumber: hex(block.number), transactionIndex: hex(block.txs.indexOf(tx)) };
  };
  const logsOf = (tx: FakeTx) => {
    if (tx.blockNumber === null || tx.reverted) return [];
    const block = blocks[tx.blockNumber]!;
    const before = block.txs.slice(0, block.txs.indexOf(tx)).reduce((n, t) => n + (t.reverted ? 0 : t.logs.length), 0);
    return tx.logs.map((log, i) => ({
      ...log,
      ...location(tx),
      blockTimestamp: hex(block.timestamp),
      transactionHash: tx.hash,
      logIndex: hex(before + i),
      removed: false,
    }));
  };
  const txJson = (tx: FakeTx) => ({
    type: '0x2',
    chainId: hex(options.chainId ?? 1),
    nonce: hex(tx.nonce),
    hash: tx.hash,
    from: tx.from,
    to: tx.to,
    value: hex(tx.value),
    input: tx.input,
    gas: hex(tx.logs.length ? 65_000 : 21_000),
    gasPrice: hex(30_000_000_000),
    maxFeePerGas: hex(40_000_000_000),
    maxPriorityFeePerGas: hex(1_000_000_000),
    ...(tx.blockNumber === null ? { blockHash: null, blockNumber: null, transactionIndex: null } : location(tx)),
    v: '0x1',
    r: digest(`r ${tx.hash}`),
    s: digest(`s ${tx.hash}`),
  });
  const blockJson = (block: FakeBlock, full: boolean) => ({
    number: hex(block.number),
    hash: block.hash,
    parentHash: block.parentHash,
    timestamp: hex(block.timestamp),
    miner: '0x95222290dd7278aa3ddd389cc1e1d165cc4bafe5',
    gasLimit: hex(30_000_000),
    gasUsed: hex(block.txs.length * 21_000),
    baseFeePerGas: hex(20_000_000_000),
    extraData: '0x',
    logsBloom: `0x${'0'.repeat(512)}`,
    transactions: block.txs.map((tx) => (full ? txJson(tx) : tx.hash)),
    uncles: [],
  });
  const receiptJson = (tx: FakeTx) => ({
    transactionHash: tx.hash,
    ...location(tx),
    from: tx.from,
    to: tx.to,
    contractAddress: null,
    cumulativeGasUsed: hex(21_000),
    gasUsed: hex(21_000),
    effectiveGasPrice: hex(30_000_000_000),
    logs: logsOf(tx),
    logsBloom: `0x${'0'.repeat(512)}`,
    status: tx.reverted ? '0x0' : '0x1',
    type: '0x2',
  });

  const blockNumberOf = (tag: unknown): number | null => {
    if (tag === undefined || tag === 'latest' || tag === 'safe' || tag === 'finalized' || tag === 'pending') return head();
    if (tag === 'earliest') return 0;
    return typeof tag === 'string' && /^0x[0-9a-f]+$/i.test(tag) ? Number.parseInt(tag.slice(2), 16) : null;
  };
  const topicMatches = (wanted: unknown, actual: string | undefined) =>
    wanted === null ||
    wanted === undefined ||
    (actual !== undefined && (Array.isArray(wanted) ? wanted : [wanted]).some((w) => typeof w === 'string' && w.toLowerCase() === actual));

  function answer(method: string, params: unknown[]): { result: unknown } | { error: { code: number; message: string } } {
    switch (method) {
      case 'eth_chainId':
        return { result: hex(options.chainId ?? 1) };
      case 'eth_blockNumber':
        return { result: hex(head()) };
      case 'eth_getBlockByNumber': {
        const n = blockNumberOf(params[0]);
        if (n === null) return { error: rpcError(-32602, 'invalid argument 0: hex string without 0x prefix') };
        const block = blocks[n];
        return { result: block ? blockJson(block, params[1] === true) : null };
      }
      case 'eth_getTransactionByHash': {
        const tx = txs.get(String(params[0]).toLowerCase());
        return { result: tx && (tx.blockNumber !== null || pending.includes(tx)) ? txJson(tx) : null };
      }
      case 'eth_getTransactionReceipt': {
        const tx = txs.get(String(params[0]).toLowerCase());
        return { result: tx && tx.blockNumber !== null ? receiptJson(tx) : null };
      }
      case 'eth_getLogs': {
        const filter = (params[0] ?? {}) as { fromBlock?: string; toBlock?: string; address?: string | string[]; topics?: unknown[] };
        const from = blockNumberOf(filter.fromBlock ?? 'latest');
        const to = blockNumberOf(filter.toBlock ?? 'latest');
        if (from === null || to === null) return { error: rpcError(-32602, 'invalid block range') };
        const addresses =
          filter.address === undefined
            ? null
            : (Array.isArray(filter.address) ? filter.address : [filter.address]).map((a) => a.toLowerCase());
        const logs = blocks
          .slice(from, Math.min(to, head()) + 1)
          .flatMap((block) => block.txs.flatMap(logsOf))
          .filter(
            (log) =>
              (addresses === null || addresses.includes(log.address)) &&
              (filter.topics ?? []).every((wanted, i) => topicMatches(wanted, log.topics[i])),
          );
        return { result: logs };
      }
      default:
        return { error: rpcError(-32601, `the method ${method} does not exist/is not available`) };
    }
  }

  const rpc = await startJsonRpcServer(answer);

  const sendTokens = (contract: string, transfers: { to: string; amount: bigint }[], opts: { from?: string } = {}) => {
    const from = (opts.from ?? PAYER).toLowerCase();
    return send({
      from,
      to: contract.toLowerCase(),
      value: 0n,
      // transfer(address,uint256) for one transfer; a batch payout contract's call otherwise.
      input: transfers.length === 1 ? `0xa9059cbb${word(transfers[0]!.to)}${word(transfers[0]!.amount)}` : `0x${'ab'.repeat(4)}`,
      reverted: false,
      logs: transfers.map((t) => ({
        address: contract.toLowerCase(),
        topics: [TRANSFER_TOPIC, `0x${word(from)}`, `0x${word(t.to)}`],
        data: `0x${word(t.amount)}`,
      })),
    });
  };

  return {
    url: rpc.url,
    /** Every JSON-RPC call, batches flattened, in arrival order. */
    calls: rpc.calls,
    httpRequests: rpc.httpRequests,
    head,
    /** A plain transfer of `wei` to `to`, mined in a new block; `reverted` mines it as failed. */
    sendNative: (to: string, wei: bigint, opts: { from?: string; reverted?: boolean } = {}) =>
      send({
        from: (opts.from ?? PAYER).toLowerCase(),
        to: to.toLowerCase(),
        value: wei,
        input: '0x',
        reverted: opts.reverted ?? false,
        logs: [],
      }),
    /** An ERC-20 transfer(to, amount) call on `contract`, mined in a new block with its Transfer log. */
    sendToken: (contract: string, to: string, amount: bigint, opts: { from?: string } = {}) => sendTokens(contract, [{ to, amount }], opts),
    /** One transaction emitting several Transfer events (a batch payout). */
    sendTokens,
    /** Adds n blocks; the first takes every pending transaction. */
    mine(n = 1) {
      for (let i = 0; i < n; i += 1) addBlock(i === 0 ? pending.splice(0) : []);
    },
    /** The block holding `hash` is replaced by one without it: back to pending, no receipt, no logs. */
    reorg(hash: string) {
      const tx = txs.get(hash);
      if (!tx || tx.blockNumber === null) throw new Error(`${hash} is not mined`);
      const block = blocks[tx.blockNumber]!;
      block.txs = block.txs.filter((t) => t !== tx);
      block.hash = digest(`reorged ${block.number} ${(counter += 1)}`);
      const next = blocks[block.number + 1];
      if (next) next.parentHash = block.hash;
      tx.blockNumber = null;
      pending.push(tx);
    },
    failNext: rpc.failNext,
    close: rpc.close,
  };
}

export type FakeEvmRpc = Awaited<ReturnType<typeof startEvmRpc>>;
