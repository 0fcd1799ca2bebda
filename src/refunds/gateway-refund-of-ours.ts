import type { DbExecutor } from '../db/schema';

/** Refund ids are int4: anything else a gateway hands back (Stripe's metadata, PayPal's custom_id) names no refund of ours. */
const refundIdOf = (value: string | null | undefined) =>
  value && /^\d{1,10}$/.test(value) && Number(value) <= 2_147_483_647 ? Number(value) : null;

/**
 * The refund of ours a gateway's refund may be, locked: made through `provider` by the refund
 * workflow, of this invoice or store, named by the gateway's refund id or by the id we sent along
 * (so an event before the workflow recorded the gateway's answer still finds it). The caller checks
 * that a row named by our id is not one the gateway knows by another id.
 */
export function lockGatewayRefundOfOurs(
  trx: DbExecutor,
  where: { provider: 'stripe' | 'paypal'; providerRefundId: string; sentId: string | null | undefined } & (
    { invoiceId: number } | { storeId: number }
  ),
) {
  const named = refundIdOf(where.sentId);
  const query = trx.selectFrom('refunds').selectAll().where('provider', '=', where.provider).where('source', '=', 'api');
  return ('invoiceId' in where ? query.where('invoice_id', '=', where.invoiceId) : query.where('store_id', '=', where.storeId))
    .where((eb) =>
      named === null
        ? eb('provider_refund_id', '=', where.providerRefundId)
        : eb.or([eb('id', '=', named), eb('provider_refund_id', '=', where.providerRefundId)]),
    )
    .orderBy('id')
    .forUpdate()
    .executeTakeFirst();
}
