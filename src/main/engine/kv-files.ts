// K/V row files: the cache's rows moved straight between the engine's own arrays and a file, with no
// intermediate copy. A file is `prefix | rows | XXH64(prefix | rows)` (8 bytes, little-endian); the rows
// are, per layer, key then value, each head's rows [start, start + count) × headDim in the cache dtype.
// The prefix is the caller's (kv/ puts its block header there), checked byte for byte on read.
//
// Why this exists (issue #18): restoring a 2k-token history through SQLite blobs, per-block buffers and a
// transfer to this worker cost 60-130 ms; the same 50 MB read in 256 KB chunks through a buffer that stays
// in the CPU cache and copied to its rows costs ~10 ms here (a read() straight into 50 MB of rows, ~21 ms:
// the kernel's copy into cold memory is the slow part).
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writevSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { Xxh64 } from '@node-rs/xxhash';
import { EngineError } from './errors.ts';
import { type KvLayout, kvBytes } from '../tensor/kv-types.ts';

export interface KvRowFile {
  path: string;
  /** The rows [start, start + count) of the cache. */
  start: number;
  count: number;
  /** The file's first bytes (read: must match exactly). At most MAX_PREFIX bytes. */
  prefix: Uint8Array;
}

/** Why a file could not be loaded; the load stops at its first row. */
export type RowFileFailure = 'missing' | 'unreadable' | 'size' | 'prefix' | 'checksum';

export interface RowFilesLoaded {
  /** Rows [0, loaded) hold the files' data, verified. */
  loaded: number;
  failure?: { file: number; reason: RowFileFailure; message: string };
}

/** Byte views of rows [start, end) of every (layer, key/value, head), in file order. */
export type RowViews = (start: number, end: number) => Uint8Array[];

const MAX_PREFIX = 4096;
const SUM_BYTES = 8;
/** Fits the CPU's L2 cache: the kernel copies into it fast, and the copy out to the rows is a plain memcpy. */
const CHUNK = 256 * 1024;
let bounce: Uint8Array | null = null;
let tmpSeq = 0;

/**
 * Checks what a request names before any file is touched (for a load, the ranges must tile [0, end) in
 * order). Returns the end of the highest range.
 */
export function checkRowFiles(files: readonly KvRowFile[], contextLength: number, contiguousFrom0: boolean): number {
  let end = 0;
  for (const f of files) {
    const bad = (cause: string): never => {
      throw new EngineError({ code: 'badArgument', title: 'Invalid K/V file request', cause, suggestion: '' });
    };
    if (typeof f.path !== 'string' || f.path.length === 0) bad('a file has no path');
    if (!Number.isInteger(f.start) || !Number.isInteger(f.count) || f.start < 0 || f.count <= 0)
      bad(`rows [${f.start}, +${f.count}) are not a range`);
    if (f.start + f.count > contextLength) bad(`rows up to ${f.start + f.count} exceed the context length`);
    if (!(f.prefix instanceof Uint8Array) || f.prefix.length > MAX_PREFIX)
      bad('a file prefix is not bytes or too long');
    if (contiguousFrom0 && f.start !== end)
      bad(`files must cover the rows contiguously from 0 (expected ${end}, got ${f.start})`);
    end = Math.max(end, f.start + f.count);
  }
  return end;
}

/**
 * Reads files into the rows they name (contiguous from 0), verifying each one's size, prefix and checksum.
 * The first bad file stops the load: the rows from it on are zeroed (they hold its bytes or what the
 * arrays held before, and a masked slot must hold nothing non-finite) and the rows before it are the result.
 */
export function readRowFiles(layout: KvLayout, files: readonly KvRowFile[], views: RowViews): RowFilesLoaded {
  const last = files[files.length - 1];
  const end = last ? last.start + last.count : 0;
  for (const [i, f] of files.entries()) {
    const reason = readOne(layout, f, views(f.start, f.start + f.count));
    if (reason) {
      for (const v of views(f.start, end)) v.fill(0);
      return { loaded: f.start, failure: { file: i, reason: reason[0], message: reason[1] } };
    }
  }
  return { loaded: end };
}

function readOne(layout: KvLayout, f: KvRowFile, segs: Uint8Array[]): [RowFileFailure, string] | null {
  let fd: number;
  try {
    fd = openSync(f.path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return [code === 'ENOENT' ? 'missing' : 'unreadable', (err as Error).message];
  }
  try {
    const segBytes = segs[0]!.length;
    const bodyEnd = f.prefix.length + kvBytes(layout, f.count);
    const size = bodyEnd + SUM_BYTES;
    const actual = fstatSync(fd).size;
    if (actual !== size) return ['size', `the file holds ${actual} bytes, expected ${size}`];
    const buf = (bounce ??= new Uint8Array(CHUNK));
    const sum = new Xxh64();
    const trailer = new Uint8Array(SUM_BYTES);
    let seg = 0;
    let segOff = 0;
    for (let pos = 0; pos < size;) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
      if (n <= 0) return ['size', `the file ended at ${pos} bytes`];
      const hashed = Math.min(n, Math.max(0, bodyEnd - pos));
      sum.update(buf.subarray(0, hashed));
      let i = 0;
      for (; i < n && pos + i < f.prefix.length; i++)
        if (buf[i] !== f.prefix[pos + i]) return ['prefix', `byte ${pos + i} differs from the expected header`];
      while (i < hashed) {
        const take = Math.min(hashed - i, segBytes - segOff);
        segs[seg]!.set(buf.subarray(i, i + take), segOff);
        i += take;
        segOff += take;
        if (segOff === segBytes) {
          seg++;
          segOff = 0;
        }
      }
      for (; i < n; i++) trailer[pos + i - bodyEnd] = buf[i]!;
      pos += n;
    }
    const want = new DataView(trailer.buffer).getBigUint64(0, true);
    return sum.digest() === want ? null : ['checksum', 'the rows do not match their checksum'];
  } catch (err) {
    return ['unreadable', (err as Error).message];
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes each file from the rows it names: to a temporary name first, renamed into place once complete,
 * so a reader never sees half a file under the final name. Not fsynced (as SQLite's WAL at synchronous=NORMAL
 * is not per commit): a file cut short by a power loss fails its size or checksum on read and is recomputed.
 * Returns each file's size.
 */
export function writeRowFiles(files: readonly KvRowFile[], views: RowViews): number[] {
  return files.map((f) => {
    const tmp = `${f.path}.${process.pid}-${threadId}-${tmpSeq++}.tmp`;
    let fd: number | null = openSync(tmp, 'wx', 0o600);
    let size: number;
    try {
      // One writev of the prefix, every head's rows and the checksum, straight from the cache: a write() per
      // head's rows (16 KB for 64-token blocks of bench-100m) made saving a 2k history 2-5x slower, and
      // gathering them into a buffer first cost a copy (30-37 ms against 25-28 for this, probe3 A/B).
      const parts = [f.prefix, ...views(f.start, f.start + f.count)];
      const sum = new Xxh64();
      for (const p of parts) sum.update(p);
      const trailer = new Uint8Array(SUM_BYTES);
      new DataView(trailer.buffer).setBigUint64(0, sum.digest(), true);
      parts.push(trailer);
      size = parts.reduce((n, p) => n + p.length, 0);
      writeAllv(fd, parts, size);
      closeSync(fd);
      fd = null;
      renameSync(tmp, f.path);
    } catch (err) {
      if (fd !== null) closeSync(fd);
      rmSync(tmp, { force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT')
        throw new EngineError({
          code: 'diskFull',
          title: 'The disk is full',
          cause: (err as Error).message,
          suggestion: 'Free some disk space or lower the cache budget, then try again. Nothing already saved was lost.',
        });
      throw new EngineError({
        code: 'internal',
        title: 'Could not write the K/V cache',
        cause: (err as Error).message,
        suggestion: 'Check that the data folder is writable.',
      });
    }
    return size;
  });
}

/** writev until all `total` bytes are written (it may stop short), at most IOV_MAX parts a call. */
function writeAllv(fd: number, parts: Uint8Array[], total: number): void {
  for (let done = 0; done < total;) {
    let skip = done;
    let i = 0;
    while (skip >= parts[i]!.length) skip -= parts[i++]!.length;
    done += writevSync(fd, [parts[i]!.subarray(skip), ...parts.slice(i + 1, i + 1024)]);
  }
}
