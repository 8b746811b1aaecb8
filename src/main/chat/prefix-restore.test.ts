// restorePrefix on a real engine and store: exact blocks are written and read by the engine itself (block
// files straight to and from its cache), other codecs go through planRestore; either way the cache restored
// is the one saved, and a damaged block stops the restore there and is dropped.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Engine, type Generator } from '../engine/index.ts';
import { PROMPT, fixture } from '../engine/fixtures.testkit.ts';
import { type KvContext, modelKvContext } from '../kv/context.ts';
import type { BlockHash } from '../kv/hash.ts';
import { snapshotRange } from '../kv/save.ts';
import { TokenChain } from '../kv/token-chain.ts';
import { Store } from '../store/store.ts';
import { restorePrefix } from './prefix-restore.ts';

const B = 8;
let engine: Engine;
let ids: number[];
let gen: Generator;
before(async () => {
  engine = await Engine.load(fixture('tiny-llama'), { threads: 1, fingerprintCachePath: null });
  ids = await engine.tokenize(PROMPT);
  gen = await engine.createGenerator();
  await gen.appendTokens(ids);
});
after(() => engine.dispose());

/** A store holding the prompt's blocks, saved as a turn saves them. */
async function saved(ctx: KvContext): Promise<{ store: Store; hashes: BlockHash[]; byEngine: boolean }> {
  const store = Store.open(':memory:');
  const conv = store.conversations.create({ title: 't', codec: ctx.codec });
  const chain = TokenChain.of(ids, ctx);
  const s = await snapshotRange(chain, 0, ctx, (a, b) => gen.exportKv(a, b), store.blocks, gen);
  store.commitMessages(conv.id, [
    {
      message: {
        conversationId: conv.id,
        parentId: null,
        role: 'user',
        content: 'x',
        tokenIds: ids,
        tokenEnd: ids.length,
      },
      blocks: s.blocks,
      refs: s.refs,
    },
  ]);
  return { store, hashes: s.refs, byEngine: s.blocks.every((b) => b.data === undefined) };
}

/** Flips a bit near the end of a block's file, behind the store's back. */
function damage(store: Store, hash: BlockHash): void {
  const file = store.blocks.blockPath(hash);
  const data = readFileSync(file);
  data[data.length - 20]! ^= 1;
  writeFileSync(file, data);
}

async function restore(store: Store, ctx: KvContext, warnings: string[] = []) {
  const g = await engine.createGenerator();
  const r = await restorePrefix(g, TokenChain.of(ids, ctx), ctx, store, {
    maxTokens: ids.length,
    tailEnds: [ids.length],
    logger: { warn: (m) => warnings.push(m) },
  });
  return { g, r };
}

test('exact: the engine writes the block files itself and reads them back into a new generator, bit for bit', async () => {
  const ctx = modelKvContext(engine.info, 'exact', B);
  const { store, byEngine } = await saved(ctx);
  try {
    assert.equal(byEngine, true, 'no payload passed through this thread');
    const { g, r } = await restore(store, ctx);
    assert.deepEqual(r, { restored: ids.length, source: 'store' });
    assert.deepEqual(await g.exportKv(), await gen.exportKv());
    await g.dispose();
  } finally {
    store.close();
  }
});

test('a damaged exact block is caught by the engine as it reads: the restore stops there and the block is dropped', async () => {
  const ctx = modelKvContext(engine.info, 'exact', B);
  const { store, hashes } = await saved(ctx);
  try {
    damage(store, hashes[1]!);
    const warnings: string[] = [];
    const { g, r } = await restore(store, ctx, warnings);
    assert.deepEqual(r, { restored: B, source: 'store' });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /the rows do not match their checksum/, 'the engine\u2019s own check (kv-files.ts)');
    assert.equal(store.blocks.hasBlock(hashes[1]!), false, 'dropped, so the next save writes it again');
    assert.deepEqual(await g.exportKv(), await gen.exportKv(0, B));
    await g.dispose();
  } finally {
    store.close();
  }
});

test('fp16: blocks are encoded here, and restored through planRestore', async () => {
  const ctx = modelKvContext(engine.info, 'fp16', B);
  const { store, hashes, byEngine } = await saved(ctx);
  try {
    assert.equal(byEngine, false);
    damage(store, hashes[1]!);
    const warnings: string[] = [];
    const { g, r } = await restore(store, ctx, warnings);
    assert.deepEqual(r, { restored: B, source: 'store' });
    assert.match(warnings[0]!, /block checksum mismatch/, 'the block format\u2019s check (block-format.ts)');
    await g.dispose();
  } finally {
    store.close();
  }
});
