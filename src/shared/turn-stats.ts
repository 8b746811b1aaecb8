/**
 * What one turn did, as numbers: the one schema used when a turn writes its stats, when an import
 * brings stats from a file, and when the store reads them back. No Node or Electron imports.
 */
import { z } from 'zod';
import {
  cacheNoteSchema,
  cacheOriginSchema,
  codecSchema,
  restoreSourceSchema,
  stopReasonSchema,
} from './vocabulary.ts';

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const ms = z.number().nonnegative().max(1e12);

export const turnStatsSchema = z.object({
  restoredTokens: count,
  prefilledTokens: count,
  restoreMs: ms,
  prefillMs: ms,
  ttftMs: ms,
  generatedTokens: count,
  decodeTokS: z.number().nonnegative().max(1e9),
  stopReason: stopReasonSchema.exclude(['error']),
  codec: codecSchema,
  /** Bytes the new KV blocks would take uncompressed (in the model's KV dtype) and as stored. */
  snapshotRawBytes: count,
  snapshotStoredBytes: count,
  /** Oldest turns dropped to fit the context window (0 when none). */
  droppedMessages: count,
  /** Openings of the first and last dropped messages (which turns were left out). */
  droppedSpan: z.tuple([z.string().max(200), z.string().max(200)]).optional(),
  contextTokens: count,
  contextLength: count,
  /**
   * Where the restored tokens came from (see RESTORE_SOURCES). Every turn Reprise runs sets it; stats
   * imported from older exports may lack it.
   */
  restoreSource: restoreSourceSchema.optional(),
  /** Tokens of this turn's log that earlier turns of the conversation had already read. */
  historyTokens: count.optional(),
  /** The temperature the reply was sampled at (0: greedy, the same reply every time). */
  temperature: z.number().min(0).max(5).optional(),
  /** Where the conversation's cache came from: 'file' = imported from a file and not verified. */
  cacheOrigin: cacheOriginSchema.optional(),
  /** Why less than `historyTokens` was restored (absent when the history was resumed in full). */
  cacheNote: cacheNoteSchema.optional(),
});
export type TurnStats = z.infer<typeof turnStatsSchema>;

/** Stats from the store or a file: valid ones typed, anything else (an older or foreign shape) dropped. */
export function parseTurnStats(raw: unknown): TurnStats | null {
  const r = turnStatsSchema.safeParse(raw);
  return r.success ? r.data : null;
}
