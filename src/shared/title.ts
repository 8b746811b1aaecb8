// A conversation's automatic title, from its first message. Shared by the renderer (optimistic title while
// the turn runs) and the chat service (the stored title), so both always agree.
const MAX = 60;

export function titleFrom(text: string): string {
  const line = (text.split('\n').find((l) => l.trim()) ?? '').replace(/\s+/g, ' ').trim();
  return line.length > MAX ? `${line.slice(0, MAX - 3).trimEnd()}…` : line || 'New chat';
}

const DEFAULT_TITLES = new Set(['', 'New chat', 'New conversation', 'Untitled']);

/** A title nobody chose: the first message may replace it. */
export const isDefaultTitle = (title: string): boolean => DEFAULT_TITLES.has(title.trim());
