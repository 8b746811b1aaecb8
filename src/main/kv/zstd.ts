// zstd through @toondepauw/node-zstd (Node 20's zlib has no zstd). The async API runs on the libuv
// pool, keeping multi-MB (de)compression off the main thread's event loop.
import { Decoder, Encoder } from '@toondepauw/node-zstd';
import { checkZstdBound } from './zstd-bound.ts';

const LEVEL = 3; // measured: higher levels buy little on KV data and cost save latency
const encoder = new Encoder(LEVEL);
const decoder = new Decoder();

export function zstdCompress(data: Uint8Array): Promise<Buffer> {
  return encoder.encode(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/**
 * Decompresses a body that must come out at exactly `expected` bytes. The frame's headers are checked
 * first (zstd-bound.ts): a body that could inflate far past `expected` is refused before any byte is
 * decompressed, so a crafted block cannot exhaust memory. Throws on any other size too.
 */
export async function zstdDecompress(data: Uint8Array, expected: number): Promise<Buffer> {
  checkZstdBound(data, expected);
  const out = await decoder.decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  if (out.length !== expected) throw new Error(`zstd body holds ${out.length} bytes, expected ${expected}`);
  return out;
}
