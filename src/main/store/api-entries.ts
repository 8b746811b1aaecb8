// The local API's records (migration 6): prompt-cache entries that own the blocks a request saved, and
// stored Responses-API responses with their chain and exact token log.
import type { NewBlock } from '../kv/ports.ts';
import type { Db } from './database.ts';
import { decodeTokenIds, encodeTokenIds } from './token-ids.ts';

export type ApiEntryKind = 'prompt' | 'response';

export interface ApiEntry {
  id: string;
  kind: ApiEntryKind;
  previousId: string | null;
  model: string;
  createdAt: number;
  lastUsedAt: number;
  /** Responses: the whole token log after the response (what a follow-up extends). */
  tokenLog: number[] | null;
  /** Responses: the response object as returned, JSON. */
  body: string | null;
}

interface Row {
  id: string;
  kind: ApiEntryKind;
  previous_id: string | null;
  model: string;
  created_at: number;
  last_used_at: number;
  token_log: Buffer | null;
  body: string | null;
}

const fromRow = (r: Row): ApiEntry => ({
  id: r.id,
  kind: r.kind,
  previousId: r.previous_id,
  model: r.model,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  tokenLog: r.token_log ? decodeTokenIds(r.token_log) : null,
  body: r.body,
});

export class ApiEntryRepo {
  constructor(private readonly db: Db) {}

  /** Creates (or replaces the record of) an entry; its blocks are attached separately. */
  put(e: Omit<ApiEntry, 'createdAt' | 'lastUsedAt'>, now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO api_entries (id, kind, previous_id, model, created_at, last_used_at, token_log, body)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET token_log = excluded.token_log, body = excluded.body, last_used_at = excluded.last_used_at`,
      )
      .run(e.id, e.kind, e.previousId, e.model, now, now, e.tokenLog ? encodeTokenIds(e.tokenLog) : null, e.body);
  }

  get(id: string): ApiEntry | null {
    const r = this.db.prepare('SELECT * FROM api_entries WHERE id = ?').get(id) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  touch(id: string, now = Date.now()): void {
    this.db.prepare('UPDATE api_entries SET last_used_at = ? WHERE id = ?').run(now, id);
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM api_entries WHERE id = ?').run(id).changes > 0;
  }

  /** Inserts blocks not yet stored and references `refs` from the entry (idempotent), atomically. */
  attachBlocks(
    id: string,
    blocks: readonly NewBlock[],
    refs: readonly string[],
    put: (b: readonly NewBlock[]) => void,
  ): void {
    const ref = this.db.prepare(
      'INSERT INTO api_entry_blocks (entry_id, block_hash) SELECT ?, hash FROM kv_blocks WHERE hash = ? ON CONFLICT DO NOTHING',
    );
    // a partial tail is superseded by the entry's later blocks: tails not in `refs` are released (after the
    // new references are in, so a tail that is still current never drops to refcount 0)
    const keep = JSON.stringify(refs);
    this.db.transaction(() => {
      put(blocks);
      for (const h of refs) ref.run(id, h);
      this.db
        .prepare(
          `DELETE FROM api_entry_blocks WHERE entry_id = ? AND block_hash NOT IN (SELECT value FROM json_each(?))
             AND block_hash IN (SELECT hash FROM kv_blocks WHERE kind = 'tail')`,
        )
        .run(id, keep);
    })();
  }

  /** Keeps the `keep` most recently used prompt entries; older ones release their blocks. */
  prunePrompts(keep: number): number {
    return this.db
      .prepare(
        `DELETE FROM api_entries WHERE kind = 'prompt' AND id NOT IN
           (SELECT id FROM api_entries WHERE kind = 'prompt' ORDER BY last_used_at DESC LIMIT ?)`,
      )
      .run(keep).changes;
  }

  /** Stored responses, newest first (for the app's list): their ids and dates only, no logs or bodies. */
  responses(limit = 100): Array<Pick<ApiEntry, 'id' | 'createdAt' | 'model'>> {
    return this.db
      .prepare(
        "SELECT id, created_at AS createdAt, model FROM api_entries WHERE kind = 'response' ORDER BY created_at DESC LIMIT ?",
      )
      .all(limit) as Array<Pick<ApiEntry, 'id' | 'createdAt' | 'model'>>;
  }
}
