import bs58 from 'bs58';
import bs58check from 'bs58check';
import { AccountAddressError, parseAccountAddress, type AccountAddressErrorCode } from '../../src/gateways/crypto/account-address';
import {
  CRYPTO_COINS,
  isAccountMethod,
  isExtendedKeyMethod,
  isSupportedCryptoMethod,
  type AccountMethod,
  type CryptoMethod,
} from '../../src/gateways/crypto/coins';

function expectRefused(method: AccountMethod, text: string, code: AccountAddressErrorCode): AccountAddressError {
  let refused: unknown;
  try {
    parseAccountAddress(method, text);
  } catch (error) {
    refused = error;
  }
  if (!(refused instanceof AccountAddressError)) throw new Error(`expected ${method} to refuse the address with ${code}`);
  expect(refused.code).toBe(code);
  expect(refused.method).toBe(method);
  return refused;
}

/** Test cases of EIP-55 itself (ethereum/ERCs, ERCS/erc-55.md): all-caps, all-lower and mixed checksums. */
const EIP55_VECTORS = [
  '0x52908400098527886E0F7030069857D2E4169EE7',
  '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
  '0xde709f2102306220921060314715629080e2fb77',
  '0x27b1fdb04752bbc536007a920d24acb045561c26',
  '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
  '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
  '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
];

describe('EVM addresses (ETH, BNB, MATIC and their tokens)', () => {
  it('accepts every EIP-55 vector and returns it checksummed', () => {
    for (const vector of EIP55_VECTORS) {
      expect(parseAccountAddress('ETH', vector)).toEqual({ method: 'ETH', chain: 'ethereum', address: vector });
      // Single-case input carries no checksum; the stored form gets one.
      expect(parseAccountAddress('ETH', vector.toLowerCase()).address).toBe(vector);
      expect(parseAccountAddress('ETH', `0x${vector.slice(2).toUpperCase()}`).address).toBe(vector);
    }
  });

  it('refuses a mixed-case address whose checksum does not match', () => {
    const flipped = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD';
    expect(expectRefused('ETH', flipped, 'invalid_address').message).toMatch(/checksum/);
    expectRefused('BNB_USDT', '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359'.replace('fB', 'Fb'), 'invalid_address');
  });

  it('routes tokens to their chain', () => {
    expect(parseAccountAddress('BNB_USDC', EIP55_VECTORS[4] ?? '').chain).toBe('bsc');
    expect(parseAccountAddress('MATIC', EIP55_VECTORS[4] ?? '').chain).toBe('polygon');
    expect(parseAccountAddress('ETH_SHIB', EIP55_VECTORS[4] ?? '').chain).toBe('ethereum');
  });

  it('refuses malformed addresses and the zero address, naming the coin', () => {
    for (const text of [
      '5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe',
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd',
      '0xZZAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '',
      '0x5aAeb 6053F3E94C9b9A09f33669435E7Ef1BeAed',
    ]) {
      expect(expectRefused('ETH_USDT', text, 'invalid_address').message).toMatch(/Ethereum receiving address for ETH_USDT/);
    }
    expectRefused('ETH', `0x${'0'.repeat(40)}`, 'invalid_address');
  });

  it('refuses a pasted private key or recovery phrase without repeating it', () => {
    const secret = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
    for (const text of [secret, `0x${secret}`]) {
      const error = expectRefused('ETH', text, 'private_key_not_accepted');
      expect(error.message).not.toContain(secret.slice(0, 12));
    }
    expectRefused(
      'BNB',
      'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
      'private_key_not_accepted',
    );
  });
});

describe('Tron addresses', () => {
  // Tether's TRC-20 contract; its hex form 41a614f8…d13c is what TronScan shows for it.
  const USDT_CONTRACT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

  it('accepts a base58check address with the 0x41 prefix', () => {
    expect(Buffer.from(bs58check.decode(USDT_CONTRACT)).toString('hex')).toBe('41a614f803b6fd780986a42c78ec9c7f77e6ded13c');
    expect(parseAccountAddress('TRX', USDT_CONTRACT)).toEqual({ method: 'TRX', chain: 'tron', address: USDT_CONTRACT });
    expect(parseAccountAddress('TRX_USDT', ` ${USDT_CONTRACT} `).address).toBe(USDT_CONTRACT);
  });

  it('refuses a typo, a wrong prefix, the hex form and other coins’ addresses', () => {
    const typo = USDT_CONTRACT.replace('TR7N', 'TR7M');
    const bitcoinPrefixed = bs58check.encode(Uint8Array.from([0x00, ...bs58check.decode(USDT_CONTRACT).slice(1)]));
    for (const text of [
      typo,
      bitcoinPrefixed,
      '41a614f803b6fd780986a42c78ec9c7f77e6ded13c',
      '1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA',
      EIP55_VECTORS[4] ?? '',
    ]) {
      expectRefused('TRX_USDC', text, 'invalid_address');
    }
  });

  it('refuses a private key', () => {
    expectRefused('TRX', 'a'.repeat(64), 'private_key_not_accepted');
  });
});

describe('Solana addresses', () => {
  const USDC_MINT = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';

  it('accepts base58 that decodes to 32 bytes', () => {
    expect(parseAccountAddress('SOL', USDC_MINT)).toEqual({ method: 'SOL', chain: 'solana', address: USDC_MINT });
    expect(parseAccountAddress('SOL_USDT', '11111111111111111111111111111111').address).toBe('11111111111111111111111111111111');
  });

  it('refuses wrong lengths and non-base58 characters', () => {
    for (const text of [
      USDC_MINT.slice(0, 36),
      `${USDC_MINT}${USDC_MINT.slice(0, 8)}`,
      USDC_MINT.replace('E', '0'),
      USDC_MINT.replace('E', 'l'),
      EIP55_VECTORS[4] ?? '',
    ]) {
      expectRefused('SOL_USDC', text, 'invalid_address');
    }
  });

  it('refuses a base58 secret key and a keypair file', () => {
    const secret = bs58.encode(Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256));
    expect(expectRefused('SOL', secret, 'private_key_not_accepted').message).not.toContain(secret.slice(0, 12));
    expectRefused('SOL', `[${Array.from({ length: 64 }, (_, i) => i).join(',')}]`, 'private_key_not_accepted');
  });
});

describe('Monero addresses', () => {
  // The Monero General Fund's published primary address and subaddress; the integrated address
  // is the example from Monero's documentation.
  const PRIMARY = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';
  const SUBADDRESS = '888tNkZrPN6JsEgekjMnABU4TBzc2Dt29EPAvkRxbANsAnjyPbb3iQ1YBRk1UXcdRsiKc9dhwMVgN5S9cQUiyoogDavup3H';
  const INTEGRATED = '4LL9oSLmtpccfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2bYXZKKQePHES9khPK';

  it('accepts a primary address and a subaddress', () => {
    expect(parseAccountAddress('XMR', PRIMARY)).toEqual({ method: 'XMR', chain: 'monero', address: PRIMARY });
    expect(parseAccountAddress('XMR', SUBADDRESS).address).toBe(SUBADDRESS);
  });

  it('refuses an integrated address, testnet/stagenet leads, truncation and foreign characters', () => {
    expect(expectRefused('XMR', INTEGRATED, 'invalid_address').message).toMatch(/integrated/);
    expectRefused('XMR', `9${PRIMARY.slice(1)}`, 'wrong_network');
    expectRefused('XMR', `5${PRIMARY.slice(1)}`, 'wrong_network');
    for (const text of [PRIMARY.slice(0, 94), `${PRIMARY}A`, `${PRIMARY.slice(0, 94)}0`, `3${PRIMARY.slice(1)}`, EIP55_VECTORS[4] ?? '']) {
      expectRefused('XMR', text, 'invalid_address');
    }
  });

  it('refuses a private spend/view key and a 25-word seed', () => {
    expectRefused('XMR', 'f'.repeat(64), 'private_key_not_accepted');
    const seed = Array.from({ length: 25 }, () => 'sample').join(' ');
    expect(expectRefused('XMR', seed, 'private_key_not_accepted').message).not.toContain('sample');
  });
});

describe('coin table routing', () => {
  const SAMPLES = {
    ethereum: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    bsc: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    polygon: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    tron: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
    solana: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
    monero: '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A',
  } as const;

  it('validates every account-based method against its own chain only', () => {
    const methods = (Object.keys(CRYPTO_COINS) as CryptoMethod[]).filter(isAccountMethod);
    expect(methods).toHaveLength(17);
    for (const method of methods) {
      const chain = CRYPTO_COINS[method].chain;
      expect(parseAccountAddress(method, SAMPLES[chain]).chain).toBe(chain);
      const foreign = chain === 'tron' ? SAMPLES.solana : SAMPLES.tron;
      expectRefused(method, foreign, 'invalid_address');
    }
  });

  it('splits the methods into extended-key, account-based and unsupported (ADA)', () => {
    const methods = Object.keys(CRYPTO_COINS) as CryptoMethod[];
    expect(methods.filter(isExtendedKeyMethod)).toEqual(['BTC', 'LTC']);
    expect(methods.filter((method) => !isSupportedCryptoMethod(method))).toEqual(['ADA']);
  });
});
