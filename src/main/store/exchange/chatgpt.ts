// ChatGPT's conversations.json: an array of conversations whose messages form a tree in `mapping`.
// Only text user/assistant messages are kept; skipped nodes (system, tool, hidden, empty) are spliced
// out and their children re-attached to the nearest kept ancestor. The first system text becomes the
// system prompt. Imported messages carry no token ids: their first turn prefills once. Parts that are not
// text (images, audio, files) become a placeholder where they were ("[image]", "[file: name]"), so a reply
// about them still makes sense and nothing disappears without a trace.
import { z } from 'zod';
import type { ConversationExport, MessageExport } from './schema.ts';
import { ImportError, describeZodError } from './errors.ts';
import { LIMITS } from './limits.ts';

const part = z.union([z.string().max(LIMITS.maxContentChars), z.record(z.string(), z.unknown()), z.null()]);
const node = z.object({
  id: z.string().max(200),
  parent: z.string().max(200).nullable().optional(),
  children: z.array(z.string().max(200)).max(LIMITS.maxMessagesPerConversation).optional(),
  message: z
    .object({
      author: z.object({ role: z.string().max(50) }),
      create_time: z.number().nullable().optional(),
      content: z.object({ content_type: z.string().max(100), parts: z.array(part).max(10_000).optional() }).optional(),
      metadata: z.record(z.string(), z.unknown()).nullable().optional(),
    })
    .nullable()
    .optional(),
});
const conversation = z.object({
  title: z.string().max(LIMITS.maxTitleChars).nullable().optional(),
  create_time: z.number().nullable().optional(),
  update_time: z.number().nullable().optional(),
  mapping: z.record(z.string().max(200), node),
  current_node: z.string().max(200).nullable().optional(),
});
export const chatgptSchema = z.array(conversation).max(LIMITS.maxConversations);

export function looksLikeChatGpt(data: unknown): boolean {
  return (
    Array.isArray(data) && data.length > 0 && typeof data[0] === 'object' && data[0] !== null && 'mapping' in data[0]
  );
}

/** A message part as text: strings as they are, an audio transcript's text, a placeholder for the rest. */
function partText(p: unknown): string {
  if (typeof p === 'string') return p;
  if (!p || typeof p !== 'object') return '';
  const o = p as Record<string, unknown>;
  const type = typeof o['content_type'] === 'string' ? o['content_type'] : '';
  if (typeof o['text'] === 'string' && o['text'].trim()) return o['text'];
  if (type.startsWith('image')) return '[image]';
  if (type.startsWith('audio')) return '[audio]';
  if (type.includes('video')) return '[video]';
  return type ? `[${type.replace(/_/g, ' ')}]` : '[attachment]';
}

/** Files attached to a message (metadata.attachments), images aside: their parts already say "[image]". */
function attachmentNotes(metadata: Record<string, unknown> | null | undefined): string[] {
  const list = metadata?.['attachments'];
  if (!Array.isArray(list)) return [];
  return list.flatMap((a: unknown) => {
    if (!a || typeof a !== 'object') return [];
    const { name, mimeType, mime_type } = a as Record<string, unknown>;
    const mime = typeof mimeType === 'string' ? mimeType : typeof mime_type === 'string' ? mime_type : '';
    if (mime.startsWith('image/')) return [];
    return [`[file: ${typeof name === 'string' && name.trim() ? name.trim().slice(0, 200) : 'unnamed'}]`];
  });
}

/** Seconds -> ms; a time outside what a Date can hold (±8.64e15 ms) or not positive falls back. */
const ms = (t: number | null | undefined, fallback: number) =>
  typeof t === 'number' && Number.isFinite(t) && t > 0 && t * 1000 <= 8.64e15 ? Math.round(t * 1000) : fallback;

export function convertChatGpt(data: unknown): ConversationExport[] {
  const r = chatgptSchema.safeParse(data);
  if (!r.success)
    throw new ImportError(
      'The ChatGPT export has invalid content',
      describeZodError(r.error),
      'Use the conversations.json from an unmodified ChatGPT data export.',
      'importSchema',
    );
  const now = Date.now();
  const tree = (ci: number, cause: string) =>
    new ImportError(
      'The ChatGPT export has a broken message tree',
      `conversation ${ci}: ${cause}`,
      'Use the conversations.json from an unmodified ChatGPT data export.',
      'importChatgptTree',
    );
  const out = r.data.map((c, ci) => {
    const nodes = Object.values(c.mapping);
    if (nodes.length > LIMITS.maxMessagesPerConversation)
      throw new ImportError('The ChatGPT export is too large', `conversation ${ci} has ${nodes.length} nodes`);
    // nodes are found by their mapping key (children, parent, current_node): a node whose id is another
    // key's is a duplicate, and would give two messages one id
    for (const [key, n] of Object.entries(c.mapping))
      if (n.id !== key)
        throw tree(
          ci,
          `node ${JSON.stringify(key)} has the id ${JSON.stringify(n.id)} (duplicate or mismatched node ids)`,
        );
    const created = ms(c.create_time, now);
    let systemPrompt = '';
    const kept = new Map<string, string | null>(); // node id -> kept ancestor (or itself if kept)
    const messages: MessageExport[] = [];
    const textOf = (n: z.infer<typeof node>) =>
      [...(n.message?.content?.parts ?? []).map(partText), ...attachmentNotes(n.message?.metadata)]
        .filter((p) => p !== '')
        .join('\n')
        .trim();
    const keep = (n: z.infer<typeof node>) => {
      const role = n.message?.author.role;
      const type = n.message?.content?.content_type;
      const hidden = n.message?.metadata?.['is_visually_hidden_from_conversation'] === true;
      return (
        (role === 'user' || role === 'assistant') &&
        (type === 'text' || type === 'multimodal_text') &&
        !hidden &&
        textOf(n) !== ''
      );
    };
    // walk from roots, parents before children, iteratively (deep trees must not overflow the stack)
    const roots = nodes.filter((n) => !n.parent || !c.mapping[n.parent]);
    if (nodes.length && !roots.length) throw tree(ci, 'no root node: every node has a parent (a cycle)');
    const stack = roots.map((n) => ({ n, anc: null as string | null })).reverse();
    const visited = new Set<string>();
    while (stack.length) {
      const { n, anc } = stack.pop()!;
      if (visited.has(n.id)) continue; // cycles / duplicates in a damaged file
      visited.add(n.id);
      let here = anc;
      if (keep(n)) {
        if (messages.length >= LIMITS.maxMessagesPerConversation) break;
        messages.push({
          id: n.id,
          parentId: anc,
          role: n.message!.author.role as 'user' | 'assistant',
          content: textOf(n).slice(0, LIMITS.maxContentChars),
          createdAt: ms(n.message!.create_time, created),
        });
        here = n.id;
      } else if (!systemPrompt && n.message?.author.role === 'system') {
        systemPrompt = textOf(n).slice(0, LIMITS.maxSystemPromptChars);
      }
      kept.set(n.id, here);
      for (const childId of [...(n.children ?? [])].reverse()) {
        const child = c.mapping[childId];
        if (child) stack.push({ n: child, anc: here });
      }
    }
    // the current node, or (missing, unknown, or with nothing kept above it) the last branch's end
    const current = c.current_node ? kept.get(c.current_node) : undefined;
    const leaf = current ?? messages[messages.length - 1]?.id ?? null;
    return {
      id: `chatgpt-${ci}`,
      title: (c.title ?? '').trim() || 'Imported chat',
      createdAt: created,
      updatedAt: ms(c.update_time, created),
      model: '',
      modelFingerprint: '',
      systemPrompt,
      sampling: {},
      codec: 'exact' as const,
      activeLeafId: leaf,
      messages,
    };
  });
  // conversations without a single user/assistant message (only tool calls, hidden nodes) are left out
  const withText = out.filter((c) => c.messages.length > 0);
  if (!withText.length)
    throw new ImportError(
      'Nothing to import',
      `none of the ${out.length} ChatGPT conversation(s) holds a text message`,
      undefined,
      'importEmpty',
    );
  return withText;
}
