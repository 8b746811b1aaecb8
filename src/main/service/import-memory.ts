/**
 * Which files were imported, by content: importing the same file again would silently make copies of
 * its conversations, so the service asks first (io.import `again`). Kept as a small JSON file in the
 * data directory, next to settings.json; losing it only means a repeat import is not noticed.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ImportFormat } from '../../shared/vocabulary.ts';
import { IMPORT_FORMATS } from '../../shared/vocabulary.ts';

const recordSchema = z.object({
  at: z.number(),
  filename: z.string(),
  format: z.enum(IMPORT_FORMATS),
  conversationIds: z.array(z.string()),
});
export type ImportRecord = z.infer<typeof recordSchema>;
const fileSchema = z.record(z.string(), recordSchema);

/** At most this many files are remembered (the oldest go first). */
const LIMIT = 500;

export class ImportMemory {
  private readonly path: string;
  private records: Record<string, ImportRecord>;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'imports.json');
    this.records = this.read();
  }

  static hash(bytes: Uint8Array): string {
    return createHash('sha256').update(bytes).digest('hex');
  }

  /** The earlier import of these bytes, if any of its conversations still exists. */
  find(hash: string, exists: (conversationId: string) => boolean): ImportRecord | null {
    const r = this.records[hash];
    if (!r) return null;
    const kept = r.conversationIds.filter(exists);
    return kept.length > 0 ? { ...r, conversationIds: kept } : null;
  }

  remember(hash: string, record: ImportRecord): void {
    delete this.records[hash];
    this.records[hash] = record;
    const keys = Object.keys(this.records);
    for (const k of keys.slice(0, Math.max(0, keys.length - LIMIT))) delete this.records[k];
    try {
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.records));
      renameSync(tmp, this.path);
    } catch {
      // a read-only or full disk: the import itself succeeded; only the repeat check is lost
    }
  }

  private read(): Record<string, ImportRecord> {
    try {
      const r = fileSchema.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
      return r.success ? r.data : {};
    } catch {
      return {};
    }
  }
}

export type { ImportFormat };
