import { Eta } from 'eta';
import type { RenderedEmail } from './delivery-email-template';

/** A short buyer notice: a receipt, a failed payment, a late invite link. */
export interface BuyerNoticeContent {
  storeName: string;
  subject: string;
  paragraphs: string[];
  /** Label and value pairs (amount, period, product…). */
  facts: { label: string; value: string }[];
  link: { label: string; url: string } | null;
}

// Eta escapes every `<%= %>`: product titles and store names are the seller's text.
const html = new Eta({ autoEscape: true, autoTrim: [false, 'nl'] });

html.loadTemplate(
  '@buyer-notice',
  `<!doctype html>
<html><head><meta charset="utf-8"><title><%= it.subject %></title></head>
<body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:600px;margin:0 auto;padding:16px">
<h1 style="font-size:20px"><%= it.storeName %></h1>
<% for (const p of it.paragraphs) { %><p><%= p %></p><% } %>
<% if (it.facts.length) { %><table style="border-collapse:collapse"><% for (const f of it.facts) { %><tr><td style="padding:4px 12px 4px 0;color:#666"><%= f.label %></td><td style="padding:4px 0"><%= f.value %></td></tr><% } %></table><% } %>
<% if (it.link) { %><p><a href="<%= it.link.url %>" style="display:inline-block;background:#222;color:#fff;padding:10px 16px;text-decoration:none"><%= it.link.label %></a></p><% } %>
<p style="color:#666;font-size:12px">Reply to this e-mail to reach <%= it.storeName %>.</p>
</body></html>
`,
);

export function renderBuyerNotice(content: BuyerNoticeContent): RenderedEmail {
  const text = [
    content.storeName,
    '',
    ...content.paragraphs.flatMap((p) => [p, '']),
    ...content.facts.map((f) => `${f.label}: ${f.value}`),
    ...(content.link ? ['', `${content.link.label}: ${content.link.url}`] : []),
    '',
    `Reply to this e-mail to reach ${content.storeName}.`,
    '',
  ].join('\n');
  return { subject: content.subject, html: html.render('@buyer-notice', content), text };
}
