/** Whether a `{ref}` is one of our public ids (cuid-style, e.g. `clk…`) rather than a seller's externalId. */
export function looksLikePublicId(ref: string): boolean {
  return /^[a-z][a-z0-9]{23}$/.test(ref);
}
