import { displayPrefix, keyMode, looksLikeApiKey } from '../../src/domain/api-key-secret';
import { generateApiKey, hashApiKey, hashesEqual } from '../../src/security/api-key-secret';
import { parseScopes } from '../../src/domain/scopes';

describe('API key secrets', () => {
  it('generates distinct keys of the documented shape', () => {
    const keys = new Set(Array.from({ length: 500 }, () => generateApiKey('live')));
    expect(keys.size).toBe(500);
    for (const key of keys) expect(key).toMatch(/^sf_live_[A-Za-z0-9]{32}$/);
    expect(generateApiKey('test')).toMatch(/^sf_test_/);
  });

  it('uses the whole base62 alphabet', () => {
    const seen = new Set(Array.from({ length: 200 }, () => generateApiKey('live').slice(8)).join(''));
    expect(seen.size).toBe(62);
  });

  it('hashes deterministically and compares hashes in constant time', () => {
    const key = generateApiKey('live');
    expect(hashApiKey(key)).toBe(hashApiKey(key));
    expect(hashApiKey(key)).not.toBe(hashApiKey(generateApiKey('live')));
    expect(hashesEqual(hashApiKey(key), hashApiKey(key))).toBe(true);
    expect(hashesEqual(hashApiKey(key), hashApiKey(key + 'x'))).toBe(false);
    expect(hashesEqual(hashApiKey(key), 'abcd')).toBe(false);
  });

  it('recognises keys and their mode, and shows only a short prefix', () => {
    const key = generateApiKey('test');
    expect(looksLikeApiKey(key)).toBe(true);
    expect(looksLikeApiKey(key.slice(0, -1))).toBe(false);
    expect(looksLikeApiKey(`tsk_live_${key.slice(8)}`)).toBe(false);
    expect(keyMode(key)).toBe('test');
    expect(displayPrefix(key)).toHaveLength(12);
  });
});

describe('scope lists', () => {
  it('keeps known scopes once and reports unknown ones', () => {
    expect(parseScopes(' products:read, products:read ,ops:write,bogus ,')).toEqual({
      scopes: ['products:read', 'ops:write'],
      unknown: ['bogus'],
    });
  });
});
