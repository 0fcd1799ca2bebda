import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * The hosted page's checkout session fingerprint, what the store's per-fingerprint attempt limit
 * counts: a random id the page gives each browser in a cookie on its first visit, which the
 * browser then sends with the checkout form (no script needed, so it works under the page's
 * strict CSP). Like any client-held value it stops a casual repeat, not a client that drops it.
 */
export const FINGERPRINT_COOKIE = 'sf_checkout_fp';
const VALUE = /^[A-Za-z0-9_-]{22,64}$/;
const ONE_YEAR_MS = 365 * 86_400_000;

/** The browser's fingerprint, or null when it sent none (a first visit, or a client that keeps no cookies). */
export function browserFingerprint(req: Request): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === FINGERPRINT_COOKIE) {
      const text = value.join('=');
      return VALUE.test(text) ? text : null;
    }
  }
  return null;
}

/** Gives a browser that has no fingerprint yet its own, kept a year, sent back only to the checkout pages. */
export function ensureBrowserFingerprint(req: Request, res: Response, options: { secure: boolean }): void {
  if (browserFingerprint(req) !== null) return;
  res.cookie(FINGERPRINT_COOKIE, randomBytes(16).toString('base64url'), {
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
    path: '/checkout',
    maxAge: ONE_YEAR_MS,
  });
}
