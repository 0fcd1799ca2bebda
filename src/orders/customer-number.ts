import { createHash } from 'node:crypto';

/**
 * The integer the official SellApp models call a customer id (invoice customer_information.id,
 * license key customer_id, ticket customer.id). Sellflow keeps no customer records: a customer is
 * an email within a store, so the number is derived from both, the same wherever it appears, and
 * kept under 2^48 so every SDK (and JavaScript) holds it exactly. A buyer who gave no e-mail (the
 * store disabled the checkout e-mail) is no one we can name again: 0, never a number shared by all of them.
 */
export function customerNumber(storeId: number, email: string | null): number {
  if (email === null || email.trim() === '') return 0;
  const digest = createHash('sha256').update(`${storeId}:${email.trim().toLowerCase()}`).digest();
  return digest.readUIntBE(0, 6) || 1;
}
