import { createHash } from 'node:crypto';

/**
 * The integer the official SellApp models call a customer id (invoice customer_information.id,
 * license key customer_id, ticket customer.id). Sellflow keeps no customer records: a customer is
 * an email within a store, so the number is derived from both, the same wherever it appears, and
 * kept under 2^48 so every SDK (and JavaScript) holds it exactly.
 */
export function customerNumber(storeId: number, email: string): number {
  const digest = createHash('sha256').update(`${storeId}:${email.trim().toLowerCase()}`).digest();
  return digest.readUIntBE(0, 6) || 1;
}
