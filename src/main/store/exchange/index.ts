// Import/export entry points: format detection + the per-format modules.
import type { Store } from '../store.ts';
import { importBundle, isBundle } from './bundle.ts';
import { convertChatGpt, looksLikeChatGpt } from './chatgpt.ts';
import { ImportError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { readJson } from './read-json.ts';
import { insertConversations, parseRepriseFile } from './reprise-json.ts';
import { checkTree } from './reprise-json.ts';

export { exportBundle, importBundle, parseBundle, BUNDLE_EXTENSION } from './bundle.ts';
export { exportJson, exportJsonText, importRepriseJson } from './reprise-json.ts';
export { exportMarkdown } from './markdown.ts';
export { ImportError } from './errors.ts';
export { LIMITS } from './limits.ts';

export type ImportFormat = 'reprise-json' | 'reprise-bundle' | 'chatgpt';
export interface ImportOutcome {
  conversationIds: string[];
  format: ImportFormat;
  importedBlocks: number;
}

/** Detects the format and imports atomically; throws ImportError naming the problem, leaving the DB unchanged. */
export function importFile(store: Store, bytes: Uint8Array): ImportOutcome {
  if (isBundle(bytes)) {
    const r = importBundle(store, bytes);
    return { conversationIds: [r.conversationId], format: 'reprise-bundle', importedBlocks: r.importedBlocks };
  }
  const data = readJson(bytes, LIMITS.maxJsonBytes);
  if (looksLikeChatGpt(data)) {
    const convs = convertChatGpt(data);
    convs.forEach((c, i) => checkTree(c, `conversation ${i}`));
    return {
      conversationIds: store.transaction(() => insertConversations(store, convs).ids),
      format: 'chatgpt',
      importedBlocks: 0,
    };
  }
  if (data && typeof data === 'object' && !Array.isArray(data) && (data as { format?: unknown }).format === 'reprise') {
    const file = parseRepriseFile(data);
    return {
      conversationIds: store.transaction(() => insertConversations(store, file.conversations).ids),
      format: 'reprise-json',
      importedBlocks: 0,
    };
  }
  if (Array.isArray(data) && data.length === 0)
    throw new ImportError(
      'Nothing to import',
      'the file holds an empty list of conversations',
      undefined,
      'importEmpty',
    );
  throw new ImportError(
    'Unrecognized file',
    'not a Reprise export (no "format": "reprise"), not a Reprise bundle, and not a ChatGPT conversations.json',
    undefined,
    'importUnknownFormat',
  );
}
