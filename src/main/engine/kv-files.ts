// K/V row files: the cache's rows moved straight between the engine's own arrays and a file, with no
// intermediate copy. A file is `prefix | rows | XXH64(prefix | rows)` (8 bytes, little-endian); the rows
// are, per layer, key then value, each head's rows [start, start + count) × headDim in the cache dtype.
// The prefix is the caller's (kv/ puts its block header there), checked byte for byte on read.
//
// Why this exists (issue #18): restoring a 2k-token history through SQLite blobs, per-block buffers and a
// transfer to this worker cost 60-130 ms; reading the files straight into the rows costs 13-18 ms here.
import { closeSync, fstatSync, openSync, readv, renameSync, rmSync, writev } from 'node:fs';
import { promisify } from 'node:util';
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
 *
 * The kernel copies each file straight into its rows on libuv's thread pool while this thread checks the
 * file before it, READ_AHEAD files ahead: the copy and the checksum run on two cores (13-18 ms for a 2k-token
 * history of bench-100m, against ~20 through a buffer in the CPU cache checked and copied on one thread).
 */
export async function readRowFiles(
  layout: KvLayout,
  files: readonly KvRowFile[],
  views: RowViews,
): Promise<RowFilesLoaded> {
  const last = files[files.length - 1];
  const end = last ? last.start + last.count : 0;
  const reads: Array<Promise<FileRead>> = [];
  let failure: RowFilesLoaded['failure'];
  let i = 0;
  for (; i < files.length; i++) {
    while (reads.length < Math.min(files.length, i + 1 + READ_AHEAD)) {
      const f = files[reads.length]!;
      reads.push(readFile(layout, f, views(f.start, f.start + f.count)));
    }
    const r = await reads[i]!;
    const reason = 'reason' in r ? r.reason : verify(files[i]!, r);
    if (reason) {
      failure = { file: i, reason: reason[0], message: reason[1] };
      break;
    }
  }
  // the kernel may still be writing into the rows of reads in flight: let them end before zeroing
  await Promise.all(reads.slice(i + 1));
  if (!failure) return { loaded: end };
  const bad = files[failure.file]!;
  for (const v of views(bad.start, end)) v.fill(0);
  return { loaded: bad.start, failure };
}

/** Files read ahead of the one being checked (each read holds one thread of libuv's pool of 4). */
const READ_AHEAD = 2;

type FileRead = { reason: [RowFileFailure, string] } | { parts: Uint8Array[] };

/** Reads one file, whole, into [its prefix's bytes, ...the rows' views, its checksum]; never rejects. */
async function readFile(layout: KvLayout, f: KvRowFile, segs: Uint8Array[]): Promise<FileRead> {
  let fd: number;
  try {
    fd = openSync(f.path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { reason: [code === 'ENOENT' ? 'missing' : 'unreadable', (err as Error).message] };
  }
  try {
    const size = f.prefix.length + kvBytes(layout, f.count) + SUM_BYTES;
    const actual = fstatSync(fd).size;
    if (actual !== size) return { reason: ['size', `the file holds ${actual} bytes, expected ${size}`] };
    const parts = [new Uint8Array(f.prefix.length), ...segs, new Uint8Array(SUM_BYTES)];
    const got = await readAllv(fd, parts, size);
    if (got < size) return { reason: ['size', `the file ended at ${got} bytes`] };
    return { parts };
  } catch (err) {
    return { reason: ['unreadable', (err as Error).message] };
  } finally {
    try {
      closeSync(fd);
    } catch {
      // what was read is checked on its own; a read-only descriptor has nothing left to flush
    }
  }
}

function verify(f: KvRowFile, r: { parts: Uint8Array[] }): [RowFileFailure, string] | null {
  const head = r.parts[0]!;
  for (let i = 0; i < head.length; i++)
    if (head[i] !== f.prefix[i]) return ['prefix', `byte ${i} differs from the expected header`];
  const sum = new Xxh64();
  for (let i = 0; i < r.parts.length - 1; i++) sum.update(r.parts[i]!);
  const trailer = r.parts[r.parts.length - 1]!;
  const want = new DataView(trailer.buffer, trailer.byteOffset, SUM_BYTES).getBigUint64(0, true);
  return sum.digest() === want ? null : ['checksum', 'the rows do not match their checksum'];
}

/**
 * Writes each file from the rows it names: to a temporary name first, renamed into place once complete,
 * so a reader never sees half a file under the final name. Not fsynced (as SQLite's WAL at synchronous=NORMAL
 * is not per commit): a file cut short by a power loss fails its size or checksum on read and is recomputed.
 * Returns each file's size.
 *
 * One writev of the prefix and every head's rows, straight from the cache, runs on libuv's thread pool
 * while this thread computes the checksum that follows them (a write() per head's rows, 16 KB for 64-token
 * blocks of bench-100m, was 2-5x slower; gathering them into a buffer first cost a copy; checksum then
 * write on this thread, 25-30 ms for a 2k history against ~20 overlapped). The rows must not change until
 * the promise settles: the engine's requests run one at a time.
 */
export async function writeRowFiles(files: readonly KvRowFile[], views: RowViews): Promise<number[]> {
  const writes: Array<Promise<number>> = [];
  try {
    for (const f of files) {
      if (writes.length > WRITE_AHEAD) await writes[writes.length - WRITE_AHEAD - 1];
      const w = writeFile(f, views(f.start, f.start + f.count));
      w.catch(() => {}); // awaited in turn or below; not an unhandled rejection meanwhile
      writes.push(w);
    }
    return await Promise.all(writes);
  } catch (err) {
    await Promise.allSettled(writes); // no write still reading the rows or holding a file open
    throw err;
  }
}

/** Files written while the next one's checksum is computed. */
const WRITE_AHEAD = 2;

async function writeFile(f: KvRowFile, segs: Uint8Array[]): Promise<number> {
  const tmp = `${f.path}.${process.pid}-${threadId}-${tmpSeq++}.tmp`;
  let fd: number | null = null;
  let body: Promise<number> | null = null;
  try {
    // up to the first await this runs when called: the write starts, then the checksum runs beside it
    fd = openSync(tmp, 'wx', 0o600);
    const parts = [f.prefix, ...segs];
    const bodyEnd = parts.reduce((n, p) => n + p.length, 0);
    body = writeAllv(fd, parts, bodyEnd);
    body.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    const sum = new Xxh64();
    for (const p of parts) sum.update(p);
    const trailer = new Uint8Array(SUM_BYTES);
    new DataView(trailer.buffer).setBigUint64(0, sum.digest(), true);
    const short = (n: number, want: number) => {
      if (n < want) throw new Error(`the write stopped after ${n} of ${want} bytes`);
    };
    short(await body, bodyEnd);
    short(await writeAllv(fd, [trailer], SUM_BYTES, bodyEnd), SUM_BYTES);
    const done = fd;
    fd = null; // closed once, even if close throws (a second close could hit a descriptor reused meanwhile)
    closeSync(done);
    renameSync(tmp, f.path);
    return bodyEnd + SUM_BYTES;
  } catch (err) {
    await body?.catch(() => 0); // a write in flight must end before its descriptor is closed (and reused)
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
}

const readvAt = promisify(readv);
const writevAt = promisify(writev);

/**
 * readv/writev until `total` bytes from `pos` are done: either may stop short (at most IOV_MAX parts a
 * call, a signal); a read also stops at the end of the file. Returns the bytes done.
 */
async function readAllv(fd: number, parts: Uint8Array[], total: number, pos = 0): Promise<number> {
  return allv(fd, parts, total, pos, async (bufs, at) => (await readvAt(fd, bufs, at)).bytesRead);
}

async function writeAllv(fd: number, parts: Uint8Array[], total: number, pos = 0): Promise<number> {
  return allv(fd, parts, total, pos, async (bufs, at) => (await writevAt(fd, bufs, at)).bytesWritten);
}

async function allv(
  fd: number,
  parts: Uint8Array[],
  total: number,
  pos: number,
  io: (bufs: Uint8Array[], at: number) => Promise<number>,
): Promise<number> {
  let done = 0;
  while (done < total) {
    let skip = done;
    let i = 0;
    while (skip >= parts[i]!.length) skip -= parts[i++]!.length;
    const n = await io([parts[i]!.subarray(skip), ...parts.slice(i + 1, i + IOV_MAX)], pos + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}

const IOV_MAX = 1024;
