import { randomUUID } from 'node:crypto';
import type { CodecName } from '../kv/codec/types.ts';
import type { Db } from './database.ts';
import { type Conversation, type Sampling, samplingSchema } from './types.ts';

interface Row {
  id: string;
  title: string;
  created_at: number;
  updated_at: number;
  model: string;
  model_fingerprint: string;
  system_prompt: string;
  sampling: string;
  codec: CodecName;
  active_leaf_id: string | null;
  cache_salt: string | null;
  cache_verified_at: number | null;
}

function fromRow(r: Row): Conversation {
  const parsed = samplingSchema.safeParse(safeJson(r.sampling));
  return {
    id: r.id,
    title: r.title,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    model: r.model,
    modelFingerprint: r.model_fingerprint,
    systemPrompt: r.system_prompt,
    sampling: parsed.success ? parsed.data : {},
    codec: r.codec,
    activeLeafId: r.active_leaf_id,
    cacheSalt: r.cache_salt,
    cacheVerifiedAt: r.cache_verified_at,
  };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return {};
  }
}

/**
 * A conversation an import is still writing (exchange/import-writer.ts) has a marker row beside it, with
 * the id `staging:<its id>`: while the marker exists neither is listed, counted or searched. Publishing
 * deletes the marker (one row, however long the conversation); start-up after a crash deletes both.
 */
export const STAGING_PREFIX = 'staging:';
/** SQL: the conversation id `col` is a published one (neither a marker nor marked). */
export const PUBLISHED = (col: string) =>
  `(substr(${col}, 1, ${STAGING_PREFIX.length}) <> '${STAGING_PREFIX}' AND NOT EXISTS (SELECT 1 FROM conversations s WHERE s.id = '${STAGING_PREFIX}' || ${col}))`;

export interface NewConversation {
  id?: string;
  title?: string;
  model?: string;
  modelFingerprint?: string;
  systemPrompt?: string;
  sampling?: Sampling;
  codec?: CodecName;
  createdAt?: number;
  updatedAt?: number;
}

export class ConversationRepo {
  constructor(private readonly db: Db) {}

  create(c: NewConversation): Conversation {
    const now = Date.now();
    const id = c.id ?? randomUUID();
    this.db
      .prepare(
        `INSERT INTO conversations (id, title, created_at, updated_at, model, model_fingerprint, system_prompt, sampling, codec)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        c.title ?? 'New chat',
        c.createdAt ?? now,
        c.updatedAt ?? c.createdAt ?? now,
        c.model ?? '',
        c.modelFingerprint ?? '',
        c.systemPrompt ?? '',
        JSON.stringify(samplingSchema.parse(c.sampling ?? {})),
        c.codec ?? 'exact',
      );
    return this.require(id);
  }

  get(id: string): Conversation | undefined {
    const r = this.db.prepare('SELECT * FROM conversations WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  require(id: string): Conversation {
    const c = this.get(id);
    if (!c) throw new Error(`no conversation with id ${id}`);
    return c;
  }

  /** Most recently updated first. */
  list(opts: { limit?: number; offset?: number } = {}): Conversation[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM conversations WHERE ${PUBLISHED('conversations.id')} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`,
      )
      .all(opts.limit ?? -1, opts.offset ?? 0) as Row[];
    return rows.map(fromRow);
  }

  // Only a new message moves a conversation up the list (touch, from commitMessages): renaming, settings
  // and switching branches keep its place.
  rename(id: string, title: string): void {
    this.mustChange(this.db.prepare('UPDATE conversations SET title = ? WHERE id = ?').run(title, id).changes, id);
  }

  /** A new message: the conversation moves to the top of the list. */
  touch(id: string, now = Date.now()): void {
    this.mustChange(this.db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(now, id).changes, id);
  }

  update(
    id: string,
    patch: { systemPrompt?: string; sampling?: Sampling; codec?: CodecName; model?: string; modelFingerprint?: string },
  ): Conversation {
    const c = this.require(id);
    this.db
      .prepare(
        'UPDATE conversations SET system_prompt = ?, sampling = ?, codec = ?, model = ?, model_fingerprint = ? WHERE id = ?',
      )
      .run(
        patch.systemPrompt ?? c.systemPrompt,
        JSON.stringify(samplingSchema.parse(patch.sampling ?? c.sampling)),
        patch.codec ?? c.codec,
        patch.model ?? c.model,
        patch.modelFingerprint ?? c.modelFingerprint,
        id,
      );
    return this.require(id);
  }

  setActiveLeaf(id: string, leafId: string | null): void {
    this.mustChange(
      this.db.prepare('UPDATE conversations SET active_leaf_id = ? WHERE id = ?').run(leafId, id).changes,
      id,
    );
  }

  /**
   * Deletes the conversation, its messages and (through ref counts) every block nobody else uses. The
   * messages' parent links are cut first: cascading down a chain nests one trigger per message, and SQLite
   * refuses past 1,000 levels ("too many levels of trigger recursion": a 2,000-message chat could not be
   * deleted).
   */
  delete(id: string): boolean {
    return this.db.transaction(() => {
      this.db
        .prepare('UPDATE messages SET parent_id = NULL WHERE conversation_id = ? AND parent_id IS NOT NULL')
        .run(id);
      return this.db.prepare('DELETE FROM conversations WHERE id = ?').run(id).changes > 0;
    })();
  }

  /** Marks a conversation being imported: not listed, counted or searched until `publish`. */
  stage(id: string): void {
    this.db
      .prepare(`INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, '', 0, 0)`)
      .run(STAGING_PREFIX + id);
  }

  publish(id: string): void {
    this.db.prepare('DELETE FROM conversations WHERE id = ?').run(STAGING_PREFIX + id);
  }

  /** Deletes what imports left unpublished (a crash mid-import, at start-up); returns how many. */
  discardStaged(): number {
    const markers = this.db
      .prepare(`SELECT id FROM conversations WHERE substr(id, 1, ?) = ?`)
      .pluck()
      .all(STAGING_PREFIX.length, STAGING_PREFIX) as string[];
    for (const m of markers) {
      this.delete(m.slice(STAGING_PREFIX.length));
      this.delete(m);
    }
    return markers.length;
  }

  count(): number {
    return (
      this.db.prepare(`SELECT count(*) AS n FROM conversations WHERE ${PUBLISHED('conversations.id')}`).get() as {
        n: number;
      }
    ).n;
  }

  /** Marks the conversation's cache as imported from a file, keyed with `salt` (null: computed here). */
  setCacheSalt(id: string, salt: string | null): void {
    this.mustChange(
      this.db.prepare('UPDATE conversations SET cache_salt = ?, cache_verified_at = NULL WHERE id = ?').run(salt, id)
        .changes,
      id,
    );
  }

  /** Records that the imported cache was checked against a local recomputation. */
  setCacheVerified(id: string, at: number): void {
    this.mustChange(
      this.db.prepare('UPDATE conversations SET cache_verified_at = ? WHERE id = ?').run(at, id).changes,
      id,
    );
  }

  private mustChange(changes: number, id: string) {
    if (changes === 0) throw new Error(`no conversation with id ${id}`);
  }
}
