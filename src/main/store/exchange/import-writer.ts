// Writing a validated import. Two ways, one sequence of steps:
// - at once: every step in one transaction (the CLI, tools, tests);
// - staged (the app): the steps run in short transactions that yield to the event loop between them, so a
//   100k-message import no longer blocks every other request for its whole write. The conversations are
//   written under a `staging:` id that no list, count or search shows, and published in one last
//   transaction (renamed to their real id, active leaf set). A failure deletes what was staged, and a
//   crash leaves only staging rows, which the next Store.open discards: nothing half-imported is listed.
import { randomUUID } from 'node:crypto';
import type { NewBlock } from '../../kv/ports.ts';
import { STAGING_PREFIX } from '../conversations.ts';
import type { Store } from '../store.ts';
import type { ConversationExport } from './schema.ts';

export interface ImportPlan {
  conversations: ConversationExport[];
  /** A bundle's blocks (already salted), the file's message ids that reference each, and the salt. */
  blocks?: { list: NewBlock[]; owners: string[][]; salt: string };
}

export interface Written {
  ids: string[];
  importedBlocks: number;
  /** Old (file) message id → new id, keyed `${conversation id in the file}\0${message id}`. */
  messageIds: Map<string, string>;
}

interface Pending {
  id: string;
  finalId: string;
  leaf: string | null;
  updatedAt: number;
}

/** The writes of an import, one small unit per step (yield = a point where a transaction may end). */
function* steps(
  store: Store,
  plan: ImportPlan,
  staged: string[] | null,
  out: Written,
  pending: Pending[],
): Generator<void> {
  for (const c of plan.conversations) {
    const finalId = randomUUID();
    const id = staged ? STAGING_PREFIX + finalId : finalId;
    staged?.push(id);
    store.conversations.create({
      id,
      title: c.title,
      model: c.model,
      modelFingerprint: c.modelFingerprint,
      systemPrompt: c.systemPrompt,
      sampling: c.sampling,
      codec: c.codec,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    });
    const local = new Map<string, string>();
    for (const m of c.messages) {
      const nid = randomUUID();
      // parents were checked to come first within the conversation (checkTree): no per-row lookups
      store.messages.insertTrusted({
        id: nid,
        conversationId: id,
        parentId: m.parentId === null ? null : local.get(m.parentId)!,
        role: m.role,
        content: m.content,
        createdAt: m.createdAt,
        tokenIds: m.tokenIds ?? null,
        logReset: m.logReset ?? false,
        contextFromId: m.contextFromId ? (m.contextFromId === m.id ? nid : (local.get(m.contextFromId) ?? null)) : null,
        tokenEnd: m.tokenEnd ?? null,
        stopReason: m.stopReason ?? null,
        stats: m.stats ?? null,
      });
      local.set(m.id, nid);
      out.messageIds.set(`${c.id}\u0000${m.id}`, nid);
      yield;
    }
    pending.push({ id, finalId, leaf: c.activeLeafId ? local.get(c.activeLeafId)! : null, updatedAt: c.updatedAt });
  }
  const blocks = plan.blocks;
  if (!blocks) return;
  const fileConvId = plan.conversations[0]!.id;
  for (const [i, blk] of blocks.list.entries()) {
    const had = store.blocks.hasBlock(blk.hash);
    store.blocks.put([blk]);
    if (!had) out.importedBlocks++;
    for (const old of blocks.owners[i]!)
      store.blocks.addRefs(out.messageIds.get(`${fileConvId}\u0000${old}`)!, [blk.hash]);
    yield;
  }
}

/** Makes the written conversations what they are: real ids, active leaf, time, cache salt. In a transaction. */
function publish(store: Store, plan: ImportPlan, pending: Pending[], out: Written): void {
  const db = store.db;
  if (pending.some((p) => p.id !== p.finalId)) db.pragma('defer_foreign_keys = ON'); // ends with the transaction
  for (const p of pending) {
    if (p.id !== p.finalId) {
      db.prepare('UPDATE conversations SET id = ? WHERE id = ?').run(p.finalId, p.id);
      db.prepare('UPDATE messages SET conversation_id = ? WHERE conversation_id = ?').run(p.finalId, p.id);
    }
    if (p.leaf) store.conversations.setActiveLeaf(p.finalId, p.leaf);
    db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(p.updatedAt, p.finalId);
    if (plan.blocks?.list.length) store.conversations.setCacheSalt(p.finalId, plan.blocks.salt);
    out.ids.push(p.finalId);
  }
}

const fresh = (): Written => ({ ids: [], importedBlocks: 0, messageIds: new Map() });

/** Everything in one transaction. */
export function writeImport(store: Store, plan: ImportPlan): Written {
  return store.transaction(() => {
    const out = fresh();
    const pending: Pending[] = [];
    for (const _ of steps(store, plan, null, out, pending));
    publish(store, plan, pending, out);
    return out;
  });
}

export interface StagedOptions {
  /** How long one transaction may hold the event loop before the next request gets its turn. */
  sliceMs?: number;
  /** After each slice: steps written so far of `total` (messages + blocks). */
  onProgress?: (done: number, total: number) => void;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** In slices that yield to the event loop; visible only once complete; on failure nothing is left. */
export async function writeImportStaged(store: Store, plan: ImportPlan, o: StagedOptions = {}): Promise<Written> {
  const sliceMs = o.sliceMs ?? 20;
  const total =
    plan.conversations.reduce((n, c) => n + c.messages.length, 0) + (plan.blocks ? plan.blocks.list.length : 0);
  const out = fresh();
  const pending: Pending[] = [];
  const staged: string[] = [];
  const it = steps(store, plan, staged, out, pending);
  let done = 0;
  let finished = false;
  try {
    while (!finished) {
      store.transaction(() => {
        const until = performance.now() + sliceMs;
        do {
          if (it.next().done) finished = true;
          else done++;
        } while (!finished && performance.now() < until);
      });
      o.onProgress?.(done, total);
      if (!finished) await nextTurn();
    }
    store.transaction(() => publish(store, plan, pending, out));
    return out;
  } catch (err) {
    it.return(undefined);
    for (const id of staged) store.transaction(() => store.conversations.delete(id));
    throw err;
  }
}
