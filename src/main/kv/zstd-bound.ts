// The most bytes a zstd body can decompress to, read from its frame and block headers without
// decompressing anything (RFC 8878). A stored or imported block body is untrusted: a 33 KB frame of RLE
// blocks inflates to 1 GiB. The bound holds by construction for the decoder we use: libzstd's streaming
// decoder (what @toondepauw/node-zstd runs) rejects any block whose output exceeds Block_Maximum_Size
// ("Decompressed Block Size Exceeds Maximum"), raw and RLE blocks regenerate exactly their Block_Size,
// and we accept exactly one frame with no dictionary and no skippable frames. So the decoder never
// produces more than `bound` bytes, and its window (its working memory) is at most `window`.

const FRAME_MAGIC = 0xfd2fb528;
const BLOCK_MAX = 128 * 1024;
/** Largest window we accept: level 3 writes 2 MiB; levels up to 19 stay within 8 MiB for streamed input. */
export const MAX_WINDOW = 8 * 1024 * 1024;

export interface ZstdFrameInfo {
  /** Upper bound of the decompressed size. */
  bound: number;
  /** Frame_Content_Size when the frame records it. */
  contentSize: number | null;
  window: number;
}

export class ZstdBoundError extends Error {
  constructor(
    message: string,
    /** The frame is well-formed but could inflate far past the size expected (vs. a malformed frame). */
    readonly bomb = false,
  ) {
    super(message);
    this.name = 'ZstdBoundError';
  }
}

/** Walks the single frame of `data`; throws ZstdBoundError on anything but one plain, complete frame. */
export function zstdFrameInfo(data: Uint8Array): ZstdFrameInfo {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const bad = (why: string) => new ZstdBoundError(`zstd body: ${why}`);
  if (data.length < 6) throw bad('shorter than a frame header');
  if (v.getUint32(0, true) !== FRAME_MAGIC) throw bad('not a zstd frame (bad magic)');
  const fhd = data[4]!;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  if (fhd & 0x08) throw bad('reserved header bit set');
  if (fhd & 0x03) throw bad('frame needs a dictionary');
  let o = 5;
  let window = 0;
  if (!single) {
    const w = data[o++]!;
    const log = 10 + (w >> 3);
    window = 2 ** log + (2 ** log / 8) * (w & 7);
  }
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (o + fcsBytes > data.length) throw bad('truncated frame header');
  let contentSize: number | null = null;
  if (fcsBytes === 1) contentSize = data[o]!;
  else if (fcsBytes === 2) contentSize = v.getUint16(o, true) + 256;
  else if (fcsBytes === 4) contentSize = v.getUint32(o, true);
  else if (fcsBytes === 8) contentSize = Number(v.getBigUint64(o, true));
  o += fcsBytes;
  if (single) window = contentSize!;
  if (window > MAX_WINDOW) throw bad(`window of ${window} bytes exceeds the ${MAX_WINDOW}-byte limit`);
  const blockMax = Math.min(window, BLOCK_MAX);
  let bound = 0;
  for (;;) {
    if (o + 3 > data.length) throw bad('truncated block header');
    const h = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16);
    o += 3;
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    if (type === 3) throw bad('reserved block type');
    if (size > blockMax) throw bad(`block of ${size} bytes exceeds the frame's block maximum ${blockMax}`);
    // raw: `size` bytes follow and come out; RLE: one byte follows, `size` come out;
    // compressed: `size` bytes follow, at most Block_Maximum_Size come out
    bound += type === 2 ? blockMax : size;
    o += type === 1 ? 1 : size;
    if (o > data.length) throw bad('truncated block');
    if (h & 1) break;
  }
  if (fhd & 0x04) o += 4; // content checksum
  if (o !== data.length) throw bad(o > data.length ? 'truncated checksum' : 'bytes after the frame');
  return { bound, contentSize, window };
}

/**
 * Largest bound accepted for an `expected`-byte output. Block_Maximum_Size is all the headers say about a
 * compressed block, and zstd 1.5.7 splits 128 KiB blocks into smaller ones (each still counts as up to
 * 128 KiB): measured bounds of genuine bodies reach about 2x their size plus one block (zstd-bound.test.ts);
 * 16x leaves room for finer splits. A bomb (1 GiB from a few KB, a 4 GiB RLE run) is far past that, and
 * the decoded size must then still equal `expected` exactly.
 */
export function boundLimit(expected: number): number {
  return 16 * expected + BLOCK_MAX;
}

/** Throws ZstdBoundError unless `data` is one frame that cannot inflate past boundLimit(expected). */
export function checkZstdBound(data: Uint8Array, expected: number): ZstdFrameInfo {
  const info = zstdFrameInfo(data);
  if (info.contentSize !== null && info.contentSize !== expected)
    throw new ZstdBoundError(`zstd body: frame declares ${info.contentSize} bytes, expected ${expected}`);
  if (info.bound > boundLimit(expected))
    throw new ZstdBoundError(
      `zstd body could inflate to ${info.bound} bytes, far more than the ${expected} expected (decompression bomb)`,
      true,
    );
  return info;
}
