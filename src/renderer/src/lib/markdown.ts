/**
 * Model output and imported text are untrusted. They are rendered as Markdown with raw HTML shown as text,
 * then sanitized with DOMPurify: no scripts, no event handlers, no styles, nothing that fetches (img, iframe,
 * object, media, SVG), links only to http(s)/mailto and always opened with rel="noopener noreferrer".
 */
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';
import { Marked, type Tokens } from 'marked';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    // Raw HTML in a message is shown as text, never interpreted.
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    // Images would be fetched: show their alt text and address as a plain link instead.
    image({ href, text }: Tokens.Image): string {
      const label = escapeHtml(text || 'image');
      return /^https?:/i.test(href)
        ? `<a href="${escapeHtml(href)}">[image: ${label}]</a>`
        : `<span>[image: ${label}]</span>`;
    },
    code({ text, lang }: Tokens.Code): string {
      const language = (lang ?? '').trim().split(/\s+/)[0] ?? '';
      let body: string;
      let shown = language;
      if (language && hljs.getLanguage(language)) {
        body = hljs.highlight(text, { language, ignoreIllegals: true }).value;
      } else if (text.length < 4000) {
        const auto = hljs.highlightAuto(text);
        body = auto.value;
        shown = language || auto.language || '';
      } else {
        body = escapeHtml(text);
      }
      return (
        `<div class="code-block"><div class="code-head"><span class="code-lang">${escapeHtml(shown || 'code')}</span>` +
        `<button type="button" class="code-copy" data-copy-code aria-label="Copy code">Copy</button></div>` +
        `<pre><code class="hljs">${body}</code></pre></div>`
      );
    },
  },
});

const FORBID_TAGS = [
  'img',
  'image',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'video',
  'audio',
  'source',
  'track',
  'picture',
  'style',
  'link',
  'meta',
  'base',
  'form',
  'input',
  'textarea',
  'select',
  'svg',
  'math',
  'template',
  'dialog',
  'portal',
];
const FORBID_ATTR = ['style', 'src', 'srcset', 'background', 'poster', 'action', 'formaction', 'ping', 'xlink:href'];

let hooked = false;
function ensureHooks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      if (node.hasAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
        node.setAttribute('referrerpolicy', 'no-referrer');
      } else {
        node.removeAttribute('target');
      }
    }
  });
}

export function sanitizeHtml(html: string): string {
  ensureHooks();
  return DOMPurify.sanitize(html, {
    FORBID_TAGS,
    FORBID_ATTR,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    ADD_ATTR: ['target'],
  });
}

/** Markdown → safe HTML. Never throws: a rendering failure shows the text escaped. */
export function renderMarkdown(text: string): string {
  let html: string;
  try {
    html = marked.parse(text) as string;
  } catch {
    html = `<p>${escapeHtml(text)}</p>`;
  }
  return sanitizeHtml(html);
}
