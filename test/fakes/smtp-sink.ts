import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SunkMail {
  from: string;
  to: string[];
  raw: string;
}

/**
 * A local SMTP server that accepts every message and keeps it (or, while `refusing`, answers 550
 * to each). With `stalls` > 0 the next that many messages get their reply to DATA only after
 * `stallMs`; like a server that commits a message with its reply, it keeps one whose client hung
 * up meanwhile not at all (`dropped` counts those).
 */
export async function startSmtpSink() {
  const mails: SunkMail[] = [];
  const control = { refusing: false, stalls: 0, stallMs: 0, dropped: 0, stalling: 0 };
  const closed = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onClose(session) {
      closed.add(session.id);
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      stream.on('end', () => {
        const reply = () => {
          if (closed.has(session.id)) {
            control.dropped += 1;
            return;
          }
          if (control.refusing) return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
          });
          callback();
        };
        if (control.stalls <= 0) return reply();
        control.stalls -= 1;
        control.stalling += 1;
        setTimeout(() => {
          control.stalling -= 1;
          reply();
        }, control.stallMs);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, control, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
