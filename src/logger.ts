import pino, { type Logger } from 'pino';

export type { Logger };

/** Secrets never reach the log: credentials are redacted wherever pino-http or we put them. */
export function createLogger(level: string, format: 'json' | 'pretty' | 'auto' = 'json', name = 'sellflow'): Logger {
  // People at a terminal get readable lines; pipes and log shippers get JSON.
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  return pino({
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        // Telegram's webhook secret.
        'req.headers["x-telegram-bot-api-secret-token"]',
        'headers.authorization',
        '*.key',
        '*.secret',
        '*.password',
      ],
      censor: '[redacted]',
    },
  });
}
