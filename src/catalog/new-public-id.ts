import { createId } from '@paralleldrive/cuid2';

/** The Sell API's opaque ids (cuid-style, e.g. `clk…`); SellApp routes use integer ids. */
export function newPublicId(): string {
  return createId();
}
