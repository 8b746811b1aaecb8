// Reprise JSON export/import. Imports get fresh ids (importing twice yields two copies, never a clash)
// and are applied all or nothing (import-writer.ts).
import type { Store } from '../store.ts';
import { ImportError, describeZodError } from './errors.ts';
import { writeImport } from './import-writer.ts';
import { LIMITS } from './limits.ts';
import { readJson } from './read-json.ts';
import {
  type ConversationExport,
  REPRISE_FORMAT,
  REPRISE_VERSION,
  type RepriseFile,
  repriseFileSchema,
} from './schema.ts';

export function exportConversation(store: Store, id: string): ConversationExport {
  const c = store.conversations.require(id);
  return {
    id: c.id,
    title: c.title,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    model: c.model,
    modelFingerprint: c.modelFingerprint,
    systemPrompt: c.systemPrompt,
    sampling: c.sampling,
    codec: c.codec,
    activeLeafId: c.activeLeafId,
    messages: store.messages.all(id).map((m) => ({
      id: m.id,
      parentId: m.parentId,
      role: m.role,
      content: m.content,
      createdAt: m.createdAt,
      tokenIds: m.tokenIds,
      logReset: m.logReset,
      contextFromId: m.contextFromId,
      tokenEnd: m.tokenEnd,
      stopReason: m.stopReason,
      stats: m.stats,
    })),
  };
}

/** One conversation, or all when `ids` is omitted. */
export function exportJson(store: Store, ids?: string[]): RepriseFile {
  const list = ids ?? store.conversations.list().map((c) => c.id);
  return {
    format: REPRISE_FORMAT,
    version: REPRISE_VERSION,
    exportedAt: Date.now(),
    conversations: list.map((id) => exportConversation(store, id)),
  };
}

export function exportJsonText(store: Store, ids?: string[]): string {
  return JSON.stringify(exportJson(store, ids), null, 2) + '\n';
}

/** Validates the top-level shape, with a dedicated message for other versions. */
export function parseRepriseFile(data: unknown): RepriseFile {
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const d = data as { format?: unknown; version?: unknown };
    if (d.format === REPRISE_FORMAT && d.version !== REPRISE_VERSION) {
      throw new ImportError(
        'Unsupported Reprise export version',
        `the file says version ${JSON.stringify(d.version)}; this build reads version ${REPRISE_VERSION}`,
        typeof d.version === 'number' && d.version > REPRISE_VERSION
          ? 'Update Reprise to import this file.'
          : undefined,
        'importVersion',
      );
    }
  }
  const r = repriseFileSchema.safeParse(data);
  if (!r.success)
    throw new ImportError(
      'The Reprise export has invalid content',
      describeZodError(r.error),
      undefined,
      'importSchema',
    );
  for (const [i, c] of r.data.conversations.entries()) checkTree(c, `conversations[${i}]`);
  return r.data;
}

/** Parents exist and come first (so there are no cycles), the active leaf exists, token logs add up. */
export function checkTree(c: ConversationExport, where: string): void {
  const seen = new Map<string, { end: number | null }>();
  for (const [j, m] of c.messages.entries()) {
    const at = `${where}.messages[${j}]`;
    if (seen.has(m.id))
      throw new ImportError(
        'The export has a broken message tree',
        `${at}.id: duplicate id ${JSON.stringify(m.id)}`,
        undefined,
        'importTree',
      );
    let parentEnd: number | null = 0;
    if (m.parentId !== null) {
      const p = seen.get(m.parentId);
      if (!p)
        throw new ImportError(
          'The export has a broken message tree',
          `${at}.parentId: ${JSON.stringify(m.parentId)} is not an earlier message of this conversation`,
          undefined,
          'importTree',
        );
      parentEnd = p.end;
    }
    if (m.contextFromId != null && !seen.has(m.contextFromId) && m.contextFromId !== m.id) {
      throw new ImportError(
        'The export has a broken message tree',
        `${at}.contextFromId: ${JSON.stringify(m.contextFromId)} is not an earlier message`,
        undefined,
        'importTree',
      );
    }
    let end: number | null = null;
    if (m.tokenIds) {
      end = m.logReset ? m.tokenIds.length : parentEnd === null ? null : parentEnd + m.tokenIds.length;
      if (end !== null && m.tokenEnd != null && m.tokenEnd !== end) {
        throw new ImportError(
          'The export has inconsistent token logs',
          `${at}.tokenEnd is ${m.tokenEnd} but its token ids end at ${end}`,
          undefined,
          'importTree',
        );
      }
    }
    seen.set(m.id, { end });
  }
  if (c.activeLeafId !== null && !seen.has(c.activeLeafId)) {
    throw new ImportError(
      'The export has a broken message tree',
      `${where}.activeLeafId: ${JSON.stringify(c.activeLeafId)} is not a message of this conversation`,
      undefined,
      'importTree',
    );
  }
}

export function importRepriseJson(store: Store, bytes: Uint8Array): string[] {
  const file = parseRepriseFile(readJson(bytes, LIMITS.maxJsonBytes));
  return writeImport(store, { conversations: file.conversations }).ids;
}
