import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KvLayout } from '../tensor/kv-types.ts';
import { kvContext } from '../kv/context.ts';
import { snapshotRange } from '../kv/save.ts';
import { synthExporter } from '../kv/synth.testkit.ts';
import { Store } from './store.ts';

export function tmpDir(prefix = 'reprise-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const testLayout: KvLayout = { numLayers: 2, numKvHeads: 2, headDim: 8, dtype: 'float32' };
export const testCtx = kvContext({ fingerprint: 'f'.repeat(64), layout: testLayout, codec: 'exact', blockSize: 16 });

/** Writes one user+assistant exchange with synthetic KV, as the chat runner would. */
export async function writeTurn(
  store: Store,
  conversationId: string,
  parentId: string | null,
  userIds: number[],
  asstIds: number[],
  text = 'hello',
) {
  const base = parentId ? (store.messages.tokenLog(parentId) ?? []) : [];
  const userLog = [...base, ...userIds];
  const fullLog = [...userLog, ...asstIds];
  const s1 = await snapshotRange(userLog, base.length, testCtx, synthExporter(testLayout, fullLog), store.blocks);
  const [user] = store.commitMessages(conversationId, [
    {
      message: { conversationId, parentId, role: 'user', content: text, tokenIds: userIds, tokenEnd: userLog.length },
      blocks: s1.blocks,
      refs: s1.refs,
    },
  ]);
  const s2 = await snapshotRange(fullLog, userLog.length, testCtx, synthExporter(testLayout, fullLog), store.blocks);
  const [asst] = store.commitMessages(conversationId, [
    {
      message: {
        conversationId,
        parentId: user!.id,
        role: 'assistant',
        content: `reply to ${text}`,
        tokenIds: asstIds,
        tokenEnd: fullLog.length,
      },
      blocks: s2.blocks,
      refs: s2.refs,
    },
  ]);
  return { user: user!, asst: asst!, log: fullLog };
}
