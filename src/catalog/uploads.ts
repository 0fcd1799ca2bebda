import { createId } from '@paralleldrive/cuid2';
import type { DbExecutor } from '../db/schema';
import { type ObjectStorage, storeNamespace } from '../storage/object-storage';

export interface UploadRequest {
  fileName: string;
  contentType: string;
  contentLength: number;
  /** A folder under the store's namespace, e.g. `builds/1.2`. */
  folder?: string;
}

function safeFileName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+/, '')
    .slice(-120);
  return cleaned || 'file';
}

/**
 * A presigned PUT for a file a seller will register against a release: a fresh key under the
 * store's namespace, recorded as not yet uploaded until the object store says it arrived.
 */
export async function startUpload(db: DbExecutor, storage: ObjectStorage, storeId: number, upload: UploadRequest) {
  const folder = upload.folder ? `${upload.folder}/` : '';
  const key = `${storeNamespace(storeId)}${folder}${createId()}-${safeFileName(upload.fileName)}`;
  const signed = await storage.presignUpload(key, upload.contentType, upload.contentLength);
  await db
    .insertInto('uploads')
    .values({
      store_id: storeId,
      storage_key: key,
      file_name: upload.fileName,
      content_type: upload.contentType,
      content_length: upload.contentLength,
      expires_at: signed.expiresAt,
      uploaded_at: null,
    })
    .execute();
  return { key, url: signed.url, expiresAt: signed.expiresAt };
}

/** The local store received the upload's bytes. */
export async function markUploaded(db: DbExecutor, storageKey: string): Promise<void> {
  await db.updateTable('uploads').set({ uploaded_at: new Date() }).where('storage_key', '=', storageKey).execute();
}
