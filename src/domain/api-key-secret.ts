/** The shape of an API key (its secret is drawn and hashed in src/security/api-key-secret.ts). */
export type KeyMode = 'live' | 'test';

const KEY_PATTERN = /^sf_(live|test)_[A-Za-z0-9]{32}$/;

export function looksLikeApiKey(candidate: string): boolean {
  return KEY_PATTERN.test(candidate);
}

const SESSION_TOKEN_PATTERN = /^sf_cs_[A-Za-z0-9]{40}$/;

/** A customer session token: the customer portal's credential, never an API key. */
export function looksLikeCustomerSessionToken(candidate: string): boolean {
  return SESSION_TOKEN_PATTERN.test(candidate);
}

export function keyMode(key: string): KeyMode {
  return key.startsWith('sf_test_') ? 'test' : 'live';
}

/** The part of a key that may be shown again (lists, logs): mode plus 4 characters. */
export function displayPrefix(key: string): string {
  return key.slice(0, 'sf_live_'.length + 4);
}
