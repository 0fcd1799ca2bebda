import { Eta } from 'eta';
import type { RenderedEmail } from './delivery-email-template';
import { majorUnits } from '../domain/currency-minor-units';

/** What one abandoned-checkout reminder says. */
export interface CheckoutReminderContent {
  storeName: string;
  invoiceId: number;
  /** 1, 2 or 3: later reminders say so. */
  number: number;
  lines: { title: string; quantity: number }[];
  total: string;
  payUrl: string;
  /** The seller's incentive, when this reminder carries it and it is still usable. */
  coupon: { code: string; discount: string; expiresAt: Date | null } | null;
}

/** An amount as a buyer reads it: "$12.50", "€3.00", "¥500". */
export function formatAmount(cents: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(cents / 10 ** digits);
  } catch {
    // A code Intl does not know: the amount with the code beside it.
    return `${majorUnits(cents, currency)} ${currency}`;
  }
}

// Eta escapes every `<%= %>` (product titles and the store name are the seller's text), as the delivery e-mail does.
const html = new Eta({ autoEscape: true, autoTrim: [false, 'nl'] });

html.loadTemplate(
  '@checkout-reminder',
  `<!doctype html>
<html><head><meta charset="utf-8"><title><%= it.subject %></title></head>
<body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:600px;margin:0 auto;padding:16px">
<h1 style="font-size:20px"><%= it.storeName %></h1>
<p><%= it.intro %></p>
<ul><% for (const line of it.lines) { %><li><%= line.title %> &times; <%= line.quantity %></li><% } %></ul>
<p><strong>Total: <%= it.total %></strong></p>
<% if (it.coupon) { %><p style="background:#f4f8ff;padding:12px">Use coupon <code><%= it.coupon.code %></code> for <%= it.coupon.discount %> off<% if (it.coupon.expiresAt) { %> (until <%= it.coupon.expiresAt.toUTCString() %>)<% } %>.</p><% } %>
<p><a href="<%= it.payUrl %>" style="display:inline-block;background:#222;color:#fff;padding:10px 16px;text-decoration:none">Complete your purchase</a></p>
<p style="color:#666;font-size:12px">You get this because you started a checkout at <%= it.storeName %>. Reply to this e-mail to reach them.</p>
</body></html>
`,
);

const intro = (c: CheckoutReminderContent) =>
  c.number === 1
    ? `You started checkout #${c.invoiceId} but did not finish it. Your order is still waiting for you:`
    : `A reminder: checkout #${c.invoiceId} is still waiting for you:`;

export function renderCheckoutReminder(content: CheckoutReminderContent): RenderedEmail {
  const subject = `${content.storeName}: complete your order #${content.invoiceId}`;
  const text = [
    content.storeName,
    '',
    intro(content),
    ...content.lines.map((l) => `  ${l.title} x ${l.quantity}`),
    '',
    `Total: ${content.total}`,
    ...(content.coupon
      ? [
          '',
          `Use coupon ${content.coupon.code} for ${content.coupon.discount} off${content.coupon.expiresAt ? ` (until ${content.coupon.expiresAt.toUTCString()})` : ''}.`,
        ]
      : []),
    '',
    `Complete your purchase: ${content.payUrl}`,
    '',
    `You get this because you started a checkout at ${content.storeName}. Reply to this e-mail to reach them.`,
    '',
  ].join('\n');
  return { subject, html: html.render('@checkout-reminder', { ...content, subject, intro: intro(content) }), text };
}
