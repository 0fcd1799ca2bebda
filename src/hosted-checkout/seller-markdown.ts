import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

/**
 * A seller's rich text (a custom payment method's instructions) as HTML a buyer's page can show.
 * The seller is not trusted here: Markdown is rendered without raw HTML (markdown-it escapes it),
 * then the result goes through sanitize-html with a short allow-list (text formatting, lists,
 * links to http(s) and mailto only, no images, styles, scripts or event handlers), so neither a
 * seller nor whoever took over their account can run script or restyle the page.
 */
const markdown = new MarkdownIt({ html: false, linkify: true, breaks: true });

const ALLOWED: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'strong',
    'em',
    'b',
    'i',
    's',
    'del',
    'code',
    'pre',
    'ul',
    'ol',
    'li',
    'a',
    'blockquote',
    'hr',
    'h3',
    'h4',
    'h5',
    'h6',
  ],
  allowedAttributes: { a: ['href', 'rel'], ol: ['start'] },
  allowedSchemes: ['https', 'http', 'mailto'],
  allowProtocolRelative: false,
  transformTags: {
    // The page's own headings stay the page's: a seller's start below them.
    h1: 'h3',
    h2: 'h4',
    a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow ugc' }),
  },
};

export function sellerMarkdown(text: string): string {
  return sanitizeHtml(markdown.render(text), ALLOWED);
}
