// Writing a validated import. Two ways, one sequence of steps:
// - at once: every step in one transaction (the CLI, tools, tests);
// - staged (the app): the steps run in short transactions that yield to the event loop between them, so a
//   100k-message import no longer blocks every other request for its whole write. Each conversation is
//   marked as staged (conversations.ts: no list, count or search shows it) and published in one last
//   short transaction (marker deleted, active leaf set). A failure deletes what was staged, and a crash
//   leaves marked rows, which the next Store.open discards: nothing half-imported is ever listed.
import { randomUUID } from 'node:crypto';
import type { BlockWithData } from '../../kv/ports.ts';
import type { Store } from '../store.ts';
import type { ConversationExport } from './schema.ts';

export interface ImportPlan {
  conversations: ConversationExport[];
  /** A bundle's blocks (already salted), the file's message ids that reference each, and the salt. */
  blocks?: { list: BlockWithData[]; owners: string[][]; salt: string };
}

export interface Written {
  ids: string[];
  importedBlocks: number;
  /** Old (file) message id → new id, keyed `${conversation id in the file}\0${message id}`. */
  messageIds: Map<string, string>;
}

interface Pending {
  id: string;
  staged: boolean;
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
    const id = randomUUID();
    if (staged) {
      store.conversations.stage(id);
      staged.push(id);
    }
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
    pending.push({
      id,
      staged: staged !== null,
      leaf: c.activeLeafId ? local.get(c.activeLeafId)! : null,
      updatedAt: c.updatedAt,
    });
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

/** Makes the written conversations what they are: active leaf, time, cache salt, listed. In a transaction. */
function publish(store: Store, plan: ImportPlan, pending: Pending[], out: Written): void {
  for (const p of pending) {
    if (p.leaf) store.conversations.setActiveLeaf(p.id, p.leaf);
    store.db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(p.updatedAt, p.id);
    if (plan.blocks?.list.length) store.conversations.setCacheSalt(p.id, plan.blocks.salt);
    if (p.staged) store.conversations.publish(p.id);
    out.ids.push(p.id);
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
    for (const id of staged)
      store.transaction(() => {
        store.conversations.delete(id);
        store.conversations.publish(id); // the marker goes too
      });
    throw err;
  }
}
