import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { LocalFileStore } from './local-file-store';
import { downloadTtl, type ObjectStorage, UPLOAD_URL_TTL_SECONDS } from './object-storage';
import { type SignedGrant, signGrant } from './signed-url';

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
export class LocalObjectStorage implements ObjectStorage {
  readonly kind = 'local' as const;
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

  async presignUpload(
    key: string,
    contentType: string,
    contentLength: number,
    now = Date.now(),
  ): Promise<{ url: string; expiresAt: Date }> {
    const expires = Math.floor(now / 1000) + UPLOAD_URL_TTL_SECONDS;
    return { url: this.url({ method: 'PUT', key, expires, contentType, contentLength }), expiresAt: new Date(expires * 1000) };
  }

  async presignDownload(key: string, fileName: string, now = Date.now(), ttlSeconds?: number): Promise<{ url: string; expiresAt: Date }> {
    const expires = Math.floor(now / 1000) + downloadTtl(ttlSeconds);
    return { url: this.url({ method: 'GET', key, expires, fileName }), expiresAt: new Date(expires * 1000) };
  }

  async objectSize(key: string): Promise<number | null> {
    return this.store.size(key);
  }
}
