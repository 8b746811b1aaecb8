// Import/export entry points: format detection + the per-format modules.
import type { Store } from '../store.ts';
import { isBundle, planBundle } from './bundle.ts';
import { convertChatGpt, looksLikeChatGpt } from './chatgpt.ts';
import { ImportError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { readJson } from './read-json.ts';
import { type ImportPlan, type StagedOptions, writeImport, writeImportStaged } from './import-writer.ts';
import { checkTree, parseRepriseFile } from './reprise-json.ts';

export { exportBundle, importBundle, parseBundle, BUNDLE_EXTENSION } from './bundle.ts';
export type { StagedOptions } from './import-writer.ts';
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

/** Detects the format and validates everything; throws ImportError naming the problem. Writes nothing. */
export function planImport(bytes: Uint8Array): { format: ImportFormat; plan: ImportPlan } {
  if (isBundle(bytes)) return { format: 'reprise-bundle', plan: planBundle(bytes) };
  const data = readJson(bytes, LIMITS.maxJsonBytes);
  if (looksLikeChatGpt(data)) {
    const convs = convertChatGpt(data);
    convs.forEach((c, i) => checkTree(c, `conversation ${i}`));
    return { format: 'chatgpt', plan: { conversations: convs } };
  }
  if (data && typeof data === 'object' && !Array.isArray(data) && (data as { format?: unknown }).format === 'reprise')
    return { format: 'reprise-json', plan: { conversations: parseRepriseFile(data).conversations } };
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

/** Detects the format and imports atomically, in one transaction; on a refusal the DB is unchanged. */
export function importFile(store: Store, bytes: Uint8Array): ImportOutcome {
  const { format, plan } = planImport(bytes);
  const w = writeImport(store, plan);
  return { conversationIds: w.ids, format, importedBlocks: w.importedBlocks };
}

/**
 * The same import written in slices that let other requests through (import-writer.ts): the conversations
 * appear only once complete, and a failure leaves nothing behind.
 */
export async function importFileStaged(store: Store, bytes: Uint8Array, o: StagedOptions = {}): Promise<ImportOutcome> {
  const { format, plan } = planImport(bytes);
  const w = await writeImportStaged(store, plan, o);
  return { conversationIds: w.ids, format, importedBlocks: w.importedBlocks };
}
