import { ApplicationFailure } from '@temporalio/common';
import { BuyerEmailInFlight } from '../src/orders/buyer-email';

/**
 * What a failed buyer e-mail tells Temporal: a refusal by the server (5xx) is final, since sending
 * it again gets the same answer; an e-mail another attempt still holds is retried once its lease
 * ends; anything else (a timeout, a dropped connection) on the activity's own schedule.
 */
export function smtpSendFailure(error: unknown): unknown {
  if (error instanceof BuyerEmailInFlight)
    return ApplicationFailure.create({ message: error.message, type: error.name, nextRetryDelay: Math.max(error.retryAfterMs, 1000) });
  const code = (error as { responseCode?: number }).responseCode;
  if (code !== undefined && code >= 500) return ApplicationFailure.nonRetryable(`SMTP ${code}: ${(error as Error).message}`, 'SmtpRefused');
  return error;
}
