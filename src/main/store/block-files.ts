// KV block payloads as files beside the database (`<database>-kv/<hash>`), SQLite keeping only their index
// (kv_blocks). A 2k-token history is 50 MB of blocks; as SQLite blobs, inserting it cost 40-100 ms and
// reading it 14-56 ms before any decoding (issue #18), while the engine reads a file straight into its cache
// at memory speed (engine/kv-files.ts). A block file is immutable: written under a temporary name, renamed
// into place, removed when its index row goes (kv_block_gone, reaped after the deleting write).
import {
  closeSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HASH = /^[0-9a-f]{64}$/;
const TMP = /\.tmp$/;
let tmpSeq = 0;

export class BlockFiles {
  private constructor(
    readonly dir: string,
    /** An in-memory database's files: removed with it. */
    private readonly temporary: boolean,
  ) {}

  /** The folder of a database file (created 0700), or a temporary one for ':memory:'. */
  static forDatabase(file: string): BlockFiles {
    if (file === ':memory:') return new BlockFiles(mkdtempSync(join(tmpdir(), 'reprise-kv-')), true);
    const dir = `${file}-kv`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return new BlockFiles(dir, false);
  }

  /** Where a block's file is (or will be). Only a hash names a file: nothing else reaches the file system. */
  path(hash: string): string {
    if (!HASH.test(hash)) throw new Error(`not a block hash: ${JSON.stringify(hash.slice(0, 80))}`);
    return join(this.dir, hash);
  }

  /** Writes a block's payload, complete before it appears under its name. */
  write(hash: string, data: Uint8Array): void {
    const path = this.path(hash);
    const tmp = `${path}.${process.pid}-m${tmpSeq++}.tmp`;
    try {
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  /**
   * A block's payload when its file holds exactly `bytes` bytes (the size its index row records), else
   * undefined: a file cut short or grown is not read, and nothing past the recorded size is ever allocated.
   */
  read(hash: string, bytes: number): Buffer | undefined {
    let fd: number;
    try {
      fd = openSync(this.path(hash), 'r');
    } catch {
      return undefined;
    }
    try {
      if (fstatSync(fd).size !== bytes) return undefined;
      const out = Buffer.allocUnsafe(bytes);
      for (let off = 0; off < bytes;) {
        const n = readSync(fd, out, off, bytes - off, off);
        if (n <= 0) return undefined;
        off += n;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }

  size(hash: string): number | undefined {
    try {
      return statSync(this.path(hash)).size;
    } catch {
      return undefined;
    }
  }

  remove(hash: string): void {
    rmSync(this.path(hash), { force: true });
  }

  /**
   * Removes files no index row names, and temporary files: what a crash between a file's write and its
   * row's commit leaves. Only files older than `minAgeMs`: another process on the same folder may be
   * between the two right now.
   */
  sweep(indexed: (hash: string) => boolean, minAgeMs: number, now = Date.now()): number {
    let removed = 0;
    for (const name of readdirSync(this.dir)) {
      const orphan = TMP.test(name) || (HASH.test(name) && !indexed(name));
      if (!orphan) continue;
      const path = join(this.dir, name);
      try {
        if (now - statSync(path).mtimeMs < minAgeMs) continue;
        rmSync(path, { force: true });
        removed++;
      } catch {
        // gone already
      }
    }
    return removed;
  }

  close(): void {
    if (this.temporary) rmSync(this.dir, { recursive: true, force: true });
  }
}
