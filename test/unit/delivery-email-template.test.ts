import { renderDeliveryEmail } from '../../src/orders/delivery-email-template';

const content = {
  storeName: 'Tom & <Jerry>',
  invoiceId: 42,
  lines: [
    {
      title: 'Pro <b>plan</b>',
      quantity: 2,
      serials: ['S-1', 'S-<2>'],
      licenseKeys: ['PRO-AAAAA'],
      files: [{ name: 'app.zip', url: 'https://files.example/app.zip?expires=1&signature=ab"c' }],
      dynamic: 'Your account: user "x"\nPassword: <secret>',
      manual: 'Read <the manual>',
    },
    { title: 'Empty line', quantity: 1, serials: [], licenseKeys: [], files: [], dynamic: '', manual: '' },
  ],
  community: [{ platform: 'discord', space: 'Guild <1>', inviteUrl: 'https://discord.gg/abc' }],
  linksExpireAt: new Date('2030-01-08T00:00:00Z'),
};

describe('delivery e-mail rendering', () => {
  const email = renderDeliveryEmail(content);

  it('names the store and the order in the subject', () => {
    expect(email.subject).toBe('Tom & <Jerry>: your order #42');
  });

  it('carries every deliverable in the HTML, escaped', () => {
    for (const text of ['S-1', 'S-&lt;2&gt;', 'PRO-AAAAA', 'Read &lt;the manual&gt;', 'Password: &lt;secret&gt;', 'Guild &lt;1&gt;'])
      expect(email.html).toContain(text);
    expect(email.html).toContain('<h1 style="font-size:20px">Tom &amp; &lt;Jerry&gt;</h1>');
    expect(email.html).toContain('Pro &lt;b&gt;plan&lt;/b&gt; &times; 2');
    expect(email.html).toContain('href="https://files.example/app.zip?expires=1&amp;signature=ab&quot;c"');
    expect(email.html).toContain('href="https://discord.gg/abc"');
    expect(email.html).toContain('Tue, 08 Jan 2030 00:00:00 GMT');
    expect(email.html).not.toMatch(/<secret>|<the manual>|<Jerry>|S-<2>/);
  });

  it('carries the same in plain text, unescaped', () => {
    expect(email.text).toContain('== Pro <b>plan</b> x 2 ==');
    expect(email.text).toContain('Serials:\n  S-1\n  S-<2>');
    expect(email.text).toContain('License keys:\n  PRO-AAAAA');
    expect(email.text).toContain('app.zip: https://files.example/app.zip?expires=1&signature=ab"c');
    expect(email.text).toContain('Your account: user "x"\nPassword: <secret>');
    expect(email.text).toContain('Read <the manual>');
    expect(email.text).toContain('discord Guild <1>: https://discord.gg/abc');
    // A line with nothing delivered has its heading only.
    expect(email.text).toContain('== Empty line x 1 ==\n\nCommunity access:');
  });

  it('names the replaced order, which the buyer knows, on a replacement', () => {
    const replacement = renderDeliveryEmail({ ...content, invoiceId: 43, replacementOf: 42 });
    expect(replacement.subject).toBe('Tom & <Jerry>: replacement for your order #42');
    expect(replacement.text).toContain('Here is the replacement for your order #42: everything it delivered.');
    expect(replacement.html).toContain('<p>Here is the replacement for your order #42: everything it delivered.</p>');
    expect(replacement.html).not.toContain('#43');
  });
});
