/** SellApp shows a charge as PENDING, COMPLETED or VOIDED: paid counts as completed. */
export function chargeStatus(invoiceStatus: string): 'PENDING' | 'COMPLETED' | 'VOIDED' {
  if (invoiceStatus === 'PAID' || invoiceStatus === 'COMPLETED') return 'COMPLETED';
  if (invoiceStatus === 'PENDING' || invoiceStatus === 'REVIEW' || invoiceStatus === 'PARTIAL') return 'PENDING';
  return 'VOIDED';
}
