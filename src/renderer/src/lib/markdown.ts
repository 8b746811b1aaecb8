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

/**
 * Code blocks without a language: highlight.js guesses one for any text, prose included ("csharp" keywords on
 * English words, with a relevance as high as real code's). A guess is used only among common languages, with
 * enough evidence, and only for text dense in code punctuation: about 3% of prose's visible characters are
 * brackets, operators, quotes and the like, against 15-40% of code's. Otherwise the block is plain text.
 */
const AUTO_LANGUAGES = [
  'bash',
  'c',
  'cpp',
  'csharp',
  'css',
  'go',
  'java',
  'javascript',
  'json',
  'python',
  'rust',
  'sql',
  'typescript',
  'xml',
  'yaml',
];
const MIN_RELEVANCE = 5;
const AUTO_MAX_CHARS = 4000;
const CODE_SYMBOLS = /[{}()[\];=<>_$#/\\*+|&"`:]/g;
const MIN_SYMBOL_DENSITY = 0.1;

function looksLikeCode(text: string): boolean {
  const visible = text.replace(/\s/g, '').length;
  return visible > 0 && (text.match(CODE_SYMBOLS)?.length ?? 0) / visible >= MIN_SYMBOL_DENSITY;
}

/** A fenced block's body as highlighted HTML, and the language shown in its header ("text" when none). */
function highlightCode(text: string, lang: string): { html: string; language: string } {
  const language = lang.trim().split(/\s+/)[0] ?? '';
  if (language && hljs.getLanguage(language)) {
    return { html: hljs.highlight(text, { language, ignoreIllegals: true }).value, language };
  }
  if (!language && text.length < AUTO_MAX_CHARS && looksLikeCode(text)) {
    const auto = hljs.highlightAuto(text, AUTO_LANGUAGES);
    if (auto.language && auto.relevance >= MIN_RELEVANCE) return { html: auto.value, language: auto.language };
  }
  return { html: escapeHtml(text), language: language || 'text' };
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
    // Task-list boxes: <input> is forbidden (nothing in a message may be a form control), so a mark stands in.
    checkbox({ checked }: Tokens.Checkbox): string {
      return `<span class="task-box" role="img" aria-label="${checked ? 'done' : 'not done'}">${checked ? '☑' : '☐'}</span> `;
    },
    code({ text, lang }: Tokens.Code): string {
      const { html: body, language } = highlightCode(text, lang ?? '');
      return (
        `<div class="code-block"><div class="code-head"><span class="code-lang">${escapeHtml(language)}</span>` +
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
    // A code block can scroll sideways: keyboard users reach it to scroll it.
    if (node.tagName === 'PRE') node.setAttribute('tabindex', '0');
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

/**
 * Bounds on what is parsed as Markdown. marked's list lexer is superlinear in nesting depth (a 900-level
 * nested list took 15 s to lex here, and would render 900 nested lists), and a huge message makes a huge
 * DOM. Past these bounds a message is shown as plain preformatted text: one element, whatever it holds.
 */
export const MARKDOWN_MAX_DEPTH = 24;
export const MARKDOWN_MAX_CHARS = 200_000;

/**
 * Why `text` is not parsed as Markdown (null: it is). One linear pass: outside code fences, a line's
 * nesting is at least (its indent / 2) plus the list and quote markers it starts with.
 */
export function markdownLimit(text: string): string | null {
  if (text.length > MARKDOWN_MAX_CHARS) return `longer than ${MARKDOWN_MAX_CHARS} characters`;
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const f = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (!fence) fence = f[1]![0]!;
      else if (f[1]![0] === fence) fence = null;
      continue;
    }
    if (fence) continue;
    let i = 0;
    let cols = 0;
    for (; i < line.length && (line[i] === ' ' || line[i] === '\t'); i++) cols += line[i] === '\t' ? 4 : 1;
    let depth = Math.floor(cols / 2);
    const markers = /^(?:(?:[-*+]|\d{1,9}[.)]|>)[ \t]*)+/.exec(line.slice(i));
    if (markers) depth += (markers[0].match(/[-*+>]|\d{1,9}[.)]/g) ?? []).length;
    if (depth > MARKDOWN_MAX_DEPTH) return `nested more than ${MARKDOWN_MAX_DEPTH} levels deep`;
  }
  return null;
}

/** Markdown → HTML (not yet sanitized), bounded by markdownLimit. Never throws. */
export function markdownHtml(text: string): string {
  if (markdownLimit(text)) return `<pre class="md-plain">${escapeHtml(text)}</pre>`;
  try {
    return marked.parse(text) as string;
  } catch {
    return `<p>${escapeHtml(text)}</p>`;
  }
}

/** Markdown → safe HTML. Never throws: a rendering failure shows the text escaped. */
export function renderMarkdown(text: string): string {
  return sanitizeHtml(markdownHtml(text));
}
