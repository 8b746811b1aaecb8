// What kv/ needs from persistent storage; store/ implements it on SQLite.
import type { CodecName } from './codec/types.ts';
import type { BlockHash, BlockKind } from './hash.ts';

export interface NewBlock {
  hash: BlockHash;
  parentHash: BlockHash;
  kind: BlockKind;
  start: number;
  count: number;
  /** Codec actually used for the payload (a lossy request may fall back to exact). */
  codec: CodecName;
  fingerprint: string;
  /** Bytes of this KV in the model's dtype, uncompressed. */
  rawBytes: number;
  data: Buffer;
}

export interface BlockSource {
  /** The stored payload, or undefined when the block is not (or no longer) stored. */
  blockData(hash: BlockHash): Uint8Array | undefined;
  hasBlock(hash: BlockHash): boolean;
}
