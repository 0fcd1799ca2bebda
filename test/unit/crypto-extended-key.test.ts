import { BIP32Factory } from 'bip32';
import { mnemonicToSeedSync } from 'bip39';
import { address } from 'bitcoinjs-lib';
import bs58check from 'bs58check';
import * as ecc from 'tiny-secp256k1';
import {
  deriveReceiveAddress,
  ExtendedKeyError,
  parseExtendedPublicKey,
  type ExtendedKeyErrorCode,
} from '../../src/gateways/crypto/extended-key';

/*
 * Vectors. All are for the mnemonic "abandon ×11 about" (no passphrase).
 * Bitcoin: SLIP-0132 "Bitcoin Test Vectors" (satoshilabs/slips, slip-0132.md) give the
 * m/44'/0'/0', m/49'/0'/0', m/84'/0'/0' extended keys and each first receive address; BIP-84's
 * "Test vectors" (bitcoin/bips, bip-0084.mediawiki) give the same zpub's first two receive addresses.
 * Litecoin: EdgeApp/edge-currency-plugins test/common/utxobased/keymanager/coins/litecoin.spec.ts
 * publishes the m/44'/2'/0' Ltub, m/49'/2'/0' Mtub, m/84'/2'/0' zpub and their first receive
 * address (cross-verified there with iancoleman.io/bip39). Indices 1 and 2 (BTC BIP44/49, LTC)
 * were computed independently with @scure/bip32 + @scure/btc-signer and agree with this code.
 */
const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

const BTC_XPUB = 'xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj';
const BTC_YPUB = 'ypub6Ww3ibxVfGzLrAH1PNcjyAWenMTbbAosGNB6VvmSEgytSER9azLDWCxoJwW7Ke7icmizBMXrzBx9979FfaHxHcrArf3zbeJJJUZPf663zsP';
const BTC_ZPUB = 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
const BTC_XPRV = 'xprv9xpXFhFpqdQK3TmytPBqXtGSwS3DLjojFhTGht8gwAAii8py5X6pxeBnQ6ehJiyJ6nDjWGJfZ95WxByFXVkDxHXrqu53WCRGypk2ttuqncb';
const BTC_YPRV = 'yprvAHwhK6RbpuS3dgCYHM5jc2ZvEKd7Bi61u9FVhYMpgMSuZS613T1xxQeKTffhrHY79hZ5PsskBjcc6C2V7DrnsMsNaGDaWev3GLRQRgV7hxF';
const BTC_ZPRV = 'zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnE';
const LTC_LTUB = 'Ltub2YDQmP391UYeDYvLye9P1SuNJFkcRGN7SYHM8JMxaDnegcPTXHJ2BnYmvHnFnGPGKu2WMuCga6iZV3SDxDMGrRyMcrYEfSPhrpS1EPkC43E';
const LTC_MTUB = 'Mtub2rz9F1pkisRsSZX8sa4Ajon9GhPP6JymLgpuHqbYdU5JKFLBF7Qy8b1tZ3dccj2fefrAxfrPdVkpCxuWn3g72UctH2bvJRkp6iFmp8aLeRZ';
const LTC_ZPUB = 'zpub6rPo5mF47z5coVm5rvWv7fv181awb7Vckn5Cf3xQXBVKu18kuBHDhNi1Jrb4br6vVD3ZbrnXemEsWJoR18mZwkUdzwD8TQnHDUCGxqZ6swA';
const LTC_LTPV = 'Ltpv7735AbcbmL1gbgDWj2ezvs59rh4RM1oTN2BKTKbfe3146FCPCNFbBBSWfuV9vCJNMXD9LuHpQnqVWpn2hbMhikqPdoGqbS3ptdPoNWEvvgR';
const LTC_MTPV = 'Mtpv7RooeEQDUitupgpJcxZnfDwvq8hC24R7GAiscrqFhHHhit96vCNY7yudJgrM841dMbiRUQceC12566XAHHC8Rd1BtnBdokq9tmF7jLLvUdh';
/** BIP-84's WIF private key for m/84'/0'/0'/0/0. */
const BTC_WIF = 'KyZpNDKnfs94vbrwhJneDi77V6jF64PWPF8x5cdJb8ifgg2DUc9d';

/** The same key data under other version bytes, with a valid checksum. */
function withVersion(key: string, version: number): string {
  const payload = Uint8Array.from(bs58check.decode(key));
  new DataView(payload.buffer).setUint32(0, version);
  return bs58check.encode(payload);
}

function refusal(run: () => unknown): ExtendedKeyError {
  try {
    run();
  } catch (error) {
    if (error instanceof ExtendedKeyError) return error;
    throw error;
  }
  throw new Error('expected an ExtendedKeyError');
}

function expectRefused(run: () => unknown, code: ExtendedKeyErrorCode): ExtendedKeyError {
  const error = refusal(run);
  expect(error.code).toBe(code);
  return error;
}

describe('published vectors', () => {
  const addresses = (coin: 'BTC' | 'LTC', text: string) => {
    const key = parseExtendedPublicKey(coin, text);
    return [0, 1, 2].map((index) => deriveReceiveAddress(key, index));
  };

  it('BIP44 xpub derives 1… P2PKH addresses', () => {
    expect(parseExtendedPublicKey('BTC', BTC_XPUB)).toMatchObject({ coin: 'BTC', scheme: 'p2pkh', prefix: 'xpub', depth: 3 });
    expect(addresses('BTC', BTC_XPUB)).toEqual([
      '1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA',
      '1Ak8PffB2meyfYnbXZR9EGfLfFZVpzJvQP',
      '1MNF5RSaabFwcbtJirJwKnDytsXXEsVsNb',
    ]);
  });

  it('BIP49 ypub derives 3… P2SH-P2WPKH addresses', () => {
    expect(parseExtendedPublicKey('BTC', BTC_YPUB)).toMatchObject({ scheme: 'p2sh-p2wpkh', prefix: 'ypub' });
    expect(addresses('BTC', BTC_YPUB)).toEqual([
      '37VucYSaXLCAsxYyAPfbSi9eh4iEcbShgf',
      '3LtMnn87fqUeHBUG414p9CWwnoV6E2pNKS',
      '3B4cvWGR8X6Xs8nvTxVUoMJV77E4f7oaia',
    ]);
  });

  it('BIP84 zpub derives the bc1q… P2WPKH addresses of the BIP', () => {
    expect(parseExtendedPublicKey('BTC', BTC_ZPUB)).toMatchObject({ scheme: 'p2wpkh', prefix: 'zpub' });
    const [first, second] = addresses('BTC', BTC_ZPUB);
    expect(first).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
    expect(second).toBe('bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g');
  });

  it('Litecoin Ltub, Mtub and zpub derive L…, M… and ltc1… addresses', () => {
    expect(parseExtendedPublicKey('LTC', LTC_LTUB)).toMatchObject({ coin: 'LTC', scheme: 'p2pkh', prefix: 'Ltub' });
    expect(parseExtendedPublicKey('LTC', LTC_MTUB)).toMatchObject({ coin: 'LTC', scheme: 'p2sh-p2wpkh', prefix: 'Mtub' });
    expect(parseExtendedPublicKey('LTC', LTC_ZPUB)).toMatchObject({ coin: 'LTC', scheme: 'p2wpkh', prefix: 'zpub' });
    expect(addresses('LTC', LTC_LTUB)).toEqual([
      'LUWPbpM43E2p7ZSh8cyTBEkvpHmr3cB8Ez',
      'Ldatw8ZjgMGNUo5HMN6RgCrjmh7q494Si3',
      'LX4YojYdeBk3TtUcryCcgAqYxjicKfK7AD',
    ]);
    expect(addresses('LTC', LTC_MTUB)).toEqual([
      'M7wtsL7wSHDBJVMWWhtQfTMSYYkyooAAXM',
      'M92zAbFXY2J7NJXdFpJTe3a5PrsyZQhKZK',
      'MJfELhwt9S6Sr9hadHGsnTELZzFUVjMrFc',
    ]);
    expect(addresses('LTC', LTC_ZPUB)).toEqual([
      'ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh',
      'ltc1qwlezpr3890hcp6vva9twqh27mr6edadreqvhnn',
      'ltc1qc6aucuznvhh9uvux246x24vf9y9ncfk729m92s',
    ]);
  });

  it('the published keys are the ones the mnemonic derives', () => {
    const root = BIP32Factory(ecc).fromSeed(mnemonicToSeedSync(MNEMONIC));
    const account = (path: string, version: number) => withVersion(root.derivePath(path).neutered().toBase58(), version);
    expect(account("m/44'/0'/0'", 0x0488b21e)).toBe(BTC_XPUB);
    expect(account("m/49'/0'/0'", 0x049d7cb2)).toBe(BTC_YPUB);
    expect(account("m/84'/0'/0'", 0x04b24746)).toBe(BTC_ZPUB);
    expect(account("m/44'/2'/0'", 0x019da462)).toBe(LTC_LTUB);
    expect(account("m/49'/2'/0'", 0x01b26ef6)).toBe(LTC_MTUB);
    expect(account("m/84'/2'/0'", 0x04b24746)).toBe(LTC_ZPUB);
  });
});

describe('parseExtendedPublicKey', () => {
  it('trims what was pasted and identifies the key stably', () => {
    const key = parseExtendedPublicKey('BTC', `  ${BTC_ZPUB}\n`);
    expect(key.text).toBe(BTC_ZPUB);
    expect(key.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(key.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(parseExtendedPublicKey('BTC', BTC_ZPUB).keyId).toBe(key.keyId);
    expect(parseExtendedPublicKey('BTC', BTC_YPUB).keyId).not.toBe(key.keyId);
  });

  it('keys the id on the address space: same node as another scheme or coin is a different id', () => {
    const asZpub = parseExtendedPublicKey('BTC', BTC_ZPUB);
    const asXpub = parseExtendedPublicKey('BTC', withVersion(BTC_ZPUB, 0x0488b21e));
    const asLtc = parseExtendedPublicKey('LTC', BTC_ZPUB);
    expect(new Set([asZpub.keyId, asXpub.keyId, asLtc.keyId]).size).toBe(3);
    expect(asXpub.fingerprint).toBe(asZpub.fingerprint);
  });

  it('accepts a Bitcoin zpub for LTC (the prefix is shared) and derives the same key hash as ltc1…', () => {
    const key = parseExtendedPublicKey('LTC', BTC_ZPUB);
    expect(key).toMatchObject({ coin: 'LTC', scheme: 'p2wpkh' });
    const btc = address.fromBech32('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
    expect(deriveReceiveAddress(key, 0)).toBe(address.toBech32(btc.data, btc.version, 'ltc'));
  });

  it('refuses a Litecoin-only prefix for BTC and a Bitcoin-only prefix for LTC', () => {
    expect(expectRefused(() => parseExtendedPublicKey('BTC', LTC_LTUB), 'wrong_network').message).toMatch(/Litecoin key \(Ltub\)/);
    expectRefused(() => parseExtendedPublicKey('BTC', LTC_MTUB), 'wrong_network');
    expect(expectRefused(() => parseExtendedPublicKey('LTC', BTC_XPUB), 'wrong_network').message).toMatch(/Bitcoin key \(xpub\)/);
    expectRefused(() => parseExtendedPublicKey('LTC', BTC_YPUB), 'wrong_network');
  });

  it('refuses testnet keys', () => {
    for (const version of [0x043587cf, 0x044a5262, 0x045f1cf6, 0x0436f6e1]) {
      const testnetKey = withVersion(BTC_ZPUB, version);
      expectRefused(() => parseExtendedPublicKey('BTC', testnetKey), 'wrong_network');
      expectRefused(() => parseExtendedPublicKey('LTC', testnetKey), 'wrong_network');
    }
    expect(withVersion(BTC_ZPUB, 0x043587cf).startsWith('tpub')).toBe(true);
  });

  it('refuses private keys without repeating them', () => {
    const privateKeys = [BTC_XPRV, BTC_YPRV, BTC_ZPRV, LTC_LTPV, LTC_MTPV, withVersion(BTC_XPRV, 0x04358394), BTC_WIF];
    for (const secret of privateKeys) {
      for (const coin of ['BTC', 'LTC'] as const) {
        const error = expectRefused(() => parseExtendedPublicKey(coin, secret), 'private_key_not_accepted');
        expect(error.message).not.toContain(secret);
        expect(error.message).not.toContain(secret.slice(4, 16));
        expect(JSON.stringify(error)).not.toContain(secret.slice(4, 16));
      }
    }
  });

  it('calls a private key with a typo a private key, not a typo', () => {
    const damaged = `${BTC_XPRV.slice(0, -1)}${BTC_XPRV.endsWith('b') ? 'c' : 'b'}`;
    expectRefused(() => parseExtendedPublicKey('BTC', damaged), 'private_key_not_accepted');
  });

  it('refuses private key data under an unknown version', () => {
    expectRefused(() => parseExtendedPublicKey('BTC', withVersion(BTC_XPRV, 0x01020304)), 'private_key_not_accepted');
  });

  it('refuses a recovery phrase without repeating it', () => {
    const error = expectRefused(() => parseExtendedPublicKey('BTC', MNEMONIC), 'private_key_not_accepted');
    expect(error.message).not.toContain('abandon');
  });

  it('refuses multisig and unknown public versions as unsupported', () => {
    expectRefused(() => parseExtendedPublicKey('BTC', withVersion(BTC_ZPUB, 0x02aa7ed3)), 'unsupported_key_type');
    expectRefused(() => parseExtendedPublicKey('BTC', withVersion(BTC_ZPUB, 0x0295b43f)), 'unsupported_key_type');
    expectRefused(() => parseExtendedPublicKey('BTC', withVersion(BTC_ZPUB, 0x01020304)), 'unsupported_key_type');
  });

  it('refuses a bad checksum, garbage, an address and an empty field', () => {
    const lastChar = BTC_ZPUB.slice(-1);
    const badChecksum = `${BTC_ZPUB.slice(0, -1)}${lastChar === 's' ? 't' : 's'}`;
    for (const text of [
      badChecksum,
      'not a key',
      'zpub',
      '',
      '   ',
      `${BTC_ZPUB}0`,
      '1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA',
      'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu',
    ]) {
      expectRefused(() => parseExtendedPublicKey('BTC', text), 'invalid_extended_key');
    }
  });

  it('refuses key data that is not a point on the curve', () => {
    const payload = Uint8Array.from(bs58check.decode(BTC_ZPUB));
    payload.fill(0xff, 46, 78);
    expectRefused(() => parseExtendedPublicKey('BTC', bs58check.encode(payload)), 'invalid_extended_key');
  });
});

describe('deriveReceiveAddress', () => {
  it('gives distinct addresses for indices 0, 1, 2', () => {
    for (const [coin, text] of [
      ['BTC', BTC_XPUB],
      ['BTC', BTC_YPUB],
      ['BTC', BTC_ZPUB],
      ['LTC', LTC_LTUB],
      ['LTC', LTC_MTUB],
      ['LTC', LTC_ZPUB],
    ] as const) {
      const key = parseExtendedPublicKey(coin, text);
      expect(new Set([0, 1, 2].map((index) => deriveReceiveAddress(key, index))).size).toBe(3);
    }
  });

  it('derives from an Electrum-style depth-0 key too (key/0/index)', () => {
    const root = BIP32Factory(ecc).fromSeed(mnemonicToSeedSync(MNEMONIC));
    const master = parseExtendedPublicKey('BTC', root.neutered().toBase58());
    expect(master.depth).toBe(0);
    expect(deriveReceiveAddress(master, 0)).toMatch(/^1/);
  });

  it('refuses hardened or non-integer indices', () => {
    const key = parseExtendedPublicKey('BTC', BTC_ZPUB);
    for (const index of [-1, 1.5, 2 ** 31, Number.NaN]) expect(() => deriveReceiveAddress(key, index)).toThrow(RangeError);
    expect(deriveReceiveAddress(key, 2 ** 31 - 1)).toMatch(/^bc1q/);
  });

  it('checks a stored key again instead of trusting its fields', () => {
    const key = parseExtendedPublicKey('BTC', BTC_ZPUB);
    expectRefused(() => deriveReceiveAddress({ ...key, text: BTC_XPRV }, 0), 'private_key_not_accepted');
    expect(deriveReceiveAddress({ ...key, scheme: 'p2pkh' }, 0)).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
  });
});
