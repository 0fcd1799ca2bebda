/**
 * Where uploaded files live: the local directory (default) or S3-compatible storage.
 * Clients only ever see presigned URLs; nothing is served from a public path.
 */
export interface ObjectStorage {
  readonly kind: 'local' | 's3';
  presignUpload(key: string, contentType: string, contentLength: number, now?: number): Promise<{ url: string; expiresAt: Date }>;
  /** A download link valid `ttlSeconds` (DOWNLOAD_URL_TTL_SECONDS unless given; at most MAX_DOWNLOAD_URL_TTL_SECONDS). */
  presignDownload(key: string, fileName: string, now?: number, ttlSeconds?: number): Promise<{ url: string; expiresAt: Date }>;
  /** Bytes stored under `key`, or null when nothing is there. */
  objectSize(key: string): Promise<number | null>;
}

export const UPLOAD_URL_TTL_SECONDS = 15 * 60;
export const DOWNLOAD_URL_TTL_SECONDS = 60 * 60;
/** S3 (SigV4) presigns for at most seven days; the local store keeps the same ceiling. */
export const MAX_DOWNLOAD_URL_TTL_SECONDS = 7 * 24 * 60 * 60;

export function downloadTtl(ttlSeconds?: number): number {
  return Math.min(ttlSeconds ?? DOWNLOAD_URL_TTL_SECONDS, MAX_DOWNLOAD_URL_TTL_SECONDS);
}

/** Every key a store may register lives under its own namespace. */
export function storeNamespace(storeId: number): string {
  return `sellers/${storeId}/api/`;
}

export function isInNamespace(key: string, storeId: number): boolean {
  const prefix = storeNamespace(storeId);
  return (
    key.startsWith(prefix) && key.length > prefix.length && !key.split('/').some((part) => part === '..' || part === '.' || part === '')
  );
}
