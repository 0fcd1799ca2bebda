import { Router, type Request } from 'express';
import { markUploaded } from '../../catalog/uploads';
import type { Db } from '../../db/schema';
import { StorageKeyError } from '../../storage/local-file-store';
import type { LocalObjectStorage } from '../../storage/local-storage';
import { type SignedGrant, verifyGrant } from '../../storage/signed-url';
import { ApiError, invalidRequest, permissionDenied } from '../errors';

function keyOf(req: Request): string {
  const parts = (req.params as { key?: string[] }).key ?? [];
  return parts.join('/');
}

const SIGNED_PARAMS = ['expires', 'content_type', 'content_length', 'filename', 'signature'] as const;

/**
 * The signed parameters, each given at most once as a plain value: `filename=a&filename=b` or
 * `filename[a]=b` is a 400, never an array or object passed on as if it were the signed string.
 */
function signedParams(req: Request): Partial<Record<(typeof SIGNED_PARAMS)[number], string>> {
  const params: Partial<Record<(typeof SIGNED_PARAMS)[number], string>> = {};
  for (const name of SIGNED_PARAMS) {
    const value: unknown = req.query[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalidRequest('repeated_parameter', `${name} must appear once, as a plain value`, name);
    params[name] = value;
  }
  return params;
}

function grantFromQuery(req: Request, method: 'GET' | 'PUT'): { grant: SignedGrant; signature: string } {
  const q = signedParams(req);
  const expires = Number(q.expires);
  if (!Number.isInteger(expires) || !q.signature) throw permissionDenied('invalid_signature', 'This URL is not signed');
  return {
    grant: {
      method,
      key: keyOf(req),
      expires,
      contentType: q.content_type,
      contentLength: q.content_length === undefined ? undefined : Number(q.content_length),
      fileName: q.filename,
    },
    signature: q.signature,
  };
}

function check(storage: LocalObjectStorage, grant: SignedGrant, signature: string): void {
  const result = verifyGrant(storage.secret, grant, signature);
  if (!result.ok) {
    throw result.reason === 'expired'
      ? permissionDenied('url_expired', 'This signed URL has expired')
      : permissionDenied('invalid_signature', 'This URL’s signature does not match');
  }
}

/**
 * The local store's presigned endpoints: PUT receives an upload, GET serves a download.
 * They authenticate by signature, not API key, like an object store's presigned URLs.
 */
export function filesRouter(storage: LocalObjectStorage, db: Db): Router {
  const router = Router();
  router.put('/files/*key', async (req, res) => {
    const { grant, signature } = grantFromQuery(req, 'PUT');
    check(storage, grant, signature);
    const contentType = (req.get('content-type') ?? '').split(';')[0]!.trim();
    if (grant.contentType !== undefined && contentType !== grant.contentType) {
      throw new ApiError('invalid_request', 'content_type_mismatch', `Content-Type must be ${grant.contentType}`, {
        param: 'Content-Type',
      });
    }
    const declared = grant.contentLength ?? Number.MAX_SAFE_INTEGER;
    let written: number;
    try {
      written = await storage.store.put(grant.key, req, declared);
    } catch (error) {
      if (error instanceof StorageKeyError) throw new ApiError('invalid_request', 'invalid_upload', error.message);
      throw error;
    }
    if (grant.contentLength !== undefined && written !== grant.contentLength) {
      throw new ApiError('invalid_request', 'content_length_mismatch', `Expected ${grant.contentLength} bytes, received ${written}`);
    }
    await markUploaded(db, grant.key);
    res.status(200).end();
  });

  router.get('/files/*key', async (req, res) => {
    const { grant, signature } = grantFromQuery(req, 'GET');
    check(storage, grant, signature);
    if (!storage.store.exists(grant.key)) throw new ApiError('not_found', 'file_missing', 'No such file');
    if (grant.fileName) res.attachment(grant.fileName);
    res.setHeader('Cache-Control', 'private, no-store');
    storage.store.read(grant.key).pipe(res);
  });
  return router;
}
