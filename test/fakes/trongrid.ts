import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import bs58check from 'bs58check';

/**
 * Tron behind TronGrid on loopback, in its real shapes and paging: the v1 account index
 * (/v1/accounts/:address/transactions and /transactions/trc20, newest first, `meta.fingerprint`
 * for the next page, `{success, data, meta}` envelopes, hex addresses inside transactions and
 * base58 in TRC-20 items) and the node API (/wallet/getnowblock, /wallet/gettransactioninfobyid).
 * Each pay lands in a block of its own (3 s apart); mine() adds empty blocks, forget() loses a
 * transaction as a dropped fork would.
 */
export interface RecordedTronRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

interface FakeTx {
  txID: string;
  blockNumber: number;
  seq: number;
  /** Hex (41…) sender. */
  from: string;
  /** Base58 recipient: of the TRX, or of the tokens. */
  to: string;
  amount: bigint;
  /** Base58 TRC-20 contract; null for a TRX transfer. */
  contract: string | null;
  /** contractRet: SUCCESS, or why the contract call failed. */
  result: string;
}

const BLOCK_MS = 3_000;
const GENESIS_MS = 1_529_891_469_000;
const SOLIDIFIED_AFTER = 19;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 200;

const sha = (seed: string) => createHash('sha256').update(seed).digest();
const toHex = (base58: string) => Buffer.from(bs58check.decode(base58)).toString('hex');
const toBase58 = (hex: string) => bs58check.encode(Buffer.from(hex, 'hex'));
/** A valid T… address derived from a seed. */
export const tronAddressFor = (seed: string) => toBase58(`41${sha(seed).subarray(0, 20).toString('hex')}`);
const PAYER = tronAddressFor('payer');
const word = (hex: string) => hex.padStart(64, '0');

export async function startTronGrid(options: { head?: number } = {}) {
  const requests: RecordedTronRequest[] = [];
  const failures: { status: number; path?: string }[] = [];
  const txs = new Map<string, FakeTx>();
  let head = options.head ?? 70_000_000;
  let seq = 0;
  const timestampOf = (block: number) => GENESIS_MS + block * BLOCK_MS;
  const blockId = (block: number) => `${block.toString(16).padStart(16, '0')}${sha(`block ${block}`).toString('hex').slice(16)}`;
  const solidified = (tx: FakeTx) => head - tx.blockNumber >= SOLIDIFIED_AFTER;

  const send = (tx: Omit<FakeTx, 'txID' | 'blockNumber' | 'seq'>) => {
    seq += 1;
    head += 1;
    const full: FakeTx = { ...tx, txID: sha(`tx ${seq}`).toString('hex'), blockNumber: head, seq };
    txs.set(full.txID, full);
    return full.txID;
  };

  const rawData = (tx: FakeTx) => ({
    contract: [
      tx.contract === null
        ? {
            parameter: {
              value: { amount: Number(tx.amount), owner_address: tx.from, to_address: toHex(tx.to) },
              type_url: 'type.googleapis.com/protocol.TransferContract',
            },
            type: 'TransferContract',
          }
        : {
            parameter: {
              value: {
                data: `a9059cbb${word(toHex(tx.to).slice(2))}${word(tx.amount.toString(16))}`,
                owner_address: tx.from,
                contract_address: toHex(tx.contract),
              },
              type_url: 'type.googleapis.com/protocol.TriggerSmartContract',
            },
            type: 'TriggerSmartContract',
          },
    ],
    ref_block_bytes: blockId(tx.blockNumber - 1).slice(12, 16),
    ref_block_hash: blockId(tx.blockNumber - 1).slice(16, 32),
    expiration: timestampOf(tx.blockNumber) + 60_000,
    ...(tx.contract === null ? {} : { fee_limit: 100_000_000 }),
    timestamp: timestampOf(tx.blockNumber) - 1_500,
  });
  const accountTxJson = (tx: FakeTx) => ({
    ret: [{ contractRet: tx.result, fee: tx.contract === null ? 0 : 13_844_850 }],
    signature: [sha(`sig ${tx.txID}`).toString('hex') + sha(`sig2 ${tx.txID}`).toString('hex') + '1b'],
    txID: tx.txID,
    net_usage: 0,
    raw_data_hex: '0a02' + tx.txID.slice(0, 40),
    net_fee: 345_000,
    energy_usage: 0,
    blockNumber: tx.blockNumber,
    block_timestamp: timestampOf(tx.blockNumber),
    energy_fee: tx.contract === null ? 0 : 13_499_850,
    energy_usage_total: tx.contract === null ? 0 : 64_285,
    raw_data: rawData(tx),
    internal_transactions: [],
  });
  const trc20Json = (tx: FakeTx) => ({
    transaction_id: tx.txID,
    token_info: { symbol: 'USDT', address: tx.contract, decimals: 6, name: 'Tether USD' },
    block_timestamp: timestampOf(tx.blockNumber),
    from: toBase58(tx.from),
    to: tx.to,
    type: 'Transfer',
    value: tx.amount.toString(),
  });
  const infoJson = (tx: FakeTx) =>
    tx.contract === null
      ? {
          id: tx.txID,
          blockNumber: tx.blockNumber,
          blockTimeStamp: timestampOf(tx.blockNumber),
          contractResult: [''],
          receipt: { net_usage: 268 },
        }
      : {
          id: tx.txID,
          fee: 13_844_850,
          blockNumber: tx.blockNumber,
          blockTimeStamp: timestampOf(tx.blockNumber),
          contractResult: [tx.result === 'SUCCESS' ? word('1') : ''],
          contract_address: toHex(tx.contract),
          receipt: { energy_fee: 13_499_850, energy_usage_total: 64_285, net_fee: 345_000, result: tx.result },
          ...(tx.result === 'SUCCESS'
            ? {
                log: [
                  {
                    address: toHex(tx.contract).slice(2),
                    topics: [
                      'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
                      word(tx.from.slice(2)),
                      word(toHex(tx.to).slice(2)),
                    ],
                    data: word(tx.amount.toString(16)),
                  },
                ],
              }
            : { result: 'FAILED', resMessage: Buffer.from('Not enough energy').toString('hex') }),
        };

  type Reply = { status: number; body: unknown };
  const fail = (status: number, error: string): Reply => ({ status, body: { success: false, error, statusCode: status } });

  /** Newest first, filtered the way TronGrid filters, one page from the fingerprint on. */
  function listing(all: FakeTx[], query: Record<string, string>, path: string, render: (tx: FakeTx) => unknown): Reply {
    const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return fail(400, `limit must be between 1 and ${MAX_LIMIT}`);
    if (query.only_confirmed === 'true' && query.only_unconfirmed === 'true')
      return fail(400, 'only_confirmed and only_unconfirmed cannot both be true');
    const min = Number(query.min_timestamp ?? 0);
    const max = query.max_timestamp === undefined ? Infinity : Number(query.max_timestamp);
    const matching = all
      .filter((tx) => timestampOf(tx.blockNumber) >= min && timestampOf(tx.blockNumber) <= max)
      .filter((tx) => (query.only_confirmed === 'true' ? solidified(tx) : query.only_unconfirmed === 'true' ? !solidified(tx) : true))
      .sort((a, b) => b.blockNumber - a.blockNumber || b.seq - a.seq);
    const start = query.fingerprint === undefined ? 0 : Number(Buffer.from(query.fingerprint, 'base64url').toString());
    if (!Number.isInteger(start)) return fail(400, 'invalid fingerprint');
    const data = matching.slice(start, start + limit);
    const more = start + limit < matching.length;
    const fingerprint = Buffer.from(String(start + limit)).toString('base64url');
    const next = new URLSearchParams({ ...query, fingerprint });
    return {
      status: 200,
      body: {
        data: data.map(render),
        success: true,
        meta: {
          at: Date.now(),
          ...(more ? { fingerprint, links: { next: `https://api.trongrid.io${path}?${next}` } } : {}),
          page_size: data.length,
        },
      },
    };
  }

  const accountOf = (text: string): string | null => {
    try {
      return /^41[0-9a-fA-F]{40}$/.test(text) ? toBase58(text.toLowerCase()) : (bs58check.decode(text), text);
    } catch {
      return null;
    }
  };

  function handle(method: string, path: string, query: Record<string, string>, body: unknown): Reply {
    if (path === '/wallet/getnowblock') {
      return {
        status: 200,
        body: {
          blockID: blockId(head),
          block_header: {
            raw_data: {
              number: head,
              txTrieRoot: sha(`trie ${head}`).toString('hex'),
              witness_address: toHex(tronAddressFor('witness')),
              parentHash: blockId(head - 1),
              version: 30,
              timestamp: timestampOf(head),
            },
            witness_signature: sha(`ws ${head}`).toString('hex'),
          },
        },
      };
    }
    if (path === '/wallet/gettransactioninfobyid') {
      if (method !== 'POST') return { status: 405, body: 'Method Not Allowed' };
      const value = body && typeof body === 'object' && 'value' in body ? String(body.value) : '';
      const tx = txs.get(value);
      return { status: 200, body: tx ? infoJson(tx) : {} };
    }
    const account = path.match(/^\/v1\/accounts\/([^/]+)\/transactions(\/trc20)?$/);
    if (account && method === 'GET') {
      const address = accountOf(decodeURIComponent(account[1]!));
      if (!address) return fail(400, `Invalid address provided: ${account[1]}`);
      const involved = (tx: FakeTx) =>
        query.only_to === 'true'
          ? tx.to === address
          : query.only_from === 'true'
            ? toBase58(tx.from) === address
            : tx.to === address || toBase58(tx.from) === address;
      if (account[2]) {
        const contract = query.contract_address === undefined ? null : accountOf(query.contract_address);
        if (query.contract_address !== undefined && !contract)
          return fail(400, `Invalid contract_address provided: ${query.contract_address}`);
        // Only successful calls emit the Transfer event this index is built from.
        const transfers = [...txs.values()].filter(
          (tx) => tx.contract !== null && tx.result === 'SUCCESS' && (contract === null || tx.contract === contract) && involved(tx),
        );
        return listing(transfers, query, path, trc20Json);
      }
      // The account index lists token transfers to the address too, as contract calls.
      return listing([...txs.values()].filter(involved), query, path, accountTxJson);
    }
    return { status: 404, body: { success: false, error: 'Not Found', statusCode: 404 } };
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://trongrid.test');
      let body: unknown;
      try {
        body = raw === '' ? null : JSON.parse(raw);
      } catch {
        body = raw;
      }
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
      });
      const at = failures.findIndex((f) => f.path === undefined || f.path === url.pathname);
      const failure = at < 0 ? undefined : failures.splice(at, 1)[0]!.status;
      const result =
        failure !== undefined
          ? fail(failure, `injected ${failure}`)
          : handle(req.method ?? 'GET', url.pathname, Object.fromEntries(url.searchParams), body);
      res.writeHead(result.status, { 'content-type': 'application/json' }).end(JSON.stringify(result.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    /** API root, like https://api.trongrid.io. */
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    head: () => head,
    /** A block's timestamp (ms), as getnowblock and the listings give it. */
    blockTimestamp: timestampOf,
    /** A TRX transfer of `sun` to `to` (base58), in a new block. */
    pay: (to: string, sun: bigint, opts: { from?: string } = {}) =>
      send({ from: toHex(opts.from ?? PAYER), to, amount: sun, contract: null, result: 'SUCCESS' }),
    /** A TRC-20 transfer(to, amount) on `contract`, in a new block; `failed` runs it out of energy (no Transfer event). */
    payToken: (contract: string, to: string, amount: bigint, opts: { failed?: boolean } = {}) =>
      send({ from: toHex(PAYER), to, amount, contract, result: opts.failed ? 'OUT_OF_ENERGY' : 'SUCCESS' }),
    /** Adds n empty blocks. */
    mine(n = 1) {
      head += n;
    },
    /** The transaction's block is abandoned: neither index nor node knows it any more. */
    forget(txid: string) {
      if (!txs.delete(txid)) throw new Error(`${txid} is unknown`);
    },
    /** The next request (to `path`, e.g. '/wallet/getnowblock', if given) answers `status` instead; queue several by repeating. */
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

export type FakeTronGrid = Awaited<ReturnType<typeof startTronGrid>>;
