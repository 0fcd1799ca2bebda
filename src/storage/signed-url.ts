import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Our own presigned URLs for the local file store: an HMAC over the method, the key, the
 * expiry and (for uploads) the content type and length, so none can be changed.
 */
export interface SignedGrant {
  method: 'GET' | 'PUT';
  key: string;
  expires: number;
  contentType?: string;
  contentLength?: number;
  fileName?: string;
}

function canonical(grant: SignedGrant): string {
  return [grant.method, grant.key, grant.expires, grant.contentType ?? '', grant.contentLength ?? '', grant.fileName ?? ''].join('\n');
}

export function signGrant(secret: string, grant: SignedGrant): string {
  return createHmac('sha256', secret).update(canonical(grant)).digest('hex');
}

export type GrantCheck = { ok: true } | { ok: false; reason: 'expired' | 'bad_signature' };

export function verifyGrant(secret: string, grant: SignedGrant, signature: string, now = Date.now()): GrantCheck {
  const expected = Buffer.from(signGrant(secret, grant), 'hex');
  const given = Buffer.from(/^[0-9a-f]{64}$/.test(signature) ? signature : '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  if (grant.expires * 1000 < now) return { ok: false, reason: 'expired' };
  return { ok: true };
}
