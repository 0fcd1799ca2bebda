import { createId } from '@paralleldrive/cuid2';
import { z } from 'zod';
import { storeNamespace } from '../../../storage/object-storage';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter } from '../../route';
import { uploadBody } from '../../schemas/sell';

function safeFileName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+/, '')
    .slice(-120);
  return cleaned || 'file';
}

/** POST /api/v1/uploads: a 15-minute presigned PUT URL and the key to register afterwards. */
export function registerUploadRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  router.route({
    method: 'post',
    path: '/uploads',
    summary: 'Get a presigned PUT URL (valid 15 minutes) for a file to register against a release',
    tags: ['Sell uploads'],
    scope: 'uploads:write',
    modes: 'both',
    body: uploadBody,
    response: z
      .object({
        url: z.string(),
        key: z.string(),
        method: z.literal('PUT'),
        headers: z.record(z.string(), z.string()),
        expiresAt: z.string(),
      })
      .openapi('Upload'),
    handler: async ({ auth, body }) => {
      const folder = body.folder ? `${body.folder}/` : '';
      const key = `${storeNamespace(auth.store.id)}${folder}${createId()}-${safeFileName(body.fileName)}`;
      const signed = await deps.storage.presignUpload(key, body.contentType, body.contentLength);
      await deps.db
        .insertInto('uploads')
        .values({
          store_id: auth.store.id,
          storage_key: key,
          file_name: body.fileName,
          content_type: body.contentType,
          content_length: body.contentLength,
          expires_at: signed.expiresAt,
          uploaded_at: null,
        })
        .execute();
      return {
        url: signed.url,
        key,
        method: 'PUT' as const,
        headers: { 'Content-Type': body.contentType },
        expiresAt: signed.expiresAt.toISOString(),
      };
    },
  });
}
