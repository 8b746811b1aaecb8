// The store facade: one database, its repositories, and the one-transaction writes of a turn.
import { join } from 'node:path';
import type { NewBlock } from '../kv/block-store.ts';
import { budgetBytes, enforceBudget } from '../kv/budget.ts';
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

export class Store {
  readonly conversations: ConversationRepo;
  readonly messages: MessageRepo;
  readonly blocks: BlockRepo;

  constructor(readonly db: Db) {
    this.conversations = new ConversationRepo(db);
    this.messages = new MessageRepo(db);
    this.blocks = new BlockRepo(db);
  }

  /** Opens `<dir>/reprise.db` (or a file path ending in .db, or ':memory:'). */
  static open(dirOrFile: string): Store {
    const file = dirOrFile === ':memory:' || dirOrFile.endsWith('.db') ? dirOrFile : join(dirOrFile, DB_FILE);
    return new Store(openDatabase(file));
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
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
      if (last) this.conversations.setActiveLeaf(conversationId, last.id);
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

  search(text: string, limit?: number): SearchHit[] {
    return searchMessages(this.db, text, limit);
  }

  /** LRU-evicts blocks until the cache fits `mb` megabytes. Returns bytes freed. */
  enforceBudget(mb: number): number {
    return enforceBudget(this.blocks, budgetBytes(mb));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
