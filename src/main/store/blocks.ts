// The store side of kv/: block payloads (files, block-files.ts) and their SQLite index, references from
// messages, LRU bookkeeping, budget eviction.
import type { BlockFileInfo, BlockSource, NewBlock } from '../kv/ports.ts';
import type { EvictableIndex } from '../kv/budget.ts';
import type { BlockHash } from '../kv/hash.ts';
import type { CodecName } from '../kv/codec/types.ts';
import type { BlockFiles } from './block-files.ts';
import type { Db } from './database.ts';
import type { Statement } from 'better-sqlite3';

/** A file no row names is removed at open only past this age: another process may be about to commit it. */
const ORPHAN_AGE_MS = 10 * 60 * 1000;

export interface BlockInfo {
  hash: string;
  parentHash: string;
  kind: 'full' | 'tail';
  tokenStart: number;
  tokenCount: number;
  codec: string;
  fingerprint: string;
  rawBytes: number;
  storedBytes: number;
  refcount: number;
  lastUsedAt: number;
}

export class BlockRepo implements BlockSource, EvictableIndex {
  // prepared once: a turn looks up every block of its history (32 for 2k tokens) twice, ~15 µs a prepare;
  // the start-up sweep and the reap look up every file they consider
  private fileStmt?: Statement;
  private hasStmt?: Statement;

  constructor(
    private readonly db: Db,
    readonly files: BlockFiles,
  ) {}

  /**
   * Start-up: payloads still in SQLite (written before block files) move to files, then what a crash left
   * behind goes: files of deleted rows, files no row names, temporary files.
   */
  open(): void {
    const batch = this.db.prepare('SELECT hash, data FROM kv_block_data LIMIT 64');
    const del = this.db.prepare('DELETE FROM kv_block_data WHERE hash = ?');
    for (;;) {
      const rows = batch.all() as Array<{ hash: string; data: Buffer }>;
      if (!rows.length) break;
      for (const r of rows) this.files.write(r.hash, r.data); // before the row goes: a crash here repeats it
      this.db.transaction(() => rows.forEach((r) => del.run(r.hash)))();
    }
    this.reap();
    this.files.sweep((h) => this.hasBlock(h as BlockHash), ORPHAN_AGE_MS); // sweep passes only hash-shaped names
  }

  /** Removes the files of rows deleted since the last call (cheap when none were). */
  reap(): void {
    const gone = this.db.prepare('SELECT hash FROM kv_block_gone').all() as Array<{ hash: BlockHash }>;
    if (!gone.length) return;
    for (const { hash } of gone) {
      try {
        if (!this.hasBlock(hash)) this.files.remove(hash);
      } catch {
        // left for the sweep at the next start
      }
    }
    const del = this.db.prepare('DELETE FROM kv_block_gone WHERE hash = ?');
    this.db.transaction(() => gone.forEach((g) => del.run(g.hash)))();
  }

  /** The stored payload, read only when its file has the size the index records. */
  blockData(hash: BlockHash): Uint8Array | undefined {
    const r = this.db.prepare('SELECT stored_bytes AS b FROM kv_blocks WHERE hash = ?').get(hash) as
      { b: number } | undefined;
    return r ? this.files.read(hash, r.b) : undefined;
  }

  hasBlock(hash: BlockHash): boolean {
    this.hasStmt ??= this.db.prepare('SELECT 1 FROM kv_blocks WHERE hash = ?');
    return this.hasStmt.get(hash) !== undefined;
  }

  blockFile(hash: BlockHash): BlockFileInfo | undefined {
    this.fileStmt ??= this.db.prepare('SELECT codec, stored_bytes AS storedBytes FROM kv_blocks WHERE hash = ?');
    const r = this.fileStmt.get(hash) as { codec: CodecName; storedBytes: number } | undefined;
    return r && { path: this.files.path(hash), ...r };
  }

  blockPath(hash: BlockHash): string {
    return this.files.path(hash);
  }

  info(hash: string): BlockInfo | undefined {
    const r = this.db
      .prepare(
        `SELECT hash, parent_hash AS parentHash, kind, token_start AS tokenStart, token_count AS tokenCount, codec, fingerprint,
                raw_bytes AS rawBytes, stored_bytes AS storedBytes, refcount, last_used_at AS lastUsedAt FROM kv_blocks WHERE hash = ?`,
      )
      .get(hash) as BlockInfo | undefined;
    return r;
  }

  /**
   * Inserts blocks not yet stored. Call inside the transaction that references them (unreferenced blocks are
   * freed). A block with `data` gets its file written here; one without was written by the engine already.
   */
  put(blocks: readonly NewBlock[], now = Date.now()): void {
    const meta = this.db.prepare(
      `INSERT INTO kv_blocks (hash, parent_hash, kind, token_start, token_count, codec, fingerprint, raw_bytes, stored_bytes, refcount, created_at, last_used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT(hash) DO NOTHING`,
    );
    const revive = this.db.prepare('DELETE FROM kv_block_gone WHERE hash = ?');
    for (const b of blocks) {
      const stored = b.storedBytes;
      if (b.data && b.data.length !== stored)
        throw new Error(`block ${b.hash}: ${b.data.length} bytes, said ${stored}`);
      // the engine's file vanished (removed by another process's sweep, say): the block is simply not stored,
      // and the write it belongs to goes on (references to it are skipped, see addRefs)
      if (!b.data && this.files.size(b.hash) !== stored) continue;
      const added =
        meta.run(b.hash, b.parentHash, b.kind, b.start, b.count, b.codec, b.fingerprint, b.rawBytes, stored, now, now)
          .changes > 0;
      if (!added) continue;
      revive.run(b.hash); // deleted earlier, stored again before the reap: the file stays
      if (b.data) this.files.write(b.hash, b.data);
    }
  }

  /**
   * Rewrites a stored block's payload in place (same identity, references kept): verification replaces
   * an imported block whose KV differs from a local recomputation. False when the block is not stored.
   */
  replaceData(hash: BlockHash, data: Buffer, codec: string): boolean {
    return this.db.transaction(() => {
      const old = this.db.prepare('SELECT stored_bytes AS b FROM kv_blocks WHERE hash = ?').get(hash) as
        { b: number } | undefined;
      if (!old) return false;
      this.db.prepare('UPDATE kv_blocks SET stored_bytes = ?, codec = ? WHERE hash = ?').run(data.length, codec, hash);
      this.files.write(hash, data); // renamed over the old file: a reader sees one or the other, whole
      // kv_usage is kept by insert/delete triggers only
      this.db.prepare('UPDATE kv_usage SET stored_bytes = stored_bytes + ? WHERE id = 1').run(data.length - old.b);
      return true;
    })();
  }

  /** References `hashes` from a message (idempotent). Hashes not stored are skipped: a block can be evicted or dropped at any time. */
  addRefs(messageId: string, hashes: readonly string[]): void {
    const st = this.db.prepare(
      'INSERT INTO message_blocks (message_id, block_hash) SELECT ?, hash FROM kv_blocks WHERE hash = ? ON CONFLICT DO NOTHING',
    );
    for (const h of hashes) st.run(messageId, h);
  }

  /** Releases a message's partial tail block(s): replaced by the child's blocks as the log grows. */
  releaseTails(messageId: string): void {
    this.db
      .prepare(
        `DELETE FROM message_blocks WHERE message_id = ? AND block_hash IN (SELECT hash FROM kv_blocks WHERE kind = 'tail')`,
      )
      .run(messageId);
  }

  refs(messageId: string): string[] {
    return (
      this.db.prepare('SELECT block_hash FROM message_blocks WHERE message_id = ?').all(messageId) as Array<{
        block_hash: string;
      }>
    ).map((r) => r.block_hash);
  }

  touch(hashes: readonly string[], now = Date.now()): void {
    const st = this.db.prepare('UPDATE kv_blocks SET last_used_at = ? WHERE hash = ?');
    this.db.transaction(() => {
      for (const h of hashes) st.run(now, h);
    })();
  }

  /** Removes blocks outright (corrupt ones found on resume, evictions): references go too, atomically. */
  drop(hashes: readonly string[]): void {
    const refs = this.db.prepare('DELETE FROM message_blocks WHERE block_hash = ?');
    const blk = this.db.prepare('DELETE FROM kv_blocks WHERE hash = ?');
    this.db.transaction(() => {
      for (const h of hashes) {
        refs.run(h);
        blk.run(h);
      }
    })();
    if (!this.db.inTransaction) this.reap();
  }

  usedBytes(): number {
    return (this.db.prepare('SELECT stored_bytes AS b FROM kv_usage WHERE id = 1').get() as { b: number }).b;
  }

  usage(): { storedBytes: number; rawBytes: number; blocks: number } {
    const r = this.db
      .prepare(
        'SELECT coalesce(sum(stored_bytes), 0) AS s, coalesce(sum(raw_bytes), 0) AS r, count(*) AS n FROM kv_blocks',
      )
      .get() as { s: number; r: number; n: number };
    return { storedBytes: r.s, rawBytes: r.r, blocks: r.n };
  }

  /** What the blocks of some model fingerprints take (for "delete this model's cache: frees N MB"). */
  usageByFingerprint(fingerprints: readonly string[]): { storedBytes: number; blocks: number } {
    let storedBytes = 0;
    let blocks = 0;
    const st = this.db.prepare(
      'SELECT coalesce(sum(stored_bytes), 0) AS s, count(*) AS n FROM kv_blocks WHERE fingerprint = ?',
    );
    for (const fp of new Set(fingerprints)) {
      const r = st.get(fp) as { s: number; n: number };
      storedBytes += r.s;
      blocks += r.n;
    }
    return { storedBytes, blocks };
  }

  /** Drops every block of these fingerprints (their conversations then re-read their history once). */
  dropByFingerprint(fingerprints: readonly string[]): number {
    const sel = this.db.prepare('SELECT hash FROM kv_blocks WHERE fingerprint = ?');
    const hashes = [...new Set(fingerprints)].flatMap((fp) =>
      (sel.all(fp) as Array<{ hash: string }>).map((r) => r.hash),
    );
    this.drop(hashes);
    return hashes.length;
  }

  lruCandidates(limit: number): Array<{ hash: string; storedBytes: number }> {
    return this.db
      .prepare(
        'SELECT hash, stored_bytes AS storedBytes FROM kv_blocks ORDER BY last_used_at ASC, token_start DESC LIMIT ?',
      )
      .all(limit) as Array<{ hash: string; storedBytes: number }>;
  }

  evict(hashes: string[]): void {
    this.drop(hashes);
  }
}
