/**
 * Search snippets arrive as plain text with each match wrapped in « ». They are split into text parts here
 * and rendered as text nodes and <mark> elements by Svelte — never as HTML.
 */
export interface SnippetPart {
  text: string;
  match: boolean;
}

export function snippetParts(snippet: string): SnippetPart[] {
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
