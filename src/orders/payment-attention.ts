import type { DbExecutor } from '../db/schema';
import type { MismatchCode } from '../domain/payment-match';
import { recordEvent } from '../events/record';

export interface PaymentIssue {
  code: MismatchCode;
  reason: string;
  /** The provider and its event, kept in gateway_events. */
  gateway: string;
  eventId: string;
  eventType: string;
  /** What arrived, as the provider reported it. */
  livemode: boolean;
  reference: string;
  amountCents: number | null;
  currency: string | null;
}

/**
 * Money that did not pay the invoice it names: the invoice is flagged for ops with the reason
 * (ops/stuck-orders, `sellflow orders stuck`), and `order.payment_mismatch` goes out with what
 * arrived next to what the invoice expected. Nothing is paid or delivered.
 */
export async function flagPaymentIssue(trx: DbExecutor, invoiceId: number, issue: PaymentIssue): Promise<void> {
  const invoice = await trx
    .selectFrom('invoices')
    .select(['store_id', 'livemode', 'status', 'total_cents', 'currency'])
    .where('id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const reason = `${issue.gateway} ${issue.eventType} ${issue.eventId}: ${issue.reason}`;
  await trx
    .updateTable('invoices')
    .set({ needs_attention: true, attention_reason: reason, updated_at: new Date() })
    .where('id', '=', invoiceId)
    .execute();
  await recordEvent(trx, {
    storeId: invoice.store_id,
    livemode: invoice.livemode,
    type: 'order.payment_mismatch',
    data: {
      id: invoiceId,
      status: invoice.status,
      reason_code: issue.code,
      reason: issue.reason,
      gateway: issue.gateway,
      gateway_event: { id: issue.eventId, type: issue.eventType, livemode: issue.livemode },
      reference: issue.reference,
      expected: { amount: invoice.total_cents, currency: invoice.currency, livemode: invoice.livemode },
      received: { amount: issue.amountCents, currency: issue.currency?.toUpperCase() ?? null },
    },
  });
  // Ops notifications listen for this one, whatever made the order need a person.
  const attention = { id: invoiceId, reason: issue.reason };
  await recordEvent(trx, { storeId: invoice.store_id, livemode: invoice.livemode, type: 'delivery.needs_attention', data: attention });
}
