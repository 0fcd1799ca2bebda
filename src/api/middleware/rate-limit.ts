import type { NextFunction, Request, Response } from 'express';
import pg from 'pg';
import type { DatabaseHandle } from '../../db/connect';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '../errors';
import type { RequestAuth } from './authenticate';

export interface RateLimitDefaults {
  perMinute: number;
  burst: number;
  publicPerMinute: number;
  publicBurst: number;
}

/**
 * Where the counters live. With Postgres every API process shares them (the `rate_limits`
 * table), so N processes still allow one limit; embedded mode has one process, so memory.
 */
export type RateLimitStore = { kind: 'memory' } | { kind: 'postgres'; pool: pg.Pool };

/**
 * Postgres counters get a pool of their own whose commits skip the WAL flush
 * (synchronous_commit off). Every request of one key updates that key's one row, and the row
 * stays locked until the commit: with a flush per commit a busy key's requests queued one flush
 * at a time (about 270/s here). Counters are no money; a crash may forget the last moments' counts.
 * The caller ends the pool (`close`).
 */
export function rateLimitStoreFor(database: Pick<DatabaseHandle, 'kind' | 'pool'>): RateLimitStore & { close(): Promise<void> } {
  if (database.kind !== 'postgres') return { kind: 'memory', close: async () => undefined };
  const pool = new pg.Pool({ ...database.pool.options, max: 4, options: '-c synchronous_commit=off' });
  pool.on('error', () => undefined);
  return { kind: 'postgres', pool, close: () => pool.end() };
}

/**
 * `burst` requests at once, refilled at `perMinute`: a fixed window of `burst` points lasting
 * burst/perMinute minutes keeps both the long-run rate and the burst exact.
 */
function limiterFactory(store: RateLimitStore, prefix: string) {
  const limiters = new Map<string, RateLimiterAbstract>();
  return (perMinute: number, burst: number): RateLimiterAbstract => {
    const id = `${perMinute}:${burst}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      const options = { keyPrefix: `${prefix}:${id}`, points: burst, duration: Math.max(1, Math.round((burst * 60) / perMinute)) };
      limiter =
        store.kind === 'postgres'
          ? // While the database cannot answer, each process counts alone rather than refusing everyone.
            new RateLimiterPostgres({
              ...options,
              storeClient: store.pool,
              tableName: 'rate_limits',
              tableCreated: true,
              insuranceLimiter: new RateLimiterMemory(options),
            })
          : new RateLimiterMemory(options);
      limiters.set(id, limiter);
    }
    return limiter;
  };
}

async function consume(limiter: RateLimiterAbstract, key: string, perMinute: number, burst: number, res: Response, next: NextFunction) {
  res.setHeader('X-RateLimit-Limit', String(burst));
  try {
    const state = await limiter.consume(key);
    res.setHeader('X-RateLimit-Remaining', String(state.remainingPoints));
    res.setHeader('X-RateLimit-Reset', String(Math.ceil((Date.now() + state.msBeforeNext) / 1000)));
    next();
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    const retryAt = new Date(Date.now() + rejection.msBeforeNext).toISOString();
    res.setHeader('X-RateLimit-Remaining', '0');
    throw new ApiError(
      'rate_limited',
      'rate_limit_exceeded',
      `Rate limit of ${perMinute} requests per minute (burst ${burst}) exceeded; retry after ${retryAfter} s (${retryAt})`,
      {
        headers: { 'Retry-After': String(retryAfter) },
        extra: { retry_after: retryAfter, retry_at: retryAt },
        sellappMessage: 'Too Many Attempts.',
      },
    );
  }
}

/** Per-key limits, resolved key > store > process default. */
export function rateLimit(defaults: RateLimitDefaults, store: RateLimitStore) {
  const limiterFor = limiterFactory(store, 'key');
  return async (_req: Request, res: Response, next: NextFunction) => {
    const auth = res.locals.auth as RequestAuth;
    const perMinute = auth.rateLimitPerMinute ?? auth.store.rateLimitPerMinute ?? defaults.perMinute;
    const burst = auth.rateLimitBurst ?? auth.store.rateLimitBurst ?? defaults.burst;
    // A customer session counts on its own, never against the seller's key.
    const key = auth.customer ? `customer-session:${auth.customer.sessionId}` : `key:${auth.keyId}`;
    await consume(limiterFor(perMinute, burst), key, perMinute, burst, res, next);
  };
}

/** Routes without a key (provider webhooks, platform callbacks, signed file URLs): per client address. */
export function publicRateLimit(defaults: RateLimitDefaults, store: RateLimitStore) {
  const limiter = limiterFactory(store, 'ip')(defaults.publicPerMinute, defaults.publicBurst);
  return async (req: Request, res: Response, next: NextFunction) => {
    await consume(
      limiter,
      `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`,
      defaults.publicPerMinute,
      defaults.publicBurst,
      res,
      next,
    );
  };
}
