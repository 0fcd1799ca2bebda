import { context, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Secrets never reach the log: credentials are redacted wherever pino-http or we put them
 * (request URLs lose their signatures and tokens in src/api/log-redaction.ts). `destination`
 * takes JSON lines elsewhere than stdout (tests read them).
 */
export function createLogger(
  level: string,
  format: 'json' | 'pretty' | 'auto' = 'json',
  name = 'sellflow',
  destination?: DestinationStream,
): Logger {
  // People at a terminal get readable lines; pipes and log shippers get JSON.
  const pretty = !destination && (format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true));
  const options: pino.LoggerOptions = {
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
    name,
    level,
    // A line written inside a traced request or activity names its trace (beside pino-http's request id),
    // so a trace found in the tracing backend leads to its logs and back. Untraced, there is no active span.
    mixin() {
      const span = trace.getSpanContext(context.active());
      return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
    },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        // Telegram's webhook secret.
        'req.headers["x-telegram-bot-api-secret-token"]',
        // Stripe's webhook signature, and ours should a receiver's request ever be logged.
        'req.headers["stripe-signature"]',
        'req.headers["x-sell-signature"]',
        'req.headers.signature',
        'req.headers["x-api-key"]',
        'req.headers["proxy-authorization"]',
        'res.headers["set-cookie"]',
        'headers.authorization',
        '*.key',
        '*.secret',
        '*.password',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
