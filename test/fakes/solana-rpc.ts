import { createHash } from 'node:crypto';
import bs58 from 'bs58';
import { rpcError, startJsonRpcServer } from './json-rpc-server';

/**
 * A Solana cluster behind a node's JSON-RPC on loopback, single and batch requests, in the real
 * shapes (base58 keys and signatures, jsonParsed transactions, token balances with owner and
 * mint): getSlot, getSignaturesForAddress, getTransaction, getSignatureStatuses,
 * getTokenAccountsByOwner. Each pay lands in a slot of its own at "confirmed"; advance() adds
 * empty slots, finalize() roots everything so far, rollBack() forgets a transaction like a
 * dropped fork.
 */
/** An HTTP status for the next request, or a JSON-RPC error for the next call (of `method`, if given). */

interface AccountKey {
  pubkey: string;
  signer: boolean;
  writable: boolean;
}

interface TokenBalance {
  accountIndex: number;
  mint: string;
  owner: string;
  amount: bigint;
}

interface FakeTx {
  signature: string;
  slot: number;
  seq: number;
  keys: AccountKey[];
  preBalances: bigint[];
  postBalances: bigint[];
  preTokenBalances: TokenBalance[];
  postTokenBalances: TokenBalance[];
  instructions: unknown[];
  err: unknown;
}

const SYSTEM_PROGRAM = '11111111111111111111111111111111';
const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const ASSOCIATED_TOKEN_PROGRAM = 'ATokenGPvbdGVxr1b6hQZuZ7bSSxbRbu6ywCmYnJ5KEh';
const FEE = 5_000n;
const TOKEN_ACCOUNT_RENT = 2_039_280n;
const TOKEN_DECIMALS = 6;
/** Statuses older than this many slots are answered only with searchTransactionHistory. */
const STATUS_CACHE_SLOTS = 150;
const MAX_SIGNATURES = 1_000;

const key = (seed: string) => bs58.encode(createHash('sha256').update(seed).digest());
const PAYER = key('payer');

export async function startSolanaRpc(options: { slot?: number } = {}) {
  const txs = new Map<string, FakeTx>();
  // Past 2^53 lamports, like an exchange's hot wallet: JSON numbers lose its last digits.
  const lamports = new Map<string, bigint>([[PAYER, 10n ** 17n]]);
  /** Token accounts by address. */
  const tokenAccounts = new Map<string, { mint: string; owner: string; amount: bigint }>();
  let slot = options.slot ?? 250_000_000;
  let finalizedSlot = slot;
  let seq = 0;
  const blockTime = (s: number) => 1_700_000_000 + Math.floor(s * 0.4);
  const balanceOf = (address: string) => lamports.get(address) ?? 0n;
  const ataOf = (owner: string, mint: string) => key(`ata ${owner} ${mint}`);

  const status = (tx: FakeTx) => (tx.slot <= finalizedSlot ? 'finalized' : 'confirmed');
  const commitmentOf = (config: unknown) =>
    config && typeof config === 'object' && 'commitment' in config ? String(config.commitment) : 'finalized';
  const uiAmount = (amount: bigint) => ({
    amount: amount.toString(),
    decimals: TOKEN_DECIMALS,
    uiAmount: Number(amount) / 10 ** TOKEN_DECIMALS,
    uiAmountString: (Number(amount) / 10 ** TOKEN_DECIMALS).toString(),
  });
  const tokenBalanceJson = (b: TokenBalance) => ({
    accountIndex: b.accountIndex,
    mint: b.mint,
    owner: b.owner,
    programId: TOKEN_PROGRAM,
    uiTokenAmount: uiAmount(b.amount),
  });

  /** A new slot holding one transaction; balances move unless it fails (then only the fee is taken). */
  const record = (build: (tx: FakeTx) => void, failed: boolean) => {
    seq += 1;
    slot += 1;
    const tx: FakeTx = {
      signature: bs58.encode(createHash('sha512').update(`tx ${seq}`).digest()),
      slot,
      seq,
      keys: [],
      preBalances: [],
      postBalances: [],
      preTokenBalances: [],
      postTokenBalances: [],
      instructions: [],
      err: null,
    };
    build(tx);
    if (failed) {
      tx.err = { InstructionError: [0, { Custom: 1 }] };
      tx.postBalances = tx.preBalances.map((b, i) => (i === 0 ? b - FEE : b));
      tx.postTokenBalances = tx.preTokenBalances;
    }
    for (const [i, k] of tx.keys.entries()) lamports.set(k.pubkey, tx.postBalances[i]!);
    for (const b of tx.postTokenBalances) tokenAccounts.get(tx.keys[b.accountIndex]!.pubkey)!.amount = b.amount;
    txs.set(tx.signature, tx);
    return tx.signature;
  };

  const pay = (to: string, amount: bigint, opts: { failed?: boolean; from?: string } = {}) =>
    record((tx) => {
      const from = opts.from ?? PAYER;
      if (!lamports.has(from)) lamports.set(from, 10n ** 15n);
      tx.keys = [
        { pubkey: from, signer: true, writable: true },
        { pubkey: to, signer: false, writable: true },
        { pubkey: SYSTEM_PROGRAM, signer: false, writable: false },
      ];
      tx.preBalances = [balanceOf(from), balanceOf(to), 1n];
      tx.postBalances = [balanceOf(from) - amount - FEE, balanceOf(to) + amount, 1n];
      tx.instructions = [
        {
          parsed: { info: { destination: to, lamports: Number(amount), source: from }, type: 'transfer' },
          program: 'system',
          programId: SYSTEM_PROGRAM,
          stackHeight: null,
        },
      ];
    }, opts.failed ?? false);

  /** transferChecked from the payer's token account to the owner's associated account, creating it if need be. */
  const payToken = (mint: string, owner: string, amount: bigint, opts: { failed?: boolean } = {}) => {
    const destination = ataOf(owner, mint);
    const creating = !tokenAccounts.has(destination);
    const signature = record((tx) => {
      const source = ataOf(PAYER, mint);
      if (!tokenAccounts.has(source)) tokenAccounts.set(source, { mint, owner: PAYER, amount: 10n ** 15n });
      if (creating) tokenAccounts.set(destination, { mint, owner, amount: 0n });
      tx.keys = [
        { pubkey: PAYER, signer: true, writable: true },
        { pubkey: source, signer: false, writable: true },
        { pubkey: destination, signer: false, writable: true },
        // Creating the associated account names its owner; a plain transfer does not.
        ...(creating ? [{ pubkey: owner, signer: false, writable: false }] : []),
        { pubkey: mint, signer: false, writable: false },
        { pubkey: TOKEN_PROGRAM, signer: false, writable: false },
        ...(creating
          ? [
              { pubkey: ASSOCIATED_TOKEN_PROGRAM, signer: false, writable: false },
              { pubkey: SYSTEM_PROGRAM, signer: false, writable: false },
            ]
          : []),
      ];
      tx.preBalances = tx.keys.map((k) => (k.pubkey === destination && creating ? 0n : balanceOf(k.pubkey)));
      tx.postBalances = tx.preBalances.map((b, i) =>
        i === 0 ? b - FEE - (creating ? TOKEN_ACCOUNT_RENT : 0n) : tx.keys[i]!.pubkey === destination && creating ? TOKEN_ACCOUNT_RENT : b,
      );
      const sourceBalance = tokenAccounts.get(source)!.amount;
      const destinationBalance = tokenAccounts.get(destination)!.amount;
      tx.preTokenBalances = [
        { accountIndex: 1, mint, owner: PAYER, amount: sourceBalance },
        ...(creating ? [] : [{ accountIndex: 2, mint, owner, amount: destinationBalance }]),
      ];
      tx.postTokenBalances = [
        { accountIndex: 1, mint, owner: PAYER, amount: sourceBalance - amount },
        { accountIndex: 2, mint, owner, amount: destinationBalance + amount },
      ];
      tx.instructions = [
        {
          parsed: { info: { authority: PAYER, destination, mint, source, tokenAmount: uiAmount(amount) }, type: 'transferChecked' },
          program: 'spl-token',
          programId: TOKEN_PROGRAM,
          stackHeight: null,
        },
      ];
    }, opts.failed ?? false);
    // A failed transaction creates nothing either.
    if (opts.failed && creating) tokenAccounts.delete(destination);
    return signature;
  };

  const signatureJson = (tx: FakeTx) => ({
    signature: tx.signature,
    slot: tx.slot,
    err: tx.err,
    memo: null,
    blockTime: blockTime(tx.slot),
    confirmationStatus: status(tx),
  });
  const transactionJson = (tx: FakeTx) => ({
    blockTime: blockTime(tx.slot),
    slot: tx.slot,
    version: 'legacy',
    meta: {
      computeUnitsConsumed: 450,
      err: tx.err,
      fee: Number(FEE),
      innerInstructions: [],
      logMessages: [],
      preBalances: tx.preBalances.map(Number),
      postBalances: tx.postBalances.map(Number),
      preTokenBalances: tx.preTokenBalances.map(tokenBalanceJson),
      postTokenBalances: tx.postTokenBalances.map(tokenBalanceJson),
      rewards: [],
      status: tx.err === null ? { Ok: null } : { Err: tx.err },
    },
    transaction: {
      message: {
        accountKeys: tx.keys.map((k) => ({ ...k, source: 'transaction' })),
        instructions: tx.instructions,
        recentBlockhash: key(`blockhash ${tx.slot - 1}`),
      },
      signatures: [tx.signature],
    },
  });

  const config = (params: unknown[], at: number): Record<string, unknown> => {
    const c = params[at];
    return c && typeof c === 'object' && !Array.isArray(c) ? (c as Record<string, unknown>) : {};
  };
  const contextSlotMissed = (c: Record<string, unknown>) => typeof c.minContextSlot === 'number' && c.minContextSlot > slot;

  function answer(method: string, params: unknown[]): { result: unknown } | { error: { code: number; message: string } } {
    switch (method) {
      case 'getSlot': {
        const commitment = commitmentOf(params[0]);
        return { result: commitment === 'finalized' ? finalizedSlot : slot };
      }
      case 'getSignaturesForAddress': {
        const address = String(params[0]);
        const c = config(params, 1);
        if (c.commitment === 'processed') return { error: rpcError(-32602, 'Method does not support commitment below `confirmed`') };
        if (contextSlotMissed(c)) return { error: rpcError(-32016, 'Minimum context slot has not been reached') };
        const limit = typeof c.limit === 'number' ? c.limit : MAX_SIGNATURES;
        if (limit > MAX_SIGNATURES) return { error: rpcError(-32602, 'Invalid limit; max 1000') };
        const visible = c.commitment === 'confirmed' ? () => true : (tx: FakeTx) => tx.slot <= finalizedSlot;
        let history = [...txs.values()]
          .filter((tx) => visible(tx) && tx.keys.some((k) => k.pubkey === address))
          .sort((a, b) => b.slot - a.slot || b.seq - a.seq);
        if (typeof c.before === 'string') history = history.slice(history.findIndex((tx) => tx.signature === c.before) + 1);
        if (typeof c.until === 'string') {
          const stop = history.findIndex((tx) => tx.signature === c.until);
          if (stop >= 0) history = history.slice(0, stop);
        }
        return { result: history.slice(0, limit).map(signatureJson) };
      }
      case 'getTransaction': {
        const c = config(params, 1);
        if (c.encoding !== 'jsonParsed') return { error: rpcError(-32602, 'this fake speaks jsonParsed only') };
        const tx = txs.get(String(params[0]));
        const visible = tx && (commitmentOf(c) !== 'finalized' || tx.slot <= finalizedSlot);
        return { result: visible ? transactionJson(tx) : null };
      }
      case 'getSignatureStatuses': {
        const signatures = Array.isArray(params[0]) ? params[0] : [];
        if (signatures.length > 256) return { error: rpcError(-32602, 'Too many inputs provided; max 256') };
        const history = config(params, 1).searchTransactionHistory === true;
        const value = signatures.map((s) => {
          const tx = txs.get(String(s));
          if (!tx || (!history && slot - tx.slot > STATUS_CACHE_SLOTS)) return null;
          const rooted = tx.slot <= finalizedSlot;
          return {
            slot: tx.slot,
            confirmations: rooted ? null : slot - tx.slot,
            err: tx.err,
            status: tx.err === null ? { Ok: null } : { Err: tx.err },
            confirmationStatus: status(tx),
          };
        });
        return { result: { context: { apiVersion: '2.1.21', slot }, value } };
      }
      case 'getTokenAccountsByOwner': {
        const owner = String(params[0]);
        const filter = config(params, 1);
        if (config(params, 2).encoding !== 'jsonParsed') return { error: rpcError(-32602, 'this fake speaks jsonParsed only') };
        const value = [...tokenAccounts.entries()]
          .filter(([, a]) => a.owner === owner && (filter.mint === undefined || filter.mint === a.mint))
          .map(([pubkey, a]) => ({
            pubkey,
            account: {
              data: {
                parsed: {
                  info: { isNative: false, mint: a.mint, owner: a.owner, state: 'initialized', tokenAmount: uiAmount(a.amount) },
                  type: 'account',
                },
                program: 'spl-token',
                space: 165,
              },
              executable: false,
              lamports: Number(TOKEN_ACCOUNT_RENT),
              owner: TOKEN_PROGRAM,
              rentEpoch: 18446744073709552000,
              space: 165,
            },
          }));
        return { result: { context: { apiVersion: '2.1.21', slot }, value } };
      }
      default:
        return { error: rpcError(-32601, 'Method not found') };
    }
  }

  const rpc = await startJsonRpcServer(answer);

  return {
    url: rpc.url,
    /** Every JSON-RPC call, batches flattened, in arrival order. */
    calls: rpc.calls,
    httpRequests: rpc.httpRequests,
    /** The newest (confirmed) slot. */
    slot: () => slot,
    /** The associated token account the fake gives `owner` for `mint`. */
    tokenAccountOf: ataOf,
    /** A system transfer of `lamports` to `to` in a new slot; `failed` lands it with an error, moving only the fee. */
    pay,
    /** An SPL transferChecked of `amount` base units of `mint` to `owner`'s associated account, in a new slot. */
    payToken,
    /** Adds n empty slots. */
    advance(n = 1) {
      slot += n;
    },
    /** Roots everything up to the current slot. */
    finalize() {
      finalizedSlot = slot;
    },
    /** The transaction's fork is abandoned: no node knows it any more. */
    rollBack(signature: string) {
      if (!txs.delete(signature)) throw new Error(`${signature} is unknown`);
    },
    failNext: rpc.failNext,
    close: rpc.close,
  };
}

export type FakeSolanaRpc = Awaited<ReturnType<typeof startSolanaRpc>>;
