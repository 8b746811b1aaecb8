// The message tree. Edit and regenerate add siblings; the conversation's active leaf names the path
// shown. A path's token log is the concatenation of its messages' token ids back to the nearest reset.
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.ts';
import { decodeTokenIds, encodeTokenIds } from './token-ids.ts';
import { parseTurnStats } from '../../shared/turn-stats.ts';
import type { Message, Role, StopReason } from './types.ts';

interface Row {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: Role;
  content: string;
  created_at: number;
  token_ids: Buffer | null;
  log_reset: number;
  context_from_id: string | null;
  token_end: number | null;
  stop_reason: StopReason | null;
  stats: string | null;
}

const COLS =
  'id, conversation_id, parent_id, role, content, created_at, token_ids, log_reset, context_from_id, token_end, stop_reason, stats';

function fromRow(r: Row): Message {
  let stats: Message['stats'];
  try {
    stats = r.stats ? parseTurnStats(JSON.parse(r.stats)) : null;
  } catch {
    stats = null;
  }
  return {
    id: r.id,
    conversationId: r.conversation_id,
    parentId: r.parent_id,
    role: r.role,
    content: r.content,
    createdAt: r.created_at,
    tokenIds: r.token_ids ? decodeTokenIds(r.token_ids) : null,
    logReset: r.log_reset === 1,
    contextFromId: r.context_from_id,
    tokenEnd: r.token_end,
    stopReason: r.stop_reason,
    stats,
  };
}

type Optional = 'id' | 'createdAt' | 'tokenIds' | 'logReset' | 'contextFromId' | 'tokenEnd' | 'stopReason' | 'stats';
export type NewMessage = Omit<Message, Optional> & Partial<Pick<Message, Optional>>;

export class MessageRepo {
  private insertStmt: Statement | undefined;
  private readonly pathCache = new Map<string, readonly string[]>();
  constructor(private readonly db: Db) {}

  insert(m: NewMessage): Message {
    const id = m.id ?? randomUUID();
    if (m.parentId) {
      const p = this.get(m.parentId);
      if (!p || p.conversationId !== m.conversationId)
        throw new Error(`parent message ${m.parentId} is not in conversation ${m.conversationId}`);
    }
    this.insertTrusted({ ...m, id });
    return this.get(id)!;
  }

  /**
   * An insert for a bulk import whose tree was validated beforehand: one prepared statement, no lookups
   * of the parent or of the row written (the foreign keys still hold).
   */
  insertTrusted(m: NewMessage & { id: string }): void {
    this.insertStmt ??= this.db.prepare(`INSERT INTO messages (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertStmt.run(
      m.id,
      m.conversationId,
      m.parentId,
      m.role,
      m.content,
      m.createdAt ?? Date.now(),
      m.tokenIds ? encodeTokenIds(m.tokenIds) : null,
      m.logReset ? 1 : 0,
      m.contextFromId ?? null,
      m.tokenEnd ?? null,
      m.stopReason ?? null,
      m.stats ? JSON.stringify(m.stats) : null,
    );
  }

  get(id: string): Message | undefined {
    const r = this.db.prepare(`SELECT ${COLS} FROM messages WHERE id = ?`).get(id) as Row | undefined;
    return r && fromRow(r);
  }

  require(id: string): Message {
    const m = this.get(id);
    if (!m) throw new Error(`no message with id ${id}`);
    return m;
  }

  children(id: string): Message[] {
    return (this.db.prepare(`SELECT ${COLS} FROM messages WHERE parent_id = ? ORDER BY n`).all(id) as Row[]).map(
      fromRow,
    );
  }

  roots(conversationId: string): Message[] {
    return (
      this.db
        .prepare(`SELECT ${COLS} FROM messages WHERE conversation_id = ? AND parent_id IS NULL ORDER BY n`)
        .all(conversationId) as Row[]
    ).map(fromRow);
  }

  /** Siblings including the message itself, in creation order (the branch switcher's list). */
  siblings(id: string): Message[] {
    const m = this.require(id);
    return m.parentId ? this.children(m.parentId) : this.roots(m.conversationId);
  }

  /** Message counts of every conversation that has any, in one query. */
  counts(): Map<string, number> {
    const rows = this.db
      .prepare('SELECT conversation_id AS id, count(*) AS n FROM messages GROUP BY conversation_id')
      .all() as Array<{ id: string; n: number }>;
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  all(conversationId: string): Message[] {
    return (
      this.db.prepare(`SELECT ${COLS} FROM messages WHERE conversation_id = ? ORDER BY n`).all(conversationId) as Row[]
    ).map(fromRow);
  }

  /** Root-to-leaf path ending at `leafId`. */
  path(leafId: string | null): Message[] {
    return this.byIds(this.pathIds(leafId));
  }

  /**
   * Ids of the root-to-leaf path ending at `leafId` (no message bodies: a long path is paged). A message's
   * path never changes (parents are fixed at insert), so the last few are kept: paging through a
   * 100k-message chat walks its chain once, and a new turn's path extends its parent's.
   */
  pathIds(leafId: string | null): readonly string[] {
    if (!leafId) return [];
    const hit = this.pathCache.get(leafId);
    if (hit) {
      this.pathCache.delete(leafId); // most recently used last
      this.pathCache.set(leafId, hit);
      return hit;
    }
    const parent = this.db.prepare('SELECT parent_id FROM messages WHERE id = ?').pluck().get(leafId) as
      string | null | undefined;
    if (parent === undefined) return [];
    const above = parent === null ? [] : this.pathCache.get(parent);
    const ids = above
      ? [...above, leafId]
      : (this.db
          .prepare(
            `WITH RECURSIVE up(id, depth) AS (
               SELECT ?, 0
               UNION ALL SELECT m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.id WHERE m.parent_id IS NOT NULL
             )
             SELECT up.id FROM up ORDER BY up.depth DESC`,
          )
          .pluck()
          .all(leafId) as string[]);
    this.pathCache.set(leafId, ids);
    if (this.pathCache.size > 8) this.pathCache.delete(this.pathCache.keys().next().value!);
    return ids;
  }

  /** The messages with these ids, in the order given (missing ones skipped). */
  byIds(ids: readonly string[]): Message[] {
    const rows = this.db
      .prepare(`SELECT ${COLS} FROM messages WHERE id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(ids)) as Row[];
    const by = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const r = by.get(id);
      return r ? [fromRow(r)] : [];
    });
  }

  /** Children ids of each given parent (null = the conversation's roots), in creation order. */
  childIds(conversationId: string, parentIds: ReadonlyArray<string | null>): Map<string | null, string[]> {
    const ids = parentIds.filter((p): p is string => p !== null);
    const rows = this.db
      .prepare(
        `SELECT n, id, parent_id AS parentId FROM messages WHERE parent_id IN (SELECT value FROM json_each(?))
         UNION ALL SELECT n, id, NULL FROM messages WHERE ? AND conversation_id = ? AND parent_id IS NULL
         ORDER BY n`,
      )
      .all(JSON.stringify(ids), parentIds.includes(null) ? 1 : 0, conversationId) as Array<{
      id: string;
      parentId: string | null;
    }>;
    const out = new Map<string | null, string[]>();
    for (const r of rows) {
      const list = out.get(r.parentId);
      if (list) list.push(r.id);
      else out.set(r.parentId, [r.id]);
    }
    return out;
  }

  /** Ids of the conversation's messages with no reply: the ends of its branches. */
  leaves(conversationId: string): string[] {
    return (
      this.db
        .prepare(
          `SELECT id FROM messages m WHERE conversation_id = ?
           AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.parent_id = m.id) ORDER BY n`,
        )
        .all(conversationId) as Array<{ id: string }>
    ).map((r) => r.id);
  }

  /** The token log that was in the model after `leafId` (null if a message on the way never ran). */
  tokenLog(leafId: string | null): number[] | null {
    const ids = this.pathIds(leafId);
    // read from the leaf back to the latest reset, a slice at a time: a log that is absent (an imported
    // message that never ran) is known from its last messages, without reading a long path's rows
    const pieces: Buffer[] = [];
    const stmt = this.db.prepare(
      'SELECT id, token_ids AS tokenIds, log_reset AS logReset FROM messages WHERE id IN (SELECT value FROM json_each(?))',
    );
    for (let end = ids.length; end > 0; end -= 512) {
      const slice = ids.slice(Math.max(0, end - 512), end);
      const rows = new Map(
        (stmt.all(JSON.stringify(slice)) as Array<{ id: string; tokenIds: Buffer | null; logReset: number }>).map(
          (r) => [r.id, r],
        ),
      );
      for (let k = slice.length - 1; k >= 0; k--) {
        const r = rows.get(slice[k]!);
        if (!r?.tokenIds) return null;
        pieces.push(r.tokenIds);
        if (r.logReset === 1) return decodeTokenIds(Buffer.concat(pieces.reverse()));
      }
    }
    return decodeTokenIds(Buffer.concat(pieces.reverse()));
  }

  /** Following the newest child at each step: where switching to a branch lands. */
  newestLeaf(id: string): string {
    let cur = id;
    for (;;) {
      const r = this.db.prepare('SELECT id FROM messages WHERE parent_id = ? ORDER BY n DESC LIMIT 1').get(cur) as
        { id: string } | undefined;
      if (!r) return cur;
      cur = r.id;
    }
  }

  /** Records the ids a message put into the model (a message that had none, e.g. imported, on its first run). */
  setRun(
    id: string,
    run: { tokenIds: number[]; tokenEnd: number; logReset?: boolean; contextFromId?: string | null },
  ): void {
    this.db
      .prepare('UPDATE messages SET token_ids = ?, token_end = ?, log_reset = ?, context_from_id = ? WHERE id = ?')
      .run(encodeTokenIds(run.tokenIds), run.tokenEnd, run.logReset ? 1 : 0, run.contextFromId ?? null, id);
  }

  /** The messages of a path that are in its token log: from the latest reset's context start on. */
  contextWindow(path: Message[]): { start: number } {
    for (let i = path.length - 1; i >= 0; i--) {
      const m = path[i]!;
      if (!m.logReset) continue;
      const j = m.contextFromId ? path.findIndex((x) => x.id === m.contextFromId) : 0;
      return { start: j >= 0 && j <= i ? j : 0 };
    }
    return { start: 0 };
  }

  count(conversationId?: string): number {
    const r = conversationId
      ? this.db.prepare('SELECT count(*) AS n FROM messages WHERE conversation_id = ?').get(conversationId)
      : this.db.prepare('SELECT count(*) AS n FROM messages').get();
    return (r as { n: number }).n;
  }
}
