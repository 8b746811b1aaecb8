// Block identity, vLLM-style: hash(parent_hash, block_tokens, extra_keys), seeded with a fixed root.
// The hash covers every earlier token through the chain (RoPE makes K position-dependent, DESIGN
// invariant 2) and the extra keys bind a block to one model + KV layout + codec (invariant 3).
import { createHash } from 'node:crypto';
import type { KvLayout } from '../tensor/kv-types.ts';
import type { CodecName } from './codec/types.ts';

declare const blockHashBrand: unique symbol;
/** Hex SHA-256 identifying a block by its whole prefix. Only made by this module. */
export type BlockHash = string & { readonly [blockHashBrand]: true };

export type BlockKind = 'full' | 'tail';

export const ROOT_HASH = sha256Hex(Buffer.from('reprise-kv-root/v1')) as BlockHash;

const HEX64 = /^[0-9a-f]{64}$/;
export function isBlockHash(s: unknown): s is BlockHash {
  return typeof s === 'string' && HEX64.test(s);
}
/** For values read back from storage / imports; throws on anything that is not a hex SHA-256. */
export function asBlockHash(s: string): BlockHash {
  if (!isBlockHash(s)) throw new Error(`not a block hash: ${JSON.stringify(s.slice(0, 80))}`);
  return s;
}

export interface ExtraKeys {
  fingerprint: string;
  layout: KvLayout;
  codec: CodecName;
  /**
   * vLLM's cache_salt: blocks imported from a file are keyed with a per-import salt, so their chain
   * shares no hash with any locally computed block and they restore only into the conversation they came
   * with. Absent (null) for local blocks, whose hashes are unchanged by this key.
   */
  salt?: string | null;
}

/** Canonical digest of the extra keys; computed once per conversation/model, reused per block. */
export function extraKeysDigest(k: ExtraKeys): Buffer {
  const { numLayers, numKvHeads, headDim, dtype } = k.layout;
  let s = `reprise-kv/1|fp=${k.fingerprint}|dtype=${dtype}|L=${numLayers}|H=${numKvHeads}|D=${headDim}|codec=${k.codec}`;
  if (k.salt) s += `|salt=${k.salt}`;
  return createHash('sha256').update(s).digest();
}

export function hashBlock(parent: BlockHash, tokens: ArrayLike<number>, extra: Buffer, kind: BlockKind): BlockHash {
  const ids = Buffer.allocUnsafe(4 * tokens.length);
  for (let i = 0; i < tokens.length; i++) ids.writeUInt32LE(tokens[i]! >>> 0, 4 * i);
  const h = createHash('sha256');
  h.update(Buffer.from(parent, 'hex'));
  // The kind byte keeps a partial tail block from ever colliding with a full block.
  h.update(Buffer.from([kind === 'full' ? 0x46 : 0x54]));
  h.update(extra);
  h.update(ids);
  return h.digest('hex') as BlockHash;
}

export interface ChainBlock {
  hash: BlockHash;
  parentHash: BlockHash;
  kind: BlockKind;
  start: number;
  count: number;
}

/**
 * The blocks that cover `log`: every full block, then the partial tail (if any).
 * Pure token hashing (microseconds for thousands of tokens); no KV is touched.
 */
export function chainFor(log: ArrayLike<number>, blockSize: number, extra: Buffer): ChainBlock[] {
  const out: ChainBlock[] = [];
  let parent = ROOT_HASH;
  const full = Math.floor(log.length / blockSize);
  const ids = Array.from(log);
  for (let b = 0; b < full; b++) {
    const start = b * blockSize;
    const hash = hashBlock(parent, ids.slice(start, start + blockSize), extra, 'full');
    out.push({ hash, parentHash: parent, kind: 'full', start, count: blockSize });
    parent = hash;
  }
  const start = full * blockSize;
  if (start < log.length) {
    const count = log.length - start;
    out.push({
      hash: hashBlock(parent, ids.slice(start), extra, 'tail'),
      parentHash: parent,
      kind: 'tail',
      start,
      count,
    });
  }
  return out;
}

function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
