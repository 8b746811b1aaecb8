import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readHeader } from '../../kv/block-format.ts';
import { kvContext } from '../../kv/context.ts';
import { chainFor } from '../../kv/hash.ts';
import { planRestore } from '../../kv/restore.ts';
import { tokenLog } from '../../kv/synth.testkit.ts';
import { Store } from '../store.ts';
import { testCtx, writeTurn } from '../store.testkit.ts';
import { packBundle, unpackBundle } from './bundle.testkit.ts';
import { ImportError, exportBundle, importFile } from './index.ts';

const logger = { warn() {} };

async function source() {
  const s = Store.open(':memory:');
  const c = s.conversations.create({ title: 't', codec: 'exact', modelFingerprint: testCtx.fingerprint });
  const t = await writeTurn(s, c.id, null, tokenLog(40, 3), [5, 6, 7]);
  return { s, c, log: t.log };
}

const dump = (s: Store) =>
  JSON.stringify([
    s.db.prepare('SELECT id FROM conversations ORDER BY id').all(),
    s.db.prepare('SELECT hash FROM kv_blocks ORDER BY hash').all(),
  ]);

test('imported blocks are re-keyed with a per-import salt; none shares a hash with the local chain', async () => {
  const { s, c, log } = await source();
  const dst = Store.open(':memory:');
  const id = importFile(dst, exportBundle(s, c.id)).conversationIds[0]!;
  const conv = dst.conversations.require(id);
  const local = new Set(chainFor(log, testCtx.blockSize, testCtx.extra).map((b) => b.hash));
  const stored = dst.db.prepare('SELECT hash FROM kv_blocks').all() as Array<{ hash: string }>;
  assert.ok(stored.length >= 3);
  for (const { hash } of stored) {
    assert.ok(!local.has(hash as never), 'an imported block kept a local identity');
    // the header names the salted identity too, and its checksum was recomputed
    assert.equal(readHeader(dst.blocks.blockData(hash as never)!).hash, hash);
  }
  const salted = kvContext({ ...testCtx, salt: conv.cacheSalt });
  assert.equal((await planRestore(log, salted, dst.blocks, { logger })).restoredTokens, log.length);
  assert.equal((await planRestore(log, testCtx, dst.blocks, { logger })).restoredTokens, 0);
});

test('a block placed where its tokens do not hash to it, or made by another model, refuses the file', async () => {
  const { s, c } = await source();
  const good = exportBundle(s, c.id);
  const cases: Array<[string, Buffer, RegExp]> = [];
  {
    // block 0's KV claimed for other tokens: message token ids changed, tokenEnd kept consistent
    const { manifest, payloads } = unpackBundle(good);
    manifest.conversation.messages[0].tokenIds[3] ^= 1;
    cases.push([
      'tokens changed under a block',
      packBundle(manifest, payloads),
      /does not belong to the conversation's tokens at 0/,
    ]);
  }
  {
    const { manifest, payloads } = unpackBundle(good);
    for (const b of manifest.blocks) b.fingerprint = 'e'.repeat(64);
    cases.push(['blocks of another model', packBundle(manifest, payloads), /made by another model/]);
  }
  {
    // the manifest names another model than its blocks: it would warn "cannot be reused", then restore them
    const { manifest, payloads } = unpackBundle(good);
    manifest.modelFingerprint = 'e'.repeat(64);
    manifest.conversation.modelFingerprint = 'e'.repeat(64);
    cases.push(['manifest naming another model', packBundle(manifest, payloads), /made by another model/]);
  }
  const dst = Store.open(':memory:');
  const before = dump(dst);
  for (const [name, bytes, re] of cases) {
    assert.throws(
      () => importFile(dst, bytes),
      (e: unknown) => e instanceof ImportError && re.test(e.cause),
      name,
    );
    assert.equal(dump(dst), before, name);
  }
});

test('blocks past a gap in the chain are left out, the rest imported', async () => {
  const { s, c, log } = await source();
  const { manifest, payloads } = unpackBundle(exportBundle(s, c.id));
  const i = manifest.blocks.findIndex((e: { start: number; kind: string }) => e.start === 0 && e.kind === 'full');
  manifest.blocks.splice(i, 1);
  payloads.splice(i, 1);
  const dst = Store.open(':memory:');
  const r = importFile(dst, packBundle(manifest, payloads));
  assert.equal(r.importedBlocks, 0);
  const conv = dst.conversations.require(r.conversationIds[0]!);
  assert.equal(conv.cacheSalt, null, 'no cache came with it');
  assert.deepEqual(dst.messages.tokenLog(conv.activeLeafId), log);
});

test('a conversation imported from a bundle exports as a bundle that imports again, under a new salt', async () => {
  const { s, c, log } = await source();
  const mid = Store.open(':memory:');
  const first = mid.conversations.require(importFile(mid, exportBundle(s, c.id)).conversationIds[0]!);
  const dst = Store.open(':memory:');
  const r = importFile(dst, exportBundle(mid, first.id));
  assert.ok(r.importedBlocks >= 3);
  const again = dst.conversations.require(r.conversationIds[0]!);
  assert.notEqual(again.cacheSalt, first.cacheSalt);
  const ctx = kvContext({ ...testCtx, salt: again.cacheSalt });
  assert.equal((await planRestore(log, ctx, dst.blocks, { logger })).restoredTokens, log.length);
});
