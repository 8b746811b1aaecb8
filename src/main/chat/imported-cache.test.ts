// Integration: a crafted bundle (bodies altered, every checksum recomputed) must not change what any other
// conversation computes, and verification must catch it. Real fixture model, real SQLite files.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '../engine/index.ts';
import { fixture, maxAbsDiff } from '../engine/fixtures.testkit.ts';
import { planRestore } from '../kv/restore.ts';
import { blockBody, packBundle, signFlipped, unpackBundle, withBody } from '../store/exchange/bundle.testkit.ts';
import { Store } from '../store/store.ts';
import { tmpDir } from '../store/store.testkit.ts';
import { conversationKvContext } from './cache-origin.ts';
import { ChatService } from './service.ts';

const opts = { threads: 1, provider: 'cpu' as const, fingerprintCachePath: null };
const B = 16;
const sampling = { temperature: 0, maxTokens: 12 };
const system = 'You are a terse assistant.';
const first = 'Hi, my name is Bob. Please remember it.';
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

let engine: Engine;
async function service(dir: string) {
  const store = Store.open(dir);
  const warnings: string[] = [];
  const svc = new ChatService({ store, engine, blockSize: B, logger: { warn: (m) => void warnings.push(m) } });
  cleanups.push(async () => {
    await svc.close();
    store.close();
  });
  return { store, svc, warnings };
}

/** Greedy reply and last logits from one full prefill: what a fresh computation gives. */
async function reference(log: number[]) {
  const g = await engine.createGenerator();
  await g.appendTokens(log);
  const logits = await g.lastLogits();
  const r = await g.generate({ sampling: { greedy: true }, maxTokens: sampling.maxTokens });
  await g.dispose();
  return { logits, ids: r.tokenIds };
}

async function exported(): Promise<Buffer> {
  const t = tmpDir('reprise-src-');
  cleanups.push(t.cleanup);
  const a = await service(t.dir);
  const c = a.svc.createConversation({ systemPrompt: system, sampling });
  await a.svc.sendMessage({ conversationId: c.id, text: first });
  return a.svc.exportConversations({ ids: [c.id], format: 'bundle' }).data;
}

type Craft = (payloads: Buffer[], at: (start: number) => number) => Promise<void>;
const crafts: Array<[string, Craft]> = [
  [
    'sign-flipped block, re-signed',
    async (p, at) => {
      p[at(0)] = await signFlipped(p[at(0)]!);
    },
  ],
  [
    'swapped block bodies, re-signed',
    async (p, at) => {
      const [x, y] = [at(0), at(B)];
      const bx = Buffer.from(blockBody(p[x]!));
      p[x] = withBody(p[x]!, blockBody(p[y]!));
      p[y] = withBody(p[y]!, bx);
    },
  ],
];

test('setup: load the fixture model', async () => {
  engine = await Engine.load(fixture('tiny-llama'), opts);
  cleanups.unshift(() => engine.dispose());
});

for (const [name, craft] of crafts) {
  test(`a crafted bundle (${name}) cannot change another conversation, and verification catches it`, async () => {
    const { manifest, payloads } = unpackBundle(await exported());
    const at = (start: number) =>
      manifest.blocks.findIndex((e: { start: number; kind: string }) => e.start === start && e.kind === 'full');
    assert.ok(at(0) >= 0 && at(B) >= 0, 'the bundle has two full blocks to tamper with');
    await craft(payloads, at);
    const bundle = packBundle(manifest, payloads);

    const t = tmpDir('reprise-dst-');
    cleanups.push(t.cleanup);
    const b = await service(t.dir);
    const imported = b.svc.importFile(bundle);
    const pid = imported.conversationIds[0]!;
    assert.equal(b.svc.cacheInfo(pid).origin, 'file');
    // the imported conversation uses its (poisoned) blocks: they are its own
    const tp = await b.svc.sendMessage({ conversationId: pid, text: 'What is my name?' });
    assert.equal(tp.stats.restoreSource, 'store');
    assert.ok(tp.stats.restoredTokens >= 2 * B);
    assert.equal(tp.stats.cacheOrigin, 'file');

    // a new local chat with the same prefix, right after (the engine holds the poisoned KV) ...
    const l1 = b.svc.createConversation({ systemPrompt: system, sampling });
    const r1 = await b.svc.sendMessage({ conversationId: l1.id, text: first });
    const ref = await reference(b.store.messages.tokenLog(r1.userMessage.id)!);
    assert.deepEqual(r1.message.tokenIds, ref.ids, 'same output as a fresh computation');
    assert.equal(r1.stats.restoredTokens, 0);
    assert.equal(r1.stats.cacheOrigin, 'local');
    // ... and one in a fresh service on the same database (only the store could leak)
    const c = await service(t.dir);
    const l2 = c.svc.createConversation({ systemPrompt: system, sampling });
    const r2 = await c.svc.sendMessage({ conversationId: l2.id, text: first });
    assert.deepEqual(r2.message.tokenIds, ref.ids);
    // it restored only local blocks (l1's), never the imported ones
    assert.ok(r2.stats.restoredTokens > 0);

    // verification recomputes the imported prefix and replaces what differs
    const v = await b.svc.verifyImportedCache(pid);
    assert.ok(v.checkedBlocks >= 2);
    assert.ok(v.replacedBlocks >= (name.startsWith('swapped') ? 2 : 1), JSON.stringify(v));
    assert.equal(b.svc.cacheInfo(pid).origin, 'file-verified');
    assert.ok(b.warnings.some((w) => /differs from the recomputation/.test(w)));
    // now the imported conversation restores what a recomputation gives
    const conv = b.store.conversations.require(pid);
    const log = b.store.messages.tokenLog(tp.userMessage.id)!;
    const ctx = conversationKvContext(engine.info, conv, B);
    const plan = await planRestore(log, ctx, b.store.blocks, { maxTokens: log.length - 1, logger: { warn() {} } });
    assert.ok(plan.restoredTokens >= 2 * B);
    const g = await engine.createGenerator();
    await g.restoreKv(plan.slices);
    await g.appendTokens(log.slice(plan.restoredTokens));
    const diff = maxAbsDiff(await g.lastLogits(), (await reference(log)).logits);
    await g.dispose();
    assert.ok(diff <= 1e-4, `max |Δlogit| ${diff}`);
    // a second verification finds nothing left to replace
    assert.equal((await b.svc.verifyImportedCache(pid)).replacedBlocks, 0);
  });
}

test('an honest bundle verifies unchanged, and a local block for the same prefix is preferred on restore', async () => {
  const bundle = await exported();
  const t = tmpDir('reprise-dst-');
  cleanups.push(t.cleanup);
  const b = await service(t.dir);
  const local = b.svc.createConversation({ systemPrompt: system, sampling });
  await b.svc.sendMessage({ conversationId: local.id, text: first });
  const blocksBefore = b.store.blocks.usage().blocks;
  const pid = b.svc.importFile(bundle).conversationIds[0]!;
  // the imported blocks are stored beside the local ones, not over them
  assert.ok(b.store.blocks.usage().blocks > blocksBefore);
  const conv = b.store.conversations.require(pid);
  const log = b.store.messages.tokenLog(conv.activeLeafId)!;
  const salted = conversationKvContext(engine.info, conv, B);
  const unsalted = conversationKvContext(engine.info, { ...conv, cacheSalt: null }, B);
  const mine = await planRestore(log, unsalted, b.store.blocks, { logger: { warn() {} } });
  const plan = await planRestore(log, salted, b.store.blocks, { logger: { warn() {} } });
  assert.equal(plan.restoredTokens, log.length);
  assert.ok(mine.used.length >= 2);
  assert.deepEqual(plan.used.slice(0, mine.used.length), mine.used, 'the local blocks serve the shared prefix');
  const v = await b.svc.verifyImportedCache(pid);
  assert.equal(v.replacedBlocks, 0);
  assert.ok(v.checkedBlocks >= 2);
  assert.ok(v.verifiedAt! > 0);
});
