import { createId } from '@paralleldrive/cuid2';

/** The Sell API's opaque ids (cuid-style, e.g. `clk…`); SellApp routes use integer ids. */
export function newPublicId(): string {
  return createId();
}

/** Whether a `{ref}` is one of our public ids rather than a seller's externalId. */
export function looksLikePublicId(ref: string): boolean {
  return /^[a-z][a-z0-9]{23}$/.test(ref);
}
