// Everything that decides whether a stored block may be used: model fingerprint, KV layout/dtype,
// codec (all three go into every block hash) and the block size.
import type { KeyRotation, KvLayout } from '../tensor/kv-types.ts';
import type { CodecName } from './codec/types.ts';
import { extraKeysDigest } from './hash.ts';

export const DEFAULT_BLOCK_SIZE = 64;

export interface KvContext {
  fingerprint: string;
  layout: KvLayout;
  codec: CodecName;
  blockSize: number;
  /** The model's RoPE (ModelInfo.rope): lossy blocks store keys with it undone. Not part of the hash:
   * each block records the rotation it used, and decoding reads it from there. */
  rope: KeyRotation | null;
  /** Digest of the extra keys, computed once. */
  extra: Buffer;
  /** The conversation's cache salt (its blocks came from a file), or null. */
  salt: string | null;
  /**
   * With a salt: the unsalted digest. Restore prefers a locally computed block (this chain) over the
   * imported one at each position; what is saved still goes under `extra`.
   */
  localExtra: Buffer | null;
}

export function kvContext(o: {
  fingerprint: string;
  layout: KvLayout;
  codec: CodecName;
  blockSize?: number;
  rope?: KeyRotation | null;
  salt?: string | null;
}): KvContext {
  const blockSize = o.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 4096)
    throw new Error(`invalid KV block size ${blockSize}`);
  return {
    fingerprint: o.fingerprint,
    layout: { ...o.layout },
    codec: o.codec,
    blockSize,
    rope: o.rope ?? null,
    extra: extraKeysDigest(o),
    salt: o.salt || null,
    localExtra: o.salt ? extraKeysDigest({ ...o, salt: null }) : null,
  };
}

/** The context for a loaded model's blocks: fingerprint, layout and RoPE straight from its ModelInfo. */
export function modelKvContext(
  model: { fingerprint: string; layout: KvLayout; rope: KeyRotation | null },
  codec: CodecName,
  blockSize?: number,
  salt?: string | null,
): KvContext {
  return kvContext({ fingerprint: model.fingerprint, layout: model.layout, rope: model.rope, codec, blockSize, salt });
}

export interface KvLogger {
  warn(msg: string, data?: Record<string, unknown>): void;
  info?(msg: string, data?: Record<string, unknown>): void;
}
