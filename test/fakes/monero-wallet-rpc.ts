import { createHash } from 'node:crypto';
import { rpcError, startJsonRpcServer } from './json-rpc-server';

/**
 * A monero-wallet-rpc holding a view-only wallet, as a store runs it: `create_address` hands
 * out subaddresses of account 0, `get_transfers` lists what each received (mined and in the
 * pool) with confirmations. pay() and mine() drive it.
 */
interface FakeTransfer {
  txid: string;
  amount: bigint;
  minor: number;
  height: number | null;
  timestamp: number;
}

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const subaddressFor = (index: number) => {
  const digest = createHash('sha512').update(`subaddress ${index}`).digest();
  return `8${Array.from({ length: 94 }, (_, i) => ALPHABET[digest[i % digest.length]! % ALPHABET.length]).join('')}`;
};

export async function startMoneroWalletRpc(options: { height?: number } = {}) {
  let height = options.height ?? 3_000_000;
  const labels: string[] = ['Primary account'];
  const transfers: FakeTransfer[] = [];
  let counter = 0;

  const view = (t: FakeTransfer) => ({
    txid: t.txid,
    amount: Number(t.amount),
    ...(t.height === null ? { confirmations: 0 } : { confirmations: height - t.height + 1, height: t.height }),
    timestamp: t.timestamp,
    subaddr_index: { major: 0, minor: t.minor },
    type: t.height === null ? 'pool' : 'in',
  });

  const rpc = await startJsonRpcServer((method, _positional, params) => {
    switch (method) {
      case 'create_address': {
        if (params.account_index !== 0) return { error: rpcError(-2, 'account index is out of bound') };
        labels.push(String(params.label ?? ''));
        const index = labels.length - 1;
        return {
          result: { address: subaddressFor(index), address_index: index, address_indices: [index], addresses: [subaddressFor(index)] },
        };
      }
      case 'get_transfers': {
        const indices = Array.isArray(params.subaddr_indices) ? (params.subaddr_indices as number[]) : null;
        const mine = transfers.filter((t) => indices === null || indices.includes(t.minor));
        const result: Record<string, unknown> = {};
        if (params.in) result.in = mine.filter((t) => t.height !== null).map(view);
        if (params.pool) result.pool = mine.filter((t) => t.height === null).map(view);
        return { result };
      }
      case 'get_height':
        return { result: { height } };
      default:
        return { error: rpcError(-32601, 'Method not found') };
    }
  });

  return {
    url: rpc.url.replace(/\/$/, ''),
    calls: rpc.calls,
    subaddressFor,
    /** A transfer of `piconero` to subaddress `index`, into the pool (or mined at once). */
    pay(index: number, piconero: bigint, opts: { mined?: boolean } = {}) {
      const txid = createHash('sha256')
        .update(`xmr ${(counter += 1)}`)
        .digest('hex');
      transfers.push({
        txid,
        amount: piconero,
        minor: index,
        height: opts.mined ? (height += 1) : null,
        timestamp: Math.floor(Date.now() / 1000),
      });
      return txid;
    },
    /** Mines n blocks; the first takes the pool. */
    mine(n = 1) {
      height += 1;
      for (const t of transfers) if (t.height === null) t.height = height;
      height += n - 1;
    },
    failNext: rpc.failNext,
    close: rpc.close,
  };
}
