import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import {
  claimIdempotencyKey,
  findIdempotencyKey,
  reclaimExpiredIdempotencyKey,
  recordIdempotentAnswer,
  releaseIdempotencyClaim,
  renewIdempotencyClaim,
  takeOverAbandonedIdempotencyKey,
} from '../../accounts/idempotency-keys';
import type { Db } from '../../db/schema';
import { ApiError, invalidRequest } from '../errors';
import type { RequestAuth } from './authenticate';

/** How long a key's first answer stands (Stripe's 24 h). */
const KEPT_FOR_MS = 24 * 60 * 60 * 1000;
/**
 * A first request still running renews its claim this often; one not renewed for the
 * longer time is taken as lost (its process died) and may be run again. Short, so a client
 * retrying after an API crash waits seconds, not a minute.
 */
const RENEW_EVERY_MS = 2_000;
const ABANDONED_AFTER_MS = 8_000;
const MAX_RENEWAL_MS = 5 * 60_000;
const HEADER = /^[\x21-\x7e]{1,255}$/;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The claimed Idempotency-Key of this request, scoped to its API key, for a create to commit
 * with what it creates (see src/orders/request-key.ts); undefined without the header.
 */
export function requestKeyOf(res: Response): string | undefined {
  return res.locals.requestKey as string | undefined;
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(body ?? null)}`)
    .digest('hex');
}

/**
 * `Idempotency-Key` on every write, as Stripe defines it: per API key, the same key with
 * the same request answers the first response (status and body) for 24 h; with another
 * request it is a 422; while the first is still running a second is a 409, so concurrent
 * retries make one effect. A 5xx is not kept: the client's retry runs again (a create it
 * made is found again by its request key). Stored in the database, so every API process
 * honours it.
 */
export function idempotency(db: Db) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get('idempotency-key');
    if (key === undefined || !WRITES.has(req.method)) return next();
    if (!HEADER.test(key))
      throw invalidRequest('invalid_idempotency_key', 'Idempotency-Key is 1 to 255 printable ASCII characters', 'Idempotency-Key');
    const auth = res.locals.auth as RequestAuth;
    const fingerprint = requestFingerprint(req.method, req.baseUrl + req.path, req.body);

    const claim = { apiKeyId: auth.keyId, key };

    let claimed = await claimIdempotencyKey(db, claim, fingerprint);
    if (!claimed) {
      const first = await findIdempotencyKey(db, claim);
      const now = Date.now();
      if (!first || now - first.created_at.getTime() > KEPT_FOR_MS) {
        // Expired: this request starts the key afresh.
        claimed = await reclaimExpiredIdempotencyKey(db, claim, fingerprint, new Date(now - KEPT_FOR_MS));
      } else if (first.fingerprint !== fingerprint) {
        throw new ApiError(
          'invalid_request',
          'idempotency_key_mismatch',
          'This Idempotency-Key was used with another request; use a new key for a new request',
          {
            status: 422,
            param: 'Idempotency-Key',
          },
        );
      } else if (first.status !== null) {
        res.setHeader('Idempotent-Replayed', 'true');
        res.status(first.status).json(first.response);
        return;
      } else {
        claimed = await takeOverAbandonedIdempotencyKey(db, claim, ABANDONED_AFTER_MS);
      }
      if (!claimed) {
        throw new ApiError(
          'conflict',
          'idempotency_key_in_use',
          'A request with this Idempotency-Key is still being answered; retry shortly',
          {
            headers: { 'Retry-After': '1' },
          },
        );
      }
    }

    // The key's generation (its claim's first time) tells a reuse after 24 h from a retry.
    res.locals.requestKey = `${auth.keyId}:${key}:${claimed.created_at.getTime()}`;
    const renewal = setInterval(() => {
      renewIdempotencyClaim(db, claim).catch(() => undefined); // a missed renewal only shortens the claim
    }, RENEW_EVERY_MS);
    // A client that hung up does not stop the request: its claim holds until the answer is
    // written (the json hook below), or for at most five minutes should the handler never answer.
    const stopRenewing = () => clearInterval(renewal);
    res.once('finish', stopRenewing);
    setTimeout(stopRenewing, MAX_RENEWAL_MS).unref();
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      stopRenewing();
      const status = res.statusCode;
      const settle =
        status >= 500
          ? // Released, not forgotten: the retry claims it at once and keeps its generation, so a
            // create that committed before the 5xx is found again (src/orders/request-key.ts).
            releaseIdempotencyClaim(db, claim)
          : recordIdempotentAnswer(db, claim, status, body);
      settle.then(
        () => send(body),
        (error: unknown) => {
          req.log?.error({ err: error }, 'could not record the idempotent answer');
          send(body);
        },
      );
      return res;
    };
    next();
  };
}
