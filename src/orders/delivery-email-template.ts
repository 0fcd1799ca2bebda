import { Eta } from 'eta';

/** What one delivery e-mail says: every line's deliverables, the community invites, and how long the links last. */
export interface DeliveryEmailContent {
  storeName: string;
  invoiceId: number;
  /** The order this invoice replaces: the buyer knows that number, not the replacement's. */
  replacementOf?: number | null;
  lines: {
    title: string;
    quantity: number;
    serials: string[];
    licenseKeys: string[];
    files: { name: string; url: string }[];
    dynamic: string;
    manual: string;
  }[];
  community: { platform: string; space: string; inviteUrl: string }[];
  linksExpireAt: Date;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

// Eta (already the console's template engine) escapes every `<%= %>`: serials, seller text and
// store names reach the HTML as text. A plain single-column template rather than MJML: it renders
// alike in every client without a second template language and its dependency tree.
const html = new Eta({ autoEscape: true, autoTrim: [false, 'nl'] });

html.loadTemplate(
  '@delivery',
  `<!doctype html>
<html><head><meta charset="utf-8"><title><%= it.subject %></title></head>
<body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:600px;margin:0 auto;padding:16px">
<h1 style="font-size:20px"><%= it.storeName %></h1>
<p><%= it.intro %></p>
<% for (const line of it.lines) { %>
<h2 style="font-size:16px;border-top:1px solid #ddd;padding-top:12px"><%= line.title %> &times; <%= line.quantity %></h2>
<% if (line.serials.length) { %><p><strong>Serials</strong></p><ul><% for (const s of line.serials) { %><li><code><%= s %></code></li><% } %></ul><% } %>
<% if (line.licenseKeys.length) { %><p><strong>License keys</strong></p><ul><% for (const k of line.licenseKeys) { %><li><code><%= k %></code></li><% } %></ul><% } %>
<% if (line.files.length) { %><p><strong>Downloads</strong> (links valid until <%= it.linksExpireAt.toUTCString() %>)</p><ul><% for (const f of line.files) { %><li><a href="<%= f.url %>"><%= f.name %></a></li><% } %></ul><% } %>
<% if (line.dynamic) { %><div style="white-space:pre-wrap"><%= line.dynamic %></div><% } %>
<% if (line.manual) { %><div style="white-space:pre-wrap"><%= line.manual %></div><% } %>
<% } %>
<% if (it.community.length) { %>
<h2 style="font-size:16px;border-top:1px solid #ddd;padding-top:12px">Community access</h2>
<ul><% for (const c of it.community) { %><li><%= c.platform %>: <a href="<%= c.inviteUrl %>"><%= c.space %></a></li><% } %></ul>
<% } %>
<p style="color:#666;font-size:12px">Reply to this e-mail to reach <%= it.storeName %>.</p>
</body></html>
`,
);

/** The plain-text part: the same content, one item a line, links in full. */
function plainText(content: DeliveryEmailContent): string {
  const out = [content.storeName, '', introduction(content)];
  const list = (heading: string, items: string[]) => {
    if (items.length > 0) out.push('', heading, ...items.map((item) => `  ${item}`));
  };
  for (const line of content.lines) {
    out.push('', `== ${line.title} x ${line.quantity} ==`);
    list('Serials:', line.serials);
    list('License keys:', line.licenseKeys);
    list(
      `Downloads (links valid until ${content.linksExpireAt.toUTCString()}):`,
      line.files.map((f) => `${f.name}: ${f.url}`),
    );
    for (const message of [line.dynamic, line.manual]) if (message) out.push('', message);
  }
  list(
    'Community access:',
    content.community.map((c) => `${c.platform} ${c.space}: ${c.inviteUrl}`),
  );
  out.push('', `Reply to this e-mail to reach ${content.storeName}.`, '');
  return out.join('\n');
}

function introduction(content: DeliveryEmailContent): string {
  return content.replacementOf
    ? `Here is the replacement for your order #${content.replacementOf}: everything it delivered.`
    : `Thank you for your order #${content.invoiceId}. Here is everything it delivered.`;
}

export function renderDeliveryEmail(content: DeliveryEmailContent): RenderedEmail {
  const subject = content.replacementOf
    ? `${content.storeName}: replacement for your order #${content.replacementOf}`
    : `${content.storeName}: your order #${content.invoiceId}`;
  const data = { ...content, subject, intro: introduction(content) };
  return { subject, html: html.render('@delivery', data), text: plainText(content) };
}
