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
