// Block checksums, one per block-format version. They guard against disk and transfer corruption, not
// against an adversary: whoever can write a block can recompute any checksum, so a cryptographic hash
// buys nothing here (block identity is the token hash chain, checked separately against the header).
// v1 used SHA-256 (~1.4 GB/s here: 30 ms of a 42 MB restore); v2 on use XXH64 (~7 GB/s, native).
import { createHash } from 'node:crypto';
import { xxh64 } from '@node-rs/xxhash';

export interface Checksum {
  /** Bytes the checksum occupies at the end of a block. */
  size: number;
  /** Writes the checksum of `data` into `out` (exactly `size` bytes). */
  write(data: Uint8Array, out: Uint8Array): void;
  /** Whether `sum` (exactly `size` bytes) is the checksum of `data`. */
  verify(data: Uint8Array, sum: Uint8Array): boolean;
}

const sha256: Checksum = {
  size: 32,
  write: (data, out) => out.set(createHash('sha256').update(data).digest()),
  verify: (data, sum) => createHash('sha256').update(data).digest().equals(sum),
};

const xxhash64: Checksum = {
  size: 8,
  write: (data, out) => new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, xxh64(data), true),
  verify: (data, sum) => new DataView(sum.buffer, sum.byteOffset, 8).getBigUint64(0, true) === xxh64(data),
};

/** The checksum of each block-format version (index = version). */
export const CHECKSUMS: Readonly<Record<number, Checksum>> = { 1: sha256, 2: xxhash64, 3: xxhash64, 4: xxhash64 };
