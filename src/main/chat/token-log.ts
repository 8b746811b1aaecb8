// A stored token log is only used with a model when every id is in that model's vocabulary. Imported
// files carry token ids (Reprise JSON, bundles), and a crafted or foreign one (4294967295, or ids of a
// bigger vocabulary) would make the conversation impossible to continue ("Invalid token id"). Such a
// log is treated as absent: the turn re-renders the history from its text and tokenizes it afresh.
import type { KvLogger } from '../kv/context.ts';

export function usableLog(log: number[] | null, vocabSize: number, logger?: KvLogger): number[] | null {
  if (!log) return null;
  for (let i = 0; i < log.length; i++) {
    const id = log[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      logger?.warn(
        `chat: stored token id ${id} at position ${i} is outside the model's vocabulary (${vocabSize}); re-tokenizing the history from its text`,
      );
      return null;
    }
  }
  return log;
}
