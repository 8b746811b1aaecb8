// Crafting hostile bundles for tests: an attacker can rewrite any block body and recompute every
// checksum (block XXH64, manifest sha256, file sha256), so these helpers do exactly that.
import { RAW_TAG_BYTES, isRaw } from '../../kv/codec/exact.ts';
import { createHash } from 'node:crypto';
import { BLOCK_VERSION } from '../../kv/block-format.ts';
import { CHECKSUMS } from '../../kv/checksum.ts';
import { zstdCompress } from '../../kv/zstd.ts';
import { Decoder } from '@toondepauw/node-zstd';

const HEADER = 60;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- editing arbitrary manifest JSON on purpose
export type Manifest = any;

export function unpackBundle(bundle: Uint8Array): { manifest: Manifest; payloads: Buffer[] } {
  const b = Buffer.from(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  const mlen = b.readUInt32LE(12);
  const manifest = JSON.parse(b.subarray(16, 16 + mlen).toString('utf8')) as Manifest;
  let off = 16 + mlen;
  const payloads: Buffer[] = [];
  for (const e of manifest.blocks as Array<{ size: number }>) {
    payloads.push(Buffer.from(b.subarray(off, off + e.size)));
    off += e.size;
  }
  return { manifest, payloads };
}

/** Re-assembles a bundle, recomputing every block's size and sha256 and the file checksum. */
export function packBundle(manifest: Manifest, payloads: Buffer[]): Buffer {
  manifest.blocks.forEach((e: { size: number; sha256: string }, i: number) => {
    e.size = payloads[i]!.length;
    e.sha256 = createHash('sha256').update(payloads[i]!).digest('hex');
  });
  const mb = Buffer.from(JSON.stringify(manifest));
  const head = Buffer.alloc(16);
  head.write('RPRSBNDL', 0, 'latin1');
  head.writeUInt32LE(1, 8);
  head.writeUInt32LE(mb.length, 12);
  const body = Buffer.concat([head, mb, ...payloads]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/** A block with its body replaced and its checksum recomputed (header untouched). */
export function withBody(block: Buffer, body: Uint8Array): Buffer {
  const version = block.readUInt8(4);
  const sum = CHECKSUMS[version] ?? CHECKSUMS[BLOCK_VERSION]!;
  const out = Buffer.alloc(HEADER + body.length + sum.size);
  block.copy(out, 0, 0, HEADER);
  out.writeUInt32LE(body.length, 56);
  out.set(body, HEADER);
  sum.write(out.subarray(0, HEADER + body.length), out.subarray(HEADER + body.length));
  return out;
}

export function blockBody(block: Buffer): Buffer {
  return block.subarray(HEADER, HEADER + block.readUInt32LE(56));
}

/**
 * An exact-codec block with the sign bit of every fp32 element flipped, recompressed and re-signed: it
 * passes every checksum and decodes to the right size, but holds wrong KV.
 */
export async function signFlipped(block: Buffer): Promise<Buffer> {
  const body = blockBody(block);
  if (isRaw(body)) {
    // a raw exact body: flip the sign bit (bit 7 of the high byte) of every fp32 value
    const out = Buffer.from(body);
    for (let i = RAW_TAG_BYTES + 3; i < out.length; i += 4) out[i] = out[i]! ^ 0x80;
    return withBody(block, out);
  }
  const raw = await new Decoder().decode(body);
  // the body is byte-shuffled: the last quarter is the plane of each fp32's high byte (sign in bit 7)
  const q = raw.length / 4;
  for (let i = 3 * q; i < raw.length; i++) raw[i] = raw[i]! ^ 0x80;
  return withBody(block, await zstdCompress(raw));
}

/**
 * A zstd frame of RLE blocks that inflates to `bytes` (up to ~2^53) from 4 bytes per 128 KiB: what a
 * decompression bomb looks like. Never decompress it.
 */
export function rleBomb(bytes: number): Buffer {
  const BLOCK = 128 * 1024;
  const n = Math.ceil(bytes / BLOCK);
  const out = Buffer.alloc(6 + 4 * n);
  out.writeUInt32LE(0xfd2fb528, 0);
  out[4] = 0x00; // no content size, not single-segment, no checksum, no dictionary
  out[5] = (11 << 3) | 0; // window 2^21 = 2 MiB, as our encoder writes
  for (let i = 0; i < n; i++) {
    const size = i === n - 1 ? bytes - BLOCK * (n - 1) : BLOCK;
    const h = (size << 3) | (1 << 1) | (i === n - 1 ? 1 : 0);
    out.writeUIntLE(h, 6 + 4 * i, 3);
    out[6 + 4 * i + 3] = 0x41;
  }
  return out;
}
