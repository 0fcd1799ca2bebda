import { z } from 'zod';
import type { CustomCheckout } from '../orders/custom-checkout';

/** A custom-method checkout as every checkout route answers it (invoice, order and fast checkout). */
export const customCheckoutSchema = z
  .object({
    custom_payment_method_id: z.string(),
    type: z.enum(['instructions', 'redirect']),
    redirect_url: z.string().nullable(),
    require_proof_of_payment: z.boolean(),
    order_token: z.string().nullable(),
    proof_url: z.string().nullable(),
  })
  .passthrough()
  .openapi('CustomCheckout');

/**
 * The buyer's links: where they send the proof and follow the order, by the order token (only
 * when this answer carries the token). A redirect method's filled URL is the payment URL.
 */
export function customCheckoutAnswer(custom: CustomCheckout, publicBaseUrl: string, storeId: number) {
  const orderUrl = custom.order_token
    ? `${publicBaseUrl.replace(/\/$/, '')}/api/v2/fast-checkout/${storeId}/orders/${custom.order_token}`
    : null;
  const message =
    custom.type === 'redirect'
      ? `Pay with ${custom.name} on the seller's page; the seller confirms the payment.`
      : `Pay with ${custom.name} as instructed${custom.require_proof_of_payment ? ', then send the proof of payment' : ''}; the seller confirms the payment.`;
  return {
    message,
    payment_url: custom.redirect_url ?? undefined,
    custom: {
      ...custom,
      status_url: orderUrl,
      proof_url: orderUrl && `${orderUrl}/proof`,
      proof_upload_url: orderUrl && `${orderUrl}/proof/uploads`,
    },
  };
}
