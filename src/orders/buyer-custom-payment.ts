import type { Db } from '../db/schema';
import { CUSTOM_PAYMENT_METHOD } from '../domain/custom-payment-method';
import { filledRedirectUrl } from './custom-redirect';

/** What a buyer is shown of a method at checkout and on the order page: its name and how to pay it. */
export function howToPay(method: {
  id: string;
  type: 'instructions' | 'redirect';
  name: string;
  description: string | null;
  instructions: string | null;
  steps: string[];
  require_proof_of_payment: boolean;
}) {
  return {
    custom_payment_method_id: method.id,
    type: method.type,
    name: method.name,
    description: method.description,
    instructions: method.type === 'instructions' ? method.instructions : null,
    steps: method.type === 'instructions' ? method.steps : [],
    require_proof_of_payment: method.require_proof_of_payment,
  };
}

/**
 * What the buyer's order page shows of a custom payment: the method, how to pay it (the seller's
 * instructions and steps, raw: whoever shows them must treat them as untrusted, or the filled
 * redirect URL), whether a proof is asked and when it was sent. Never the proof itself.
 */
export async function buyerCustomPayment(
  db: Db,
  invoice: {
    id: number;
    status: string;
    payment_method: string;
    custom_payment_method_id: string | null;
    customer_email: string | null;
    currency: string;
    total_cents: number;
  },
  checkoutStarted: boolean,
  /** The price in US dollars kept at the first checkout (`{price_usd}` of another currency). */
  priceUsd: string | null = null,
) {
  if (invoice.payment_method !== CUSTOM_PAYMENT_METHOD || !invoice.custom_payment_method_id) return null;
  // The method the order was placed with, even if the seller has since disabled or deleted it.
  const [method, proof] = await Promise.all([
    db
      .selectFrom('custom_payment_methods')
      .select(['id', 'type', 'name', 'description', 'instructions', 'steps', 'require_proof_of_payment', 'redirect_url'])
      .where('id', '=', invoice.custom_payment_method_id)
      .executeTakeFirst(),
    db.selectFrom('invoice_payment_proofs').select(['submitted_at', 'image_key']).where('invoice_id', '=', invoice.id).executeTakeFirst(),
  ]);
  if (!method) return null;
  const awaiting = invoice.status === 'PENDING' || invoice.status === 'REVIEW';
  return {
    ...howToPay(method),
    /** The buyer may send (or replace) a proof: checkout started, and the seller has not decided yet. */
    accepts_proof: method.type === 'instructions' && checkoutStarted && awaiting,
    proof: proof ? { submitted_at: proof.submitted_at.toISOString(), has_image: proof.image_key !== null } : null,
    redirect_url:
      method.type === 'redirect' && method.redirect_url && checkoutStarted && awaiting
        ? await filledRedirectUrl(db, invoice, method.redirect_url, priceUsd)
        : null,
  };
}
