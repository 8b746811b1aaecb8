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
  /** The payload's size in bytes. */
  storedBytes: number;
  /** The payload to store; absent when the engine already wrote it to the block's file (blockPath). */
  data?: Buffer;
}

/** A block whose payload is in hand (encoded here, or read from a bundle). */
export type BlockWithData = NewBlock & { data: Buffer };

export interface BlockFileInfo {
  path: string;
  codec: CodecName;
  storedBytes: number;
}

export interface BlockSource {
  /** The stored payload, or undefined when the block is not (or no longer) stored. */
  blockData(hash: BlockHash): Uint8Array | undefined;
  hasBlock(hash: BlockHash): boolean;
  /** Where a stored block's payload file is, with its codec and size (the engine reads raw blocks itself). */
  blockFile?(hash: BlockHash): BlockFileInfo | undefined;
  /** Where a block's payload file goes (the engine writes raw blocks itself). */
  blockPath?(hash: BlockHash): string;
}
