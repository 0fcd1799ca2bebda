import { createHash } from 'node:crypto';
import { BIP32Factory, type BIP32Interface } from 'bip32';
import { networks, payments, type Network } from 'bitcoinjs-lib';
import bs58check from 'bs58check';
import * as ecc from 'tiny-secp256k1';
import { type ExtendedKeyMethod } from './coins';

/** Address type a key's receive addresses are derived as (BIP44, BIP49, BIP84 respectively). */
export type AddressScheme = 'p2pkh' | 'p2sh-p2wpkh' | 'p2wpkh';

export type ExtendedKeyPrefix = 'xpub' | 'ypub' | 'zpub' | 'Ltub' | 'Mtub';

export type ExtendedKeyErrorCode = 'invalid_extended_key' | 'private_key_not_accepted' | 'wrong_network' | 'unsupported_key_type';

/** A pasted wallet key refused; `message` is for the merchant and never repeats what was pasted. */
export class ExtendedKeyError extends Error {
  override readonly name = 'ExtendedKeyError';
  constructor(
    readonly code: ExtendedKeyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An account-level extended public key, validated; plain data, safe to store as settings. */
export interface ExtendedPublicKey {
  readonly coin: ExtendedKeyMethod;
  readonly scheme: AddressScheme;
  readonly prefix: ExtendedKeyPrefix;
  /** The key as pasted, trimmed: what `deriveReceiveAddress` decodes again. */
  readonly text: string;
  /**
   * sha256 hex of coin, scheme, chain code and public key: equal exactly when two keys derive
   * the same addresses, whatever version bytes or depth metadata they were exported with.
   */
  readonly keyId: string;
  /** This key's own BIP32 fingerprint (hash160 of its public key, 4 bytes hex) — not the master's. */
  readonly fingerprint: string;
  /** 3 for a BIP44/49/84 account key; 0 for e.g. an Electrum wallet's master public key. */
  readonly depth: number;
}

const bip32 = BIP32Factory(ecc);

const litecoin: Network = {
  messagePrefix: '\x19Litecoin Signed Message:\n',
  bech32: 'ltc',
  bip32: { public: 0x019da462, private: 0x019d9cfe },
  pubKeyHash: 0x30,
  scriptHash: 0x32,
  wif: 0xb0,
};
const ADDRESS_NETWORKS: Record<ExtendedKeyMethod, Network> = { BTC: networks.bitcoin, LTC: litecoin };

interface AcceptedVersion {
  readonly prefix: ExtendedKeyPrefix;
  readonly scheme: AddressScheme;
  readonly coins: readonly ExtendedKeyMethod[];
  /** The matching private version: bip32 wants the pair to decode a key. */
  readonly privateVersion: number;
}

/**
 * SLIP-0132 version bytes. `zpub` is Bitcoin's, but Litecoin wallets (Trezor, Electrum-LTC)
 * export native-segwit keys with it too, so it is accepted for both coins: a Bitcoin zpub given
 * for LTC cannot be told apart and derives ltc1… addresses of the same keys. `xpub`/`ypub` are
 * taken as Bitcoin-only because Litecoin has its own Ltub/Mtub for those schemes.
 */
const ACCEPTED_VERSIONS = new Map<number, AcceptedVersion>([
  [0x0488b21e, { prefix: 'xpub', scheme: 'p2pkh', coins: ['BTC'], privateVersion: 0x0488ade4 }],
  [0x049d7cb2, { prefix: 'ypub', scheme: 'p2sh-p2wpkh', coins: ['BTC'], privateVersion: 0x049d7878 }],
  [0x04b24746, { prefix: 'zpub', scheme: 'p2wpkh', coins: ['BTC', 'LTC'], privateVersion: 0x04b2430c }],
  [0x019da462, { prefix: 'Ltub', scheme: 'p2pkh', coins: ['LTC'], privateVersion: 0x019d9cfe }],
  [0x01b26ef6, { prefix: 'Mtub', scheme: 'p2sh-p2wpkh', coins: ['LTC'], privateVersion: 0x01b26792 }],
]);

const PRIVATE_VERSIONS = new Map<number, string>([
  [0x0488ade4, 'xprv'],
  [0x049d7878, 'yprv'],
  [0x04b2430c, 'zprv'],
  [0x0295b005, 'Yprv'],
  [0x02aa7a99, 'Zprv'],
  [0x04358394, 'tprv'],
  [0x044a4e28, 'uprv'],
  [0x024285b5, 'Uprv'],
  [0x045f18bc, 'vprv'],
  [0x02575048, 'Vprv'],
  [0x019d9cfe, 'Ltpv'],
  [0x01b26792, 'Mtpv'],
  [0x0436ef7d, 'ttpv'],
]);
const PRIVATE_PREFIXES = new Set(PRIVATE_VERSIONS.values());

const TESTNET_VERSIONS = new Map<number, string>([
  [0x043587cf, 'tpub'],
  [0x044a5262, 'upub'],
  [0x045f1cf6, 'vpub'],
  [0x024289ef, 'Upub'],
  [0x02575483, 'Vpub'],
  [0x0436f6e1, 'ttub'],
]);

const MULTISIG_VERSIONS = new Map<number, string>([
  [0x0295b43f, 'Ypub'],
  [0x02aa7ed3, 'Zpub'],
]);

/** Version bytes of WIF single private keys (Bitcoin, Litecoin, testnets). */
const WIF_VERSIONS = new Set([0x80, 0xb0, 0xef]);

const EXTENDED_KEY_LENGTH = 78;
/** In a serialized extended key, a private key's data starts with this 0x00 byte at offset 45. */
const KEY_DATA_OFFSET = 45;
const FIRST_HARDENED_INDEX = 0x80000000;

const EXPECTED: Record<ExtendedKeyMethod, string> = { BTC: 'xpub, ypub or zpub', LTC: 'Ltub, Mtub or zpub' };
const COIN_NAMES: Record<ExtendedKeyMethod, string> = { BTC: 'Bitcoin', LTC: 'Litecoin' };

/** Validate a pasted extended public key for BTC or LTC and decide its address scheme. */
export function parseExtendedPublicKey(coin: ExtendedKeyMethod, text: string): ExtendedPublicKey {
  return decode(coin, text).key;
}

/** The external-chain address at `index` (key/0/index: the key is account-level). */
export function deriveReceiveAddress(key: ExtendedPublicKey, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= FIRST_HARDENED_INDEX) {
    throw new RangeError('index must be an integer from 0 to 2^31 - 1');
  }
  // Decode again rather than trust a stored object's fields.
  const { key: checked, node } = decode(key.coin, key.text);
  const pubkey = node.derive(0).derive(index).publicKey;
  const network = ADDRESS_NETWORKS[checked.coin];
  const payment =
    checked.scheme === 'p2pkh'
      ? payments.p2pkh({ pubkey, network })
      : checked.scheme === 'p2sh-p2wpkh'
        ? payments.p2sh({ redeem: payments.p2wpkh({ pubkey, network }), network })
        : payments.p2wpkh({ pubkey, network });
  if (!payment.address) throw new Error(`no ${checked.scheme} address for the derived key`);
  return payment.address;
}

function decode(coin: ExtendedKeyMethod, text: string): { key: ExtendedPublicKey; node: BIP32Interface } {
  const trimmed = text.trim();
  const expected = `Paste the wallet's ${COIN_NAMES[coin]} extended public key (${EXPECTED[coin]}).`;
  if (trimmed === '') throw new ExtendedKeyError('invalid_extended_key', `No key given. ${expected}`);
  if (/\s/.test(trimmed)) {
    if (looksLikeRecoveryPhrase(trimmed)) {
      throw new ExtendedKeyError(
        'private_key_not_accepted',
        `That looks like a recovery phrase, which controls the funds: never share it. ${expected}`,
      );
    }
    throw new ExtendedKeyError('invalid_extended_key', `An extended public key has no spaces. ${expected}`);
  }
  // Before decoding, so a mistyped private key is still called out as one.
  const textPrefix = trimmed.slice(0, 4);
  if (PRIVATE_PREFIXES.has(textPrefix)) throw privateKeyError(textPrefix, expected);

  let payload: Uint8Array;
  try {
    payload = bs58check.decode(trimmed);
  } catch {
    throw new ExtendedKeyError('invalid_extended_key', `That is not a valid extended public key (wrong characters or a typo). ${expected}`);
  }
  if ((payload.length === 33 || payload.length === 34) && WIF_VERSIONS.has(payload[0] ?? -1)) {
    throw new ExtendedKeyError('private_key_not_accepted', `That is a private key, which controls the funds: never share it. ${expected}`);
  }
  if (payload.length !== EXTENDED_KEY_LENGTH) {
    throw new ExtendedKeyError('invalid_extended_key', `That is not an extended public key (is it an address?). ${expected}`);
  }

  const version = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
  const privatePrefix = PRIVATE_VERSIONS.get(version);
  if (privatePrefix) throw privateKeyError(privatePrefix, expected);
  const testnetPrefix = TESTNET_VERSIONS.get(version);
  if (testnetPrefix)
    throw new ExtendedKeyError(
      'wrong_network',
      `That is a testnet key (${testnetPrefix}); it cannot receive real ${COIN_NAMES[coin]}. ${expected}`,
    );
  const multisigPrefix = MULTISIG_VERSIONS.get(version);
  if (multisigPrefix)
    throw new ExtendedKeyError('unsupported_key_type', `Multisig keys (${multisigPrefix}) are not supported. ${expected}`);
  const accepted = ACCEPTED_VERSIONS.get(version);
  if (!accepted) {
    if (payload[KEY_DATA_OFFSET] === 0) {
      throw new ExtendedKeyError(
        'private_key_not_accepted',
        `That is an extended private key, which controls the funds: never share it. ${expected}`,
      );
    }
    throw new ExtendedKeyError('unsupported_key_type', `That kind of extended key is not supported. ${expected}`);
  }
  if (!accepted.coins.includes(coin)) {
    const owner = accepted.coins[0] ?? coin;
    throw new ExtendedKeyError(
      'wrong_network',
      `That is a ${COIN_NAMES[owner]} key (${accepted.prefix}), not a ${COIN_NAMES[coin]} one. ${expected}`,
    );
  }

  let node: BIP32Interface;
  try {
    node = bip32.fromBase58(trimmed, { ...ADDRESS_NETWORKS[coin], bip32: { public: version, private: accepted.privateVersion } });
  } catch {
    throw new ExtendedKeyError(
      'invalid_extended_key',
      `That extended key is damaged (its key data is not a valid public key). ${expected}`,
    );
  }
  // A public version with private key data cannot come from a real wallet; bip32 refuses it
  // above, this is the backstop against ever holding a private key.
  if (!node.isNeutered()) {
    throw new ExtendedKeyError(
      'private_key_not_accepted',
      `That is an extended private key, which controls the funds: never share it. ${expected}`,
    );
  }

  const keyId = createHash('sha256').update(`${coin}:${accepted.scheme}:`).update(node.chainCode).update(node.publicKey).digest('hex');
  const key: ExtendedPublicKey = {
    coin,
    scheme: accepted.scheme,
    prefix: accepted.prefix,
    text: trimmed,
    keyId,
    fingerprint: Buffer.from(node.fingerprint).toString('hex'),
    depth: node.depth,
  };
  return { key, node };
}

function privateKeyError(prefix: string, expected: string): ExtendedKeyError {
  return new ExtendedKeyError(
    'private_key_not_accepted',
    `That is an extended private key (${prefix}), which controls the funds: never share it. ${expected}`,
  );
}

/** 12–24 lowercase words is a BIP39 (or Electrum) seed, not a key typed with stray spaces. */
function looksLikeRecoveryPhrase(text: string): boolean {
  const words = text.split(/\s+/);
  return words.length >= 12 && words.length <= 25 && words.every((word) => /^[a-z]+$/i.test(word));
}
