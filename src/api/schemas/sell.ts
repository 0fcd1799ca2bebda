import { z } from 'zod';
import { SELL_PRODUCT_TYPES } from '../../catalog/sell-products';
import { billingInterval } from './common';

const externalId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:@\-/]+$/, 'letters, digits and . _ : @ - / only');

export const sellProductBody = z
  .object({
    externalId: externalId.optional(),
    name: z.string().min(1).max(255).optional(),
    description: z.string().max(100_000).optional(),
    slug: z.string().min(1).max(100).optional(),
    priceCents: z.number().int().min(0).max(100_000_000).optional(),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'a 3-letter ISO currency code')
      .transform((c) => c.toUpperCase())
      .optional(),
    productType: z.enum(SELL_PRODUCT_TYPES).optional(),
    billingInterval: billingInterval.nullable().optional(),
  })
  .openapi('SellProductInput');

export const sellProductListQuery = z.object({
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(['DRAFT', 'PUBLISHED', 'ARCHIVED']).optional(),
  externalId: z.string().max(200).optional(),
});

export const releaseBody = z
  .object({
    externalId: externalId.optional(),
    version: z.string().min(1).max(100).optional(),
    publish: z.boolean().optional(),
    markCurrent: z.boolean().optional(),
  })
  .openapi('ReleaseInput');

export const fileBody = z
  .object({
    storageKey: z.string().min(1).max(1024),
    fileName: z.string().min(1).max(255),
    fileSize: z
      .number()
      .int()
      .min(0)
      .max(50 * 2 ** 30),
    mimeType: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as application/zip'),
  })
  .openapi('ReleaseFileInput');

export const uploadBody = z
  .object({
    fileName: z.string().min(1).max(255),
    contentType: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as application/zip'),
    contentLength: z
      .number()
      .int()
      .min(1)
      .max(5 * 2 ** 30),
    folder: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'folder names of letters, digits, _ and -, separated by /')
      .optional(),
  })
  .openapi('UploadRequest');
