// The store facade: one database, its repositories, and the one-transaction writes of a turn.
import { join } from 'node:path';
import type { NewBlock } from '../kv/ports.ts';
import { budgetBytes, enforceBudget } from '../kv/budget.ts';
import { ApiEntryRepo } from './api-entries.ts';
import { BlockFiles } from './block-files.ts';
import { BlockRepo } from './blocks.ts';
import { ConversationRepo } from './conversations.ts';
import { type Db, openDatabase } from './database.ts';
import { type NewMessage, MessageRepo } from './messages.ts';
import { type SearchHit, searchMessages } from './search.ts';
import type { Message } from './types.ts';

export const DB_FILE = 'reprise.db';

export interface MessageWrite {
  message: NewMessage;
  /** Blocks to insert and the hashes the message references (new or already stored). */
  blocks?: readonly NewBlock[];
  refs?: readonly string[];
}

/** Quiet time after the last write before the WAL is checkpointed. */
export const CHECKPOINT_IDLE_MS = 1000;

export class Store {
  readonly conversations: ConversationRepo;
  readonly messages: MessageRepo;
  readonly blocks: BlockRepo;
  readonly apiEntries: ApiEntryRepo;
  private checkpointTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly db: Db,
    files: BlockFiles,
    private readonly checkpointIdleMs = CHECKPOINT_IDLE_MS,
  ) {
    this.conversations = new ConversationRepo(db);
    this.messages = new MessageRepo(db);
    this.blocks = new BlockRepo(db, files);
    this.apiEntries = new ApiEntryRepo(db);
  }

  /** Opens `<dir>/reprise.db` (or a file path ending in .db, or ':memory:'). */
  static open(dirOrFile: string, o: { checkpointIdleMs?: number; skipIntegrityCheck?: boolean } = {}): Store {
    const file = dirOrFile === ':memory:' || dirOrFile.endsWith('.db') ? dirOrFile : join(dirOrFile, DB_FILE);
    const db = openDatabase(file, o);
    let store: Store;
    try {
      store = new Store(db, BlockFiles.forDatabase(file), o.checkpointIdleMs);
    } catch (err) {
      db.close();
      throw err;
    }
    if (!o.skipIntegrityCheck) {
      store.conversations.discardStaged(); // an import cut short by a crash
      store.blocks.open();
    }
    return store;
  }

  transaction<T>(fn: () => T): T {
    const out = this.db.transaction(fn)();
    if (!this.db.inTransaction) this.blocks.reap(); // files of blocks the write freed (writes that free blocks come here)
    this.checkpointWhenIdle();
    return out;
  }

  /**
   * Copies the WAL back into the database once writes pause, so that no turn's commit pays for it (a few
   * MB of KV blocks take ~40 ms here). Each write restarts the wait; the timer never keeps the process alive.
   */
  private checkpointWhenIdle(): void {
    if (this.db.memory || !this.db.open) return;
    if (this.checkpointTimer) {
      this.checkpointTimer.refresh();
      return;
    }
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = null;
      if (this.db.open) this.blocks.reap(); // blocks freed by writes outside transaction() (deletes)
      this.checkpoint();
    }, this.checkpointIdleMs);
    this.checkpointTimer.unref();
  }

  /** A passive WAL checkpoint; failing (e.g. a full disk) leaves the WAL as it is, and a later one retries. */
  checkpoint(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // committed data stays readable from the WAL; SQLite keeps the database consistent
    }
  }

  /**
   * One atomic write (DESIGN invariant 5): messages with their token ids, their new KV blocks and
   * references, the parent's partial tail released (the child's blocks supersede it), the active leaf
   * moved to the last message.
   */
  commitMessages(conversationId: string, writes: readonly MessageWrite[]): Message[] {
    return this.transaction(() => {
      const out: Message[] = [];
      for (const w of writes) {
        const m = this.messages.insert({ ...w.message, conversationId });
        if (w.blocks?.length) this.blocks.put(w.blocks);
        if (w.refs?.length) {
          this.blocks.addRefs(m.id, w.refs);
          if (m.parentId) this.blocks.releaseTails(m.parentId);
        }
        out.push(m);
      }
      const last = out[out.length - 1];
      if (last) {
        this.conversations.setActiveLeaf(conversationId, last.id);
        this.conversations.touch(conversationId);
      }
      return out;
    });
  }

  /** Adds blocks to an existing message (e.g. a re-save after a fallback), atomically. */
  attachBlocks(messageId: string, blocks: readonly NewBlock[], refs: readonly string[]): void {
    this.transaction(() => {
      this.blocks.put(blocks);
      this.blocks.addRefs(messageId, refs);
      const m = this.messages.get(messageId);
      if (m?.parentId) this.blocks.releaseTails(m.parentId);
    });
  }

  /** Adds blocks to an API entry, atomically (see ApiEntryRepo). */
  attachApiBlocks(entryId: string, blocks: readonly NewBlock[], refs: readonly string[]): void {
    this.transaction(() => this.apiEntries.attachBlocks(entryId, blocks, refs, (b) => this.blocks.put(b)));
  }

  search(text: string, limit?: number): SearchHit[] {
    return searchMessages(this.db, text, limit);
  }

  /** LRU-evicts blocks until the cache fits `mb` megabytes. Returns bytes freed. */
  enforceBudget(mb: number): number {
    return enforceBudget(this.blocks, budgetBytes(mb));
  }

  close(): void {
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.checkpointTimer = null;
    if (this.db.open) {
      this.blocks.reap();
      this.db.close(); // closing the last connection checkpoints and removes the WAL
    }
    this.blocks.files.close();
  }
}
