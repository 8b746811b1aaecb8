// Where a conversation's KV cache came from, and the block context that follows from it: a cache imported
// from a file is keyed with the conversation's salt (store/exchange/bundle-salt.ts), so it restores only
// here, and the UI can say "cache imported from a file" until it is verified (verify-cache.ts).
import type { KeyRotation, KvLayout } from '../tensor/kv-types.ts';
import { type KvContext, modelKvContext } from '../kv/context.ts';
import type { Conversation } from '../store/types.ts';

/** 'file': blocks imported from a file, not checked; 'file-verified': checked against a recomputation. */
export type { CacheOrigin } from '../../shared/vocabulary.ts';
import type { CacheOrigin } from '../../shared/vocabulary.ts';

export function cacheOrigin(c: Pick<Conversation, 'cacheSalt' | 'cacheVerifiedAt'>): CacheOrigin {
  if (!c.cacheSalt) return 'local';
  return c.cacheVerifiedAt === null ? 'file' : 'file-verified';
}

/** The block context for a conversation's turns: the model's, salted when its cache came from a file. */
export function conversationKvContext(
  model: { fingerprint: string; layout: KvLayout; rope: KeyRotation | null },
  c: Pick<Conversation, 'codec' | 'cacheSalt'>,
  blockSize: number,
): KvContext {
  return modelKvContext(model, c.codec, blockSize, c.cacheSalt);
}
