import { timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../security/secret-box';

const PURPOSE = 'invoice-checkout';

/** The signature in an invoice's own checkout page address: 192 bits, derived, so nothing is stored. */
export function invoiceCheckoutSignature(box: SecretBox, invoiceId: number): string {
  return box.sign(PURPOSE, `invoice:${invoiceId}`).subarray(0, 24).toString('base64url');
}

export function invoiceCheckoutSignatureMatches(box: SecretBox, invoiceId: number, signature: string): boolean {
  const expected = Buffer.from(invoiceCheckoutSignature(box, invoiceId));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The hosted page where an invoice's buyer pays it (a key-created invoice's `checkout`) and then
 * follows it until delivered (src/hosted-checkout). Whoever holds the address holds the order.
 */
export function invoiceCheckoutUrl(publicBaseUrl: string, box: SecretBox, store: { slug: string }, invoiceId: number): string {
  const signature = invoiceCheckoutSignature(box, invoiceId);
  return `${publicBaseUrl.replace(/\/$/, '')}/checkout/${encodeURIComponent(store.slug)}/invoices/${invoiceId}/${signature}`;
}
