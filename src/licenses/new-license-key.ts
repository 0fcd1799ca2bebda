import { randomInt } from 'node:crypto';

// No 0/O or 1/I: keys are read aloud and typed by hand.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** PREFIX-XXXXX-XXXXX-XXXXX-XXXXX: 100 random bits in four groups, prefix optional. */
export function generateLicenseKey(prefix: string | null): string {
  const groups = Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''));
  return [prefix, ...groups].filter(Boolean).join('-');
}
