import { z } from 'zod';
import { startUpload } from '../../../catalog/uploads';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter } from '../../route';
import { uploadBody } from '../../schemas/sell';

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
      const { key, url, expiresAt } = await startUpload(deps.db, deps.storage, auth.store.id, body);
      return {
        url,
        key,
        method: 'PUT' as const,
        headers: { 'Content-Type': body.contentType },
        expiresAt: expiresAt.toISOString(),
      };
    },
  });
}
