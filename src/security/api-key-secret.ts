import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyMode } from '../domain/api-key-secret';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 base62 characters: ~190 bits, drawn without modulo bias. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: bytes at or above it would bias the alphabet.
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function generateApiKey(mode: KeyMode): string {
  return `sf_${mode}_${randomBase62(32)}`;
}

/** A customer session's bearer token (`sf_cs_` + 40 base62): shown once, kept as its hash like an API key. */
export function generateCustomerSessionToken(): string {
  return `sf_cs_${randomBase62(40)}`;
}

/** Keys are high-entropy, so a plain SHA-256 is a safe at-rest form and lets us index on it. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
