// One stored block: a fixed header (identity + layout), the codec body, and a checksum over both.
// The header repeats the block hash so a blob can never be served under another block's identity.
// Versions (all still read: old databases and bundles keep working):
//  1: SHA-256 checksum.
//  2: XXH64 checksum (checksum.ts).
//  3: as 2; quantized bodies start with a key-transform record (codec/quant.ts: keys
//     quantized with RoPE undone). The header layout and the exact body are the same in all three.
//  4 (written now): as 3; exact bodies may be raw, tagged (codec/exact.ts), the hot tier's memory-speed format;
//     codec 3 is fp16 (codec/fp16.ts: an fp32 cache as raw half bits, tagged).
import { type KeyRotation, type KvDtype, type KvLayout, type KvSlice, sameLayout } from '../tensor/kv-types.ts';
import { RAW_TAG, RAW_TAG_BYTES, decodeExactInto, encodeExact, exactBodyBytes, isRaw } from './codec/exact.ts';
import { FP16_TAG_BYTES, decodeFp16Into, encodeFp16, fp16BodyBytes, isFp16 } from './codec/fp16.ts';
import { decodeQuantInto, encodeQuant, quantBodyBytes, zstdFrame } from './codec/quant.ts';
import { type KvTarget, layerElems, newTarget } from './codec/tensors.ts';
import type { CodecName } from './codec/types.ts';
import { CHECKSUMS } from './checksum.ts';
import type { BlockHash, BlockKind } from './hash.ts';
import { ZstdBoundError, checkZstdBound } from './zstd-bound.ts';

const MAGIC = 0x42564b52; // 'RKVB' little-endian
/** The version written; readHeader accepts every version in CHECKSUMS. */
export const BLOCK_VERSION = 4;
const HEADER = 60;
/** Header byte 5 -> codec: the order is the format's (append only), not the vocabulary's. */
const CODECS: CodecName[] = ['exact', 'int8', 'int4', 'fp16'];
const DTYPES: KvDtype[] = ['float32', 'float16'];

export type BlockErrorReason = 'truncated' | 'checksum' | 'header' | 'mismatch' | 'body' | 'bomb';
export class BlockError extends Error {
  constructor(
    readonly reason: BlockErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'BlockError';
  }
}

export interface BlockHeader {
  version: number;
  codec: CodecName;
  kind: BlockKind;
  layout: KvLayout;
  start: number;
  count: number;
  hash: BlockHash;
  /** Length of the codec body, which starts right after the fixed header. */
  bodyBytes: number;
}

/**
 * Encodes `slice` (exactly the block's tokens). `codec` may fall back to exact: for non-finite data (int8/int4),
 * for values past fp16's range (fp16), and fp16 of an fp16 cache is exact (the cache as it is).
 * `rope`: the model's RoPE, which the lossy codecs undo on keys before quantizing (null: keys as stored).
 */
export async function encodeBlock(
  slice: KvSlice,
  hash: BlockHash,
  kind: BlockKind,
  codec: CodecName,
  rope: KeyRotation | null = null,
): Promise<{ data: Buffer; codec: CodecName }> {
  const { layout } = slice;
  const count = slice.tokens.length;
  let body: Buffer | null = null;
  let used = codec;
  if (codec === 'fp16') body = layout.dtype === 'float32' ? encodeFp16(slice.layers, layout) : null;
  else if (codec !== 'exact')
    body = await encodeQuant(slice.layers, layout, count, codec === 'int8' ? 8 : 4, slice.start, rope);
  if (!body) {
    used = 'exact';
    body = await encodeExact(slice.layers, layout);
  }
  const sum = CHECKSUMS[BLOCK_VERSION]!;
  const data = Buffer.allocUnsafe(HEADER + body.length + sum.size);
  writeHeader(data, used, layout, kind, slice.start, count, hash, body.length);
  body.copy(data, HEADER);
  sum.write(data.subarray(0, HEADER + body.length), data.subarray(HEADER + body.length));
  return { data, codec: used };
}

function writeHeader(
  data: Buffer,
  codec: CodecName,
  layout: KvLayout,
  kind: BlockKind,
  start: number,
  count: number,
  hash: BlockHash,
  bodyBytes: number,
): void {
  data.writeUInt32LE(MAGIC, 0);
  data.writeUInt8(BLOCK_VERSION, 4);
  data.writeUInt8(CODECS.indexOf(codec), 5);
  data.writeUInt8(DTYPES.indexOf(layout.dtype), 6);
  data.writeUInt8(kind === 'full' ? 0 : 1, 7);
  data.writeUInt16LE(layout.numLayers, 8);
  data.writeUInt16LE(layout.numKvHeads, 10);
  data.writeUInt16LE(layout.headDim, 12);
  data.writeUInt16LE(0, 14);
  data.writeUInt32LE(start, 16);
  data.writeUInt32LE(count, 20);
  data.write(hash, 24, 32, 'hex');
  data.writeUInt32LE(bodyBytes, 56);
}

/**
 * A raw exact block (the hot tier) is an engine K/V row file (engine/kv-files.ts): these bytes, then the
 * rows in the exact body's order, then the XXH64 of both, which is this version's checksum. The engine
 * writes and reads such blocks itself, straight from and into its cache.
 */
export function rawBlockPrefix(
  layout: KvLayout,
  hash: BlockHash,
  kind: BlockKind,
  start: number,
  count: number,
): Buffer {
  const prefix = Buffer.allocUnsafe(HEADER + RAW_TAG_BYTES);
  writeHeader(prefix, 'exact', layout, kind, start, count, hash, RAW_TAG_BYTES + exactBodyBytes(layout, count));
  prefix.writeUInt32LE(RAW_TAG, HEADER);
  return prefix;
}

/** Bytes of a raw exact block of `count` tokens: what a stored block must measure to be one. */
export function rawBlockBytes(layout: KvLayout, count: number): number {
  return HEADER + RAW_TAG_BYTES + exactBodyBytes(layout, count) + CHECKSUMS[BLOCK_VERSION]!.size;
}

/** Verifies length, checksum and header fields; cheap (no decompression). */
export function readHeader(data: Uint8Array): BlockHeader {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < HEADER) throw new BlockError('truncated', `block is ${b.length} bytes, shorter than its header`);
  if (b.readUInt32LE(0) !== MAGIC) throw new BlockError('header', 'not a Reprise KV block (bad magic)');
  const sum = CHECKSUMS[b.readUInt8(4)];
  if (!sum) {
    const v = b.readUInt8(4);
    const newer = v > BLOCK_VERSION ? ': written by a newer Reprise, update Reprise to use it' : '';
    throw new BlockError('header', `unsupported block version ${v}${newer}`);
  }
  const bodyLen = b.readUInt32LE(56);
  if (b.length !== HEADER + bodyLen + sum.size)
    throw new BlockError('truncated', `block is ${b.length} bytes, header says ${HEADER + bodyLen + sum.size}`);
  if (!sum.verify(b.subarray(0, HEADER + bodyLen), b.subarray(HEADER + bodyLen)))
    throw new BlockError('checksum', 'block checksum mismatch');
  const codec = CODECS[b.readUInt8(5)];
  const dtype = DTYPES[b.readUInt8(6)];
  if (!codec || !dtype) throw new BlockError('header', 'unknown codec or dtype in block header');
  return {
    version: b.readUInt8(4),
    codec,
    kind: b.readUInt8(7) === 0 ? 'full' : 'tail',
    layout: { numLayers: b.readUInt16LE(8), numKvHeads: b.readUInt16LE(10), headDim: b.readUInt16LE(12), dtype },
    start: b.readUInt32LE(16),
    count: b.readUInt32LE(20),
    hash: b.subarray(24, 56).toString('hex') as BlockHash,
    bodyBytes: bodyLen,
  };
}

/** Bytes the body of a block with this header decompresses to (what its layout and codec imply). */
export function bodyRawBytes(h: BlockHeader): number {
  if (h.codec === 'exact') return exactBodyBytes(h.layout, h.count);
  if (h.codec === 'fp16') return fp16BodyBytes(h.layout, h.count);
  return quantBodyBytes(h.layout, h.count, h.codec === 'int8' ? 8 : 4);
}

/**
 * readHeader, then proves from the zstd headers alone (nothing is decompressed) that the body cannot
 * inflate past the size its header implies: an imported block is refused here, not when a chat opens.
 */
export function checkBlock(data: Uint8Array): BlockHeader {
  const h = readHeader(data);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength).subarray(HEADER, HEADER + h.bodyBytes);
  try {
    if (h.codec === 'exact' && isRaw(body)) {
      // a raw body is its own size: nothing inflates
      if (body.length !== RAW_TAG_BYTES + bodyRawBytes(h))
        throw new Error(`raw body holds ${body.length - RAW_TAG_BYTES} bytes, expected ${bodyRawBytes(h)}`);
    } else if (h.codec === 'fp16') {
      // raw half bits of an fp32 cache: its own size, and only for a float32 layout
      if (h.layout.dtype !== 'float32') throw new Error('an fp16 block for a float16 cache');
      if (!isFp16(body) || body.length !== FP16_TAG_BYTES + bodyRawBytes(h))
        throw new Error(`fp16 body holds ${body.length - FP16_TAG_BYTES} bytes, expected ${bodyRawBytes(h)}`);
    } else checkZstdBound(h.codec === 'exact' ? body : zstdFrame(body, h.version), bodyRawBytes(h));
  } catch (err) {
    throw new BlockError(err instanceof ZstdBoundError && err.bomb ? 'bomb' : 'body', (err as Error).message);
  }
  return h;
}

/**
 * The same block under another identity (an imported block re-keyed with its conversation's cache salt):
 * the header's hash is rewritten and the checksum recomputed; the body is untouched.
 */
export function rekeyBlock(data: Uint8Array, hash: BlockHash): Buffer {
  const h = readHeader(data);
  const out = Buffer.from(data);
  out.write(hash, 24, 32, 'hex');
  const sum = CHECKSUMS[h.version]!;
  sum.write(out.subarray(0, HEADER + h.bodyBytes), out.subarray(HEADER + h.bodyBytes));
  return out;
}

export interface BlockExpectation {
  hash: BlockHash;
  layout: KvLayout;
  start: number;
  tokens: number[];
}

/** Full verification + decode into a slice of the layout's dtype. Throws BlockError on anything off. */
export async function decodeBlock(data: Uint8Array, expect: BlockExpectation): Promise<KvSlice> {
  const target = newTarget(expect.layout, expect.tokens.length);
  const h = await decodeBlockInto(data, expect, target);
  return { layout: expect.layout, start: h.start, tokens: expect.tokens.slice(), layers: target.layers };
}

/**
 * Full verification (length, checksum, header vs expectation), then decode straight into `target`
 * (see KvTarget). Throws BlockError on anything off; on a body error the target's rows for this block
 * may be partly written.
 */
export async function decodeBlockInto(
  data: Uint8Array,
  expect: BlockExpectation,
  target: KvTarget,
): Promise<BlockHeader> {
  const h = readHeader(data);
  const e = expect.layout;
  if (h.hash !== expect.hash) throw new BlockError('mismatch', 'block header names another block');
  if (!sameLayout(h.layout, e)) throw new BlockError('mismatch', 'block KV layout/dtype differs from the model');
  if (h.start !== expect.start || h.count !== expect.tokens.length)
    throw new BlockError('mismatch', 'block token range differs');
  const n = layerElems(e, target.cap);
  if (target.layers.length !== e.numLayers || target.layers.some((l) => l.key.length !== n || l.value.length !== n))
    throw new Error('decode target does not match the layout');
  const body = data.subarray(HEADER, HEADER + h.bodyBytes);
  try {
    if (h.codec === 'exact') await decodeExactInto(body, e, h.count, target);
    else if (h.codec === 'fp16') decodeFp16Into(body, e, h.count, target);
    else await decodeQuantInto(body, e, h.count, h.codec === 'int8' ? 8 : 4, target, h);
  } catch (err) {
    throw new BlockError('body', `block body does not decode: ${(err as Error).message}`);
  }
  return h;
}
