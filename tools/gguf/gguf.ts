// GGUF v3 (llama.cpp's model file): header, metadata key/values, tensor infos, then tensor data, each tensor
// at an offset aligned to general.alignment (32 by default) from the start of the (aligned) data section.
// The writer streams tensors to the file; the reader parses everything but the data (tests, sanity checks).
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
export const GGUF_VERSION = 3;
export const DEFAULT_ALIGNMENT = 32;

/** gguf_type: the metadata value types. */
export const T = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
type ScalarType = Exclude<(typeof T)[keyof typeof T], typeof T.ARRAY>;

/** ggml_type: only the two tensor types this writer produces. */
export const GGML = { F32: 0, F16: 1 } as const;
export type GgmlType = (typeof GGML)[keyof typeof GGML];

export type MetaValue =
  | { type: ScalarType; value: number | bigint | boolean | string }
  | { type: typeof T.ARRAY; itemType: ScalarType; value: readonly (number | bigint | boolean | string)[] };

export const meta = {
  u32: (v: number): MetaValue => ({ type: T.UINT32, value: v }),
  i32: (v: number): MetaValue => ({ type: T.INT32, value: v }),
  f32: (v: number): MetaValue => ({ type: T.FLOAT32, value: v }),
  bool: (v: boolean): MetaValue => ({ type: T.BOOL, value: v }),
  str: (v: string): MetaValue => ({ type: T.STRING, value: v }),
  strs: (v: readonly string[]): MetaValue => ({ type: T.ARRAY, itemType: T.STRING, value: v }),
  i32s: (v: readonly number[]): MetaValue => ({ type: T.ARRAY, itemType: T.INT32, value: v }),
};

export interface TensorSpec {
  name: string;
  /** ggml order: dims[0] is the fastest-varying (a row's length), i.e. the reverse of numpy's shape. */
  dims: number[];
  type: GgmlType;
  /** Produces the bytes (called once, while writing, so only one tensor is in memory at a time). */
  data: () => Uint8Array;
}

const ELEM_BYTES: Record<GgmlType, number> = { [GGML.F32]: 4, [GGML.F16]: 2 };
export const tensorBytes = (dims: readonly number[], type: GgmlType): number =>
  dims.reduce((a, d) => a * d, 1) * ELEM_BYTES[type];
const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** A growable little-endian byte sink for the header part. */
class Sink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.room(4);
    this.length = this.buf.writeUInt32LE(v, this.length);
  }
  u64(v: number | bigint): void {
    this.room(8);
    this.length = this.buf.writeBigUInt64LE(BigInt(v), this.length);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.room(b.length);
    this.length += b.copy(this.buf, this.length);
  }
  scalar(type: ScalarType, v: number | bigint | boolean | string): void {
    this.room(8);
    const at = this.length;
    const b = this.buf;
    switch (type) {
      case T.UINT8:
        this.length = b.writeUInt8(Number(v), at);
        return;
      case T.INT8:
        this.length = b.writeInt8(Number(v), at);
        return;
      case T.UINT16:
        this.length = b.writeUInt16LE(Number(v), at);
        return;
      case T.INT16:
        this.length = b.writeInt16LE(Number(v), at);
        return;
      case T.UINT32:
        this.length = b.writeUInt32LE(Number(v), at);
        return;
      case T.INT32:
        this.length = b.writeInt32LE(Number(v), at);
        return;
      case T.FLOAT32:
        this.length = b.writeFloatLE(Number(v), at);
        return;
      case T.BOOL:
        this.length = b.writeUInt8(v ? 1 : 0, at);
        return;
      case T.UINT64:
        this.length = b.writeBigUInt64LE(BigInt(v), at);
        return;
      case T.INT64:
        this.length = b.writeBigInt64LE(BigInt(v), at);
        return;
      case T.FLOAT64:
        this.length = b.writeDoubleLE(Number(v), at);
        return;
      case T.STRING:
        this.str(String(v));
        return;
    }
  }
  pad(align: number): void {
    const n = alignUp(this.length, align) - this.length;
    this.room(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** Writes a GGUF v3 file. Returns the data offsets it assigned (relative to the data section) by tensor name. */
export function writeGguf(
  path: string,
  metadata: Record<string, MetaValue>,
  tensors: readonly TensorSpec[],
): { offsets: Map<string, number>; bytes: number } {
  const align = Number(metadata['general.alignment']?.value ?? DEFAULT_ALIGNMENT);
  const h = new Sink();
  h.u32(GGUF_MAGIC);
  h.u32(GGUF_VERSION);
  h.u64(tensors.length);
  h.u64(Object.keys(metadata).length);
  for (const [key, v] of Object.entries(metadata)) {
    h.str(key);
    h.u32(v.type);
    if (v.type === T.ARRAY) {
      h.u32(v.itemType);
      h.u64(v.value.length);
      for (const x of v.value) h.scalar(v.itemType, x);
    } else h.scalar(v.type, v.value);
  }
  const offsets = new Map<string, number>();
  let at = 0;
  for (const t of tensors) {
    h.str(t.name);
    h.u32(t.dims.length);
    for (const d of t.dims) h.u64(d);
    h.u32(t.type);
    h.u64(at);
    offsets.set(t.name, at);
    at = alignUp(at + tensorBytes(t.dims, t.type), align);
  }
  h.pad(align);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, h.bytes());
    let written = 0;
    for (const t of tensors) {
      const d = t.data();
      const want = tensorBytes(t.dims, t.type);
      if (d.byteLength !== want) throw new Error(`gguf: tensor ${t.name} has ${d.byteLength} bytes, dims say ${want}`);
      const pad = offsets.get(t.name)! - written;
      if (pad) writeSync(fd, new Uint8Array(pad));
      writeSync(fd, d);
      written = offsets.get(t.name)! + d.byteLength;
    }
    const tail = at - written; // llama.cpp checks the data section's size against the last tensor's padded end
    if (tail) writeSync(fd, new Uint8Array(tail));
    return { offsets, bytes: h.length + at };
  } finally {
    closeSync(fd);
  }
}

export interface GgufTensorInfo {
  name: string;
  dims: number[];
  type: number;
  /** Relative to dataStart. */
  offset: number;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, unknown>;
  tensors: GgufTensorInfo[];
  /** Absolute file offset of the data section. */
  dataStart: number;
  alignment: number;
}

/** Parses a GGUF file's header, metadata and tensor infos (reads only the header part of the file). */
export function readGguf(path: string, headerBytes = 64 << 20): GgufFile {
  const fd = openSync(path, 'r');
  let buf: Buffer;
  try {
    buf = Buffer.alloc(headerBytes);
    buf = buf.subarray(0, readSync(fd, buf, 0, headerBytes, 0));
  } finally {
    closeSync(fd);
  }
  let p = 0;
  const u32 = () => ((p += 4), buf.readUInt32LE(p - 4));
  const u64 = () => ((p += 8), Number(buf.readBigUInt64LE(p - 8)));
  const str = () => {
    const n = u64();
    p += n;
    return buf.toString('utf8', p - n, p);
  };
  const scalar = (type: number): unknown => {
    switch (type) {
      case T.UINT8:
        return buf.readUInt8(p++);
      case T.INT8:
        return buf.readInt8(p++);
      case T.UINT16:
        return ((p += 2), buf.readUInt16LE(p - 2));
      case T.INT16:
        return ((p += 2), buf.readInt16LE(p - 2));
      case T.UINT32:
        return u32();
      case T.INT32:
        return ((p += 4), buf.readInt32LE(p - 4));
      case T.FLOAT32:
        return ((p += 4), buf.readFloatLE(p - 4));
      case T.BOOL:
        return buf.readUInt8(p++) !== 0;
      case T.STRING:
        return str();
      case T.UINT64:
        return ((p += 8), buf.readBigUInt64LE(p - 8));
      case T.INT64:
        return ((p += 8), buf.readBigInt64LE(p - 8));
      case T.FLOAT64:
        return ((p += 8), buf.readDoubleLE(p - 8));
      default:
        throw new Error(`gguf: unknown value type ${type} at byte ${p}`);
    }
  };
  if (u32() !== GGUF_MAGIC) throw new Error(`${path}: not a GGUF file`);
  const version = u32();
  const nTensors = u64();
  const nKv = u64();
  const metadata = new Map<string, unknown>();
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const type = u32();
    if (type === T.ARRAY) {
      const itemType = u32();
      const n = u64();
      metadata.set(
        key,
        Array.from({ length: n }, () => scalar(itemType)),
      );
    } else metadata.set(key, scalar(type));
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nd = u32();
    const dims = Array.from({ length: nd }, () => u64());
    tensors.push({ name, dims, type: u32(), offset: u64() });
  }
  const alignment = Number(metadata.get('general.alignment') ?? DEFAULT_ALIGNMENT);
  return { version, metadata, tensors, dataStart: alignUp(p, alignment), alignment };
}

/** Reads one tensor's bytes (tests). */
export function readTensorBytes(path: string, f: GgufFile, t: GgufTensorInfo): Buffer {
  const n = tensorBytes(t.dims, t.type as GgmlType);
  const out = Buffer.alloc(n);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, out, 0, n, f.dataStart + t.offset);
  } finally {
    closeSync(fd);
  }
  return out;
}
