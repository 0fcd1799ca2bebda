import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { downloadTtl, type ObjectStorage, UPLOAD_URL_TTL_SECONDS } from './object-storage';

export interface S3Settings {
  bucket: string;
  region: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

/** S3-compatible storage (AWS, R2, MinIO …): presigned PUT and GET straight to the bucket. */
export class S3ObjectStorage implements ObjectStorage {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.accessKeyId && settings.secretAccessKey
        ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
        : {}),
    });
  }

  async presignUpload(key: string, contentType: string, contentLength: number, now = Date.now()) {
    const command = new PutObjectCommand({
      Bucket: this.settings.bucket,
      Key: key,
      ContentType: contentType,
      ContentLength: contentLength,
    });
    const url = await getSignedUrl(this.client, command, { expiresIn: UPLOAD_URL_TTL_SECONDS, signingDate: new Date(now) });
    return { url, expiresAt: new Date(now + UPLOAD_URL_TTL_SECONDS * 1000) };
  }

  async presignDownload(key: string, fileName: string, now = Date.now(), ttlSeconds?: number) {
    const ttl = downloadTtl(ttlSeconds);
    const disposition = `attachment; filename="${fileName.replace(/["\\\r\n]/g, '_')}"`;
    const command = new GetObjectCommand({ Bucket: this.settings.bucket, Key: key, ResponseContentDisposition: disposition });
    const url = await getSignedUrl(this.client, command, { expiresIn: ttl, signingDate: new Date(now) });
    return { url, expiresAt: new Date(now + ttl * 1000) };
  }

  async objectSize(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (error instanceof NotFound || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) return null;
      throw error;
    }
  }
}
