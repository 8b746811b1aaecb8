/**
 * Search snippets arrive as plain text with each match wrapped in « ». They are split into text parts here
 * and rendered as text nodes and <mark> elements by Svelte — never as HTML.
 */
export interface SnippetPart {
  text: string;
  match: boolean;
}

/**
 * Snippets come from the stored message text, which is Markdown: its markers (`**`, backticks, `#`, `>`,
 * list bullets, link targets) are dropped so the snippet reads as the rendered message does.
 */
export function plainMarkdown(s: string): string {
  return s
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // [text](url) and ![alt](src)
    .replace(/```[^\n]*\n?/g, '') // code fences (with their language)
    .replace(/`/g, '')
    .replace(/(\*\*|__|~~)/g, '')
    .replace(/(^|[\s(])[*_](?=\S)|(?<=\S)[*_](?=[\s).,;:!?]|$)/g, '$1') // *em* and _em_
    .replace(/(^|\n)\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+/g, '$1') // headings, quotes, list items
    .replace(/\s*\n\s*/g, ' ');
}

export function snippetParts(snippet: string): SnippetPart[] {
  return rawParts(snippet)
    .map((p) => ({ ...p, text: plainMarkdown(p.text) }))
    .filter((p) => p.text.length > 0);
}

function rawParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let rest = snippet;
  while (rest.length > 0) {
    const open = rest.indexOf('«');
    if (open < 0) break;
    const close = rest.indexOf('»', open + 1);
    if (close < 0) break;
    if (open > 0) parts.push({ text: rest.slice(0, open), match: false });
    const inner = rest.slice(open + 1, close);
    if (inner) parts.push({ text: inner, match: true });
    rest = rest.slice(close + 1);
  }
  if (rest) parts.push({ text: rest, match: false });
  return parts;
}
