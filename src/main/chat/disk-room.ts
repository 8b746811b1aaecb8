// Room on the disk for a reply: checked after the user message is committed and before generating, so a
// full disk is said up front (the message stays, and "Generate reply" retries) instead of a reply that
// streams and then cannot be saved.
import { statfsSync } from 'node:fs';
import type { KvLayout } from '../engine/index.ts';
import { rawKvBytes } from '../kv/codec/tensors.ts';
import type { Store } from '../store/store.ts';
import { AppError } from '../../shared/errors.ts';

/** Free bytes where the store's KV block files live (an in-memory store has no limit). */
export type FreeBytes = () => number;

export const storeFreeBytes =
  (store: Store): FreeBytes =>
  () => {
    if (store.db.memory) return Number.POSITIVE_INFINITY;
    const s = statfsSync(store.blocks.files.dir);
    return s.bavail * s.bsize;
  };

/** Beyond the reply's own blocks: the messages, the WAL and SQLite's working room. */
const MARGIN_BYTES = 16 * 2 ** 20;

export function requireRoomForReply(free: FreeBytes, layout: KvLayout, maxTokens: number, blockSize: number): void {
  // the reply's blocks, at most uncompressed, plus the block the prompt's partial tail becomes
  const needed = rawKvBytes(layout, maxTokens + blockSize) + MARGIN_BYTES;
  const have = free();
  if (have < needed)
    throw new AppError({
      code: 'diskFull',
      title: 'The disk is almost full',
      cause: `the reply and its cache need up to ${Math.ceil(needed / 2 ** 20)} MB; ${Math.floor(have / 2 ** 20)} MB are free`,
      suggestion: 'Free some disk space or lower the cache budget, then use Generate reply. Your message was kept.',
    });
}
