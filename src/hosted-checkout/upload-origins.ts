import type { Config } from '../config';

/**
 * Where a buyer's browser PUTs a proof image: the presigned URL's origin, this server's own
 * (/files, under PUBLIC_BASE_URL) or the S3 bucket's. The page's connect-src names exactly these.
 */
export function uploadOrigins(config: Pick<Config, 'api' | 'storage'>): string[] {
  const s3 = config.storage.s3;
  if (!s3) return [new URL(config.api.publicBaseUrl).origin];
  if (s3.endpoint) {
    const endpoint = new URL(s3.endpoint);
    return s3.forcePathStyle ? [endpoint.origin] : [`${endpoint.protocol}//${s3.bucket}.${endpoint.host}`];
  }
  // AWS: the regional virtual-hosted name, and the global one us-east-1 buckets may be given.
  return [`https://${s3.bucket}.s3.${s3.region}.amazonaws.com`, `https://${s3.bucket}.s3.amazonaws.com`];
}
