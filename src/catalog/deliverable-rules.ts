import { CatalogRuleError } from './errors';

export const DELIVERABLE_TYPES = ['DOWNLOADABLE', 'TEXT', 'DYNAMIC', 'MANUAL', 'LICENSE_KEY', 'BUNDLE'] as const;
export type DeliverableType = (typeof DELIVERABLE_TYPES)[number];

/**
 * The seller's dynamic-delivery endpoint: a valid http(s) URL, and https in live mode unless
 * the store has explicitly allowed plain http (e.g. a seller testing on their LAN).
 */
export function checkWebhookUrl(raw: string, options: { livemode: boolean; allowHttp: boolean; param: string }): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CatalogRuleError('invalid_url', 'The dynamic webhook must be an absolute URL', options.param);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CatalogRuleError('invalid_url', 'The dynamic webhook must use https', options.param);
  }
  if (url.protocol === 'http:' && options.livemode && !options.allowHttp) {
    throw new CatalogRuleError('insecure_url', 'The dynamic webhook must use https in live mode (the store can allow http)', options.param);
  }
  if (url.username || url.password)
    throw new CatalogRuleError('invalid_url', 'The dynamic webhook URL must not carry credentials', options.param);
  return url.toString();
}

export function checkTypes(types: readonly DeliverableType[], param: string): void {
  if (types.length === 0) throw new CatalogRuleError('missing_field', 'A variant needs at least one deliverable type', param);
  if (new Set(types).size !== types.length) throw new CatalogRuleError('invalid_field', 'Deliverable types must not repeat', param);
  if (types.includes('BUNDLE')) {
    throw new CatalogRuleError('unsupported', 'BUNDLE deliverables are not supported yet; sell the bundled variants separately', param);
  }
}
