import { keccak_256 } from '@noble/hashes/sha3';
import bs58 from 'bs58';
import bs58check from 'bs58check';
import { CRYPTO_COINS, type AccountMethod } from './coins';

export type AccountChain = (typeof CRYPTO_COINS)[AccountMethod]['chain'];

export type AccountAddressErrorCode = 'invalid_address' | 'private_key_not_accepted' | 'wrong_network';

/** A pasted receiving address refused; `message` names the coin and never repeats the input. */
export class AccountAddressError extends Error {
  override readonly name = 'AccountAddressError';
  constructor(
    readonly code: AccountAddressErrorCode,
    readonly method: AccountMethod,
    message: string,
  ) {
    super(message);
  }
}

export interface AccountAddress {
  readonly method: AccountMethod;
  readonly chain: AccountChain;
  /** Trimmed; EVM addresses in their EIP-55 checksummed form. */
  readonly address: string;
}

const CHAIN_NAMES: Record<AccountChain, string> = {
  ethereum: 'Ethereum',
  bsc: 'BNB Smart Chain',
  polygon: 'Polygon',
  tron: 'Tron',
  solana: 'Solana',
  monero: 'Monero',
};

/** A raw 32-byte secret in hex: how EVM, Tron and Monero private keys are exported. */
const HEX_SECRET = /^(0x)?[0-9a-fA-F]{64}$/;
const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;
const TRON_ADDRESS_PREFIX = 0x41;

/** Validate the receiving address a store gives for an account-based coin or token. */
export function parseAccountAddress(method: AccountMethod, text: string): AccountAddress {
  const chain: AccountChain = CRYPTO_COINS[method].chain;
  const fail = (code: AccountAddressErrorCode, reason: string): AccountAddressError =>
    new AccountAddressError(code, method, `${reason} Paste the wallet's ${CHAIN_NAMES[chain]} receiving address for ${method}.`);
  const trimmed = text.trim();
  if (trimmed === '') throw fail('invalid_address', 'No address given.');
  if (/\s/.test(trimmed)) {
    if (looksLikeRecoveryPhrase(trimmed))
      throw fail('private_key_not_accepted', 'That looks like a recovery phrase, which controls the funds: never share it.');
    throw fail('invalid_address', 'An address has no spaces.');
  }
  if (HEX_SECRET.test(trimmed))
    throw fail('private_key_not_accepted', 'That looks like a private key, which controls the funds: never share it.');

  switch (chain) {
    case 'ethereum':
    case 'bsc':
    case 'polygon':
      return { method, chain, address: evmAddress(trimmed, fail) };
    case 'tron':
      return { method, chain, address: tronAddress(trimmed, fail) };
    case 'solana':
      return { method, chain, address: solanaAddress(trimmed, fail) };
    case 'monero':
      return { method, chain, address: moneroAddress(trimmed, fail) };
  }
}

type Fail = (code: AccountAddressErrorCode, reason: string) => AccountAddressError;

/** EIP-55: mixed case carries a checksum and must match it; all-lower or all-upper carries none. */
function evmAddress(text: string, fail: Fail): string {
  if (!EVM_ADDRESS.test(text)) throw fail('invalid_address', 'That is not a valid address (0x followed by 40 hex digits).');
  const hex = text.slice(2);
  const checksummed = toChecksumAddress(hex.toLowerCase());
  const hasChecksum = hex !== hex.toLowerCase() && hex !== hex.toUpperCase();
  if (hasChecksum && checksummed !== text)
    throw fail('invalid_address', 'That address fails its checksum: a character was probably mistyped.');
  if (/^0+$/.test(hex)) throw fail('invalid_address', 'That is the zero address; funds sent there are lost.');
  return checksummed;
}

function toChecksumAddress(lowerHex: string): string {
  const hash = Buffer.from(keccak_256(lowerHex)).toString('hex');
  let out = '0x';
  for (let i = 0; i < lowerHex.length; i++) {
    const char = lowerHex.charAt(i);
    out += parseInt(hash.charAt(i), 16) >= 8 ? char.toUpperCase() : char;
  }
  return out;
}

/** Base58check of 0x41 + 20-byte account id (the T… form). */
function tronAddress(text: string, fail: Fail): string {
  let payload: Uint8Array;
  try {
    payload = bs58check.decode(text);
  } catch {
    throw fail('invalid_address', 'That is not a valid Tron address (wrong characters or a typo).');
  }
  if (payload.length !== 21 || payload[0] !== TRON_ADDRESS_PREFIX)
    throw fail('invalid_address', 'That is not a Tron address (they start with T).');
  return text;
}

/** A Solana address is an ed25519 public key: 32 bytes, base58. */
function solanaAddress(text: string, fail: Fail): string {
  if (/^\[[\d,\s]+\]$/.test(text))
    throw fail('private_key_not_accepted', 'That is a keypair file, which controls the funds: never share it.');
  let bytes: Uint8Array;
  try {
    bytes = bs58.decode(text);
  } catch {
    throw fail('invalid_address', 'That is not a valid Solana address (wrong characters).');
  }
  // A base58 64-byte value is how Phantom and solana-keygen export a secret key.
  if (bytes.length === 64)
    throw fail('private_key_not_accepted', 'That looks like a private key, which controls the funds: never share it.');
  if (bytes.length !== 32) throw fail('invalid_address', 'That is not a valid Solana address (wrong length).');
  return text;
}

/**
 * Monero addresses use a block-wise base58 variant with a keccak checksum that no small,
 * well-kept library decodes; checking the network's leading character, the length and the
 * alphabet catches wrong coins, testnet addresses and truncation, but not a single mistyped
 * character inside an otherwise well-formed address.
 * Mainnet: primary 4… and subaddress 8… (95 chars); integrated 4… (106 chars) embeds a
 * payment ID, so it is refused as a store's receiving address.
 */
function moneroAddress(text: string, fail: Fail): string {
  if (!BASE58.test(text)) throw fail('invalid_address', 'That is not a valid Monero address (wrong characters).');
  const lead = text.charAt(0);
  if (text.length === 95 && (lead === '4' || lead === '8')) return text;
  if (text.length === 106 && lead === '4') {
    throw fail(
      'invalid_address',
      "That is an integrated address (it carries a payment ID); give the wallet's primary address or a subaddress.",
    );
  }
  if ((text.length === 95 || text.length === 106) && '579AB'.includes(lead)) {
    throw fail('wrong_network', 'That is a Monero testnet or stagenet address; it cannot receive real XMR.');
  }
  throw fail('invalid_address', 'That is not a valid Monero address (they start with 4 or 8 and are 95 characters).');
}

/** 12–25 plain words is a BIP39 or Monero seed, not an address typed with stray spaces. */
function looksLikeRecoveryPhrase(text: string): boolean {
  const words = text.split(/\s+/);
  return words.length >= 12 && words.length <= 25 && words.every((word) => /^[a-z]+$/i.test(word));
}
