/**
 * What an API key may do. The first four are the Sell publishing API's scopes; the rest
 * cover SellApp v2 resources and our own ops endpoints.
 */
export const SCOPES = [
  'products:read',
  'products:write',
  'releases:write',
  'uploads:write',
  'invoices:read',
  'invoices:write',
  'subscriptions:write',
  'webhooks:write',
  'affiliates:read',
  'affiliates:write',
  'community:write',
  'ops:write',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Parses a comma-separated scope list; unknown names are reported, not dropped. */
export function parseScopes(list: string): { scopes: Scope[]; unknown: string[] } {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    scopes: [...new Set(names.filter(isScope))],
    unknown: names.filter((n) => !isScope(n)),
  };
}
