import type { NextFunction, Request, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '../errors';
import type { RequestAuth } from './authenticate';

export interface RateLimitDefaults {
  perMinute: number;
  burst: number;
}

/**
 * Per-key limits: `burst` requests at once, refilled at `perMinute`. Expressed as a fixed
 * window of `burst` points lasting burst/perMinute minutes, which keeps both the long-run
 * rate and the burst exact. Limits resolve key > store > process default.
 */
export function rateLimit(defaults: RateLimitDefaults) {
  const limiters = new Map<string, RateLimiterMemory>();
  const limiterFor = (perMinute: number, burst: number) => {
    const id = `${perMinute}:${burst}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: burst, duration: Math.max(1, Math.round((burst * 60) / perMinute)) });
      limiters.set(id, limiter);
    }
    return limiter;
  };

  return async (_req: Request, res: Response, next: NextFunction) => {
    const auth = res.locals.auth as RequestAuth;
    const perMinute = auth.rateLimitPerMinute ?? auth.store.rateLimitPerMinute ?? defaults.perMinute;
    const burst = auth.rateLimitBurst ?? auth.store.rateLimitBurst ?? defaults.burst;
    res.setHeader('X-RateLimit-Limit', String(burst));
    try {
      const state = await limiterFor(perMinute, burst).consume(`key:${auth.keyId}`);
      res.setHeader('X-RateLimit-Remaining', String(state.remainingPoints));
      res.setHeader('X-RateLimit-Reset', String(Math.ceil((Date.now() + state.msBeforeNext) / 1000)));
      next();
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      const retryAt = new Date(Date.now() + rejection.msBeforeNext).toISOString();
      res.setHeader('X-RateLimit-Remaining', '0');
      throw new ApiError('rate_limited', 'rate_limit_exceeded', `Rate limit of ${perMinute} requests per minute (burst ${burst}) exceeded; retry after ${retryAfter} s (${retryAt})`, {
        headers: { 'Retry-After': String(retryAfter) },
        extra: { retry_after: retryAfter, retry_at: retryAt },
        sellappMessage: 'Too Many Attempts.',
      });
    }
  };
}
