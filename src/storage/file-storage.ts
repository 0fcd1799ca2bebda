import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { LocalFileStore } from './local-file-store';
import { type SignedGrant, signGrant } from './signed-url';

export const UPLOAD_URL_TTL_SECONDS = 15 * 60;
export const DOWNLOAD_URL_TTL_SECONDS = 60 * 60;

/** Every key a store may register lives under its own namespace. */
export function storeNamespace(storeId: number): string {
  return `sellers/${storeId}/api/`;
}

export function isInNamespace(key: string, storeId: number): boolean {
  const prefix = storeNamespace(storeId);
  return key.startsWith(prefix) && key.length > prefix.length && !key.split('/').includes('..');
}

function loadOrCreateSecret(config: Config): string {
  if (config.storage.signingSecret) return config.storage.signingSecret;
  try {
    return fs.readFileSync(config.storage.secretFile, 'utf8').trim();
  } catch {
    fs.mkdirSync(path.dirname(config.storage.secretFile), { recursive: true });
    const secret = randomBytes(32).toString('hex');
    try {
      fs.writeFileSync(config.storage.secretFile, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another process wrote it first: use theirs.
      return fs.readFileSync(config.storage.secretFile, 'utf8').trim();
    }
  }
}

/** The local file store plus the presigned URLs that reach it through our own /files route. */
export class FileStorage {
  readonly store: LocalFileStore;
  readonly secret: string;

  constructor(
    config: Config,
    private readonly baseUrl = config.api.publicBaseUrl,
  ) {
    this.store = new LocalFileStore(config.storage.dir);
    this.secret = loadOrCreateSecret(config);
  }

  private url(grant: SignedGrant): string {
    const query = new URLSearchParams({ expires: String(grant.expires) });
    if (grant.contentType !== undefined) query.set('content_type', grant.contentType);
    if (grant.contentLength !== undefined) query.set('content_length', String(grant.contentLength));
    if (grant.fileName !== undefined) query.set('filename', grant.fileName);
    query.set('signature', signGrant(this.secret, grant));
    return `${this.baseUrl}/files/${grant.key.split('/').map(encodeURIComponent).join('/')}?${query}`;
  }

  presignUpload(key: string, contentType: string, contentLength: number, now = Date.now()): { url: string; expiresAt: Date } {
    const expires = Math.floor(now / 1000) + UPLOAD_URL_TTL_SECONDS;
    return { url: this.url({ method: 'PUT', key, expires, contentType, contentLength }), expiresAt: new Date(expires * 1000) };
  }

  presignDownload(key: string, fileName: string, now = Date.now()): { url: string; expiresAt: Date } {
    const expires = Math.floor(now / 1000) + DOWNLOAD_URL_TTL_SECONDS;
    return { url: this.url({ method: 'GET', key, expires, fileName }), expiresAt: new Date(expires * 1000) };
  }
}
