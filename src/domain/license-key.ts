import { randomInt } from 'node:crypto';

// No 0/O or 1/I: keys are read aloud and typed by hand.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** PREFIX-XXXXX-XXXXX-XXXXX-XXXXX: 100 random bits in four groups, prefix optional. */
export function generateLicenseKey(prefix: string | null): string {
  const groups = Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''));
  return [prefix, ...groups].filter(Boolean).join('-');
}

export type LicenseStatus = 'ACTIVE' | 'INACTIVE' | 'EXPIRED';

export interface LicenseState {
  active: boolean;
  expiresAt: Date | null;
  limit: number | null;
}

export const isExpired = (key: Pick<LicenseState, 'expiresAt'>, now: Date): boolean =>
  key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime();

/** Expiry shows over the active flag: a revoked subscription key reads EXPIRED. */
export function licenseStatus(key: LicenseState, now: Date): LicenseStatus {
  if (isExpired(key, now)) return 'EXPIRED';
  return key.active ? 'ACTIVE' : 'INACTIVE';
}

export type ActivationProblem = 'license_inactive' | 'license_expired' | 'license_limit_reached';

/** Why one more activation is refused, or null when it may go ahead. */
export function activationProblem(key: LicenseState, instances: number, now: Date): ActivationProblem | null {
  if (!key.active) return 'license_inactive';
  if (isExpired(key, now)) return 'license_expired';
  if (key.limit !== null && instances >= key.limit) return 'license_limit_reached';
  return null;
}
