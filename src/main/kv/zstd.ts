// zstd through @toondepauw/node-zstd (Node 20's zlib has no zstd). The async API runs on the libuv
// pool, keeping multi-MB (de)compression off the main thread's event loop.
import { Decoder, Encoder } from '@toondepauw/node-zstd';

const LEVEL = 3; // measured: higher levels buy little on KV data and cost save latency
const encoder = new Encoder(LEVEL);
const decoder = new Decoder();

export function zstdCompress(data: Uint8Array): Promise<Buffer> {
  return encoder.encode(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

export function zstdDecompress(data: Uint8Array): Promise<Buffer> {
  return decoder.decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}
