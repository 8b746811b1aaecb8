// K/V row files (kv-files.ts) on real ORT sessions: rows written from one generator's cache and read into
// another's are the same cache, bit for bit, in both cache modes and both dtypes; a bad file stops the load at its first row and
// leaves nothing of itself behind (its rows zeroed: a NaN in a masked slot would reach every later logit).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { xxh64 } from '@node-rs/xxhash';
import { Engine, type Generator, type KvRowFile } from './index.ts';
import { fixture, maxAbsDiff, PROMPT, type FixtureName } from './fixtures.testkit.ts';
import { kvBytes } from '../tensor/kv-types.ts';
import { readRowFiles, writeRowFiles } from './kv-files.ts';
import { headRowViews } from './past-kv.ts';

const opts = { threads: 1, fingerprintCachePath: null } as const;
const dir = mkdtempSync(join(tmpdir(), 'reprise-kvfiles-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Files of `size` rows each over [0, n), the last one shorter; prefix = a recognisable header per file. */
function tiles(name: string, n: number, size: number): KvRowFile[] {
  const out: KvRowFile[] = [];
  for (let start = 0, i = 0; start < n; start += size, i++)
    out.push({
      path: join(dir, `${name}-${i}`),
      start,
      count: Math.min(size, n - start),
      prefix: new TextEncoder().encode(`block ${i} of ${name}`),
    });
  return out;
}

async function withEngine(name: FixtureName, fn: (e: Engine) => Promise<void>): Promise<void> {
  const e = await Engine.load(fixture(name), opts);
  try {
    await fn(e);
  } finally {
    await e.dispose();
  }
}

async function prompt(e: Engine): Promise<{ gen: Generator; ids: number[] }> {
  const ids = await e.tokenize(PROMPT);
  const gen = await e.createGenerator();
  await gen.appendTokens(ids);
  return { gen, ids };
}

for (const name of ['tiny-llama', 'tiny-llama-nopos', 'tiny-llama-fp16kv'] as const)
  test(`${name}: rows saved to files and loaded into another generator are the same cache, bit for bit`, () =>
    withEngine(name, async (e) => {
      const { gen, ids } = await prompt(e);
      const files = tiles(name, ids.length, 5);
      const sizes = await gen.saveKvFiles(files);
      assert.deepEqual(
        sizes,
        files.map((f) => f.prefix.length + kvBytes(e.info.layout, f.count) + 8),
      );
      const g2 = await e.createGenerator();
      await g2.appendTokens(ids.slice(0, 3)); // something to replace
      assert.deepEqual(await g2.loadKvFiles(files, ids), { loaded: ids.length });
      assert.deepEqual(g2.tokens, ids);
      assert.deepEqual(await g2.exportKv(), await gen.exportKv(), 'the cache, bit for bit');
      // the loaded generator computes its last token's logits again, as one step: so does the reference
      await gen.rewindTo(ids.length - 1);
      await gen.appendTokens(ids.slice(-1));
      assert.deepEqual(await g2.lastLogits(), await gen.lastLogits());
      const a = await gen.generate({ sampling: { greedy: true }, maxTokens: 8, ignoreEos: true });
      const b = await g2.generate({ sampling: { greedy: true }, maxTokens: 8, ignoreEos: true });
      assert.deepEqual(b.tokenIds, a.tokenIds);
    }));

describe('a bad file stops the load at its first row', () => {
  const cases: Array<[string, (f: KvRowFile) => KvRowFile | void, RegExp]> = [
    ['missing', (f) => rmSync(f.path), /missing/],
    ['size', (f) => truncateSync(f.path, 100), /size/],
    ['prefix', (f) => ({ ...f, prefix: f.prefix.map((b, i) => (i === 6 ? b ^ 1 : b)) }), /prefix/], // another block's header
    [
      'checksum',
      (f) => {
        // NaNs for every row: one left in a masked slot would turn every later logit into NaN
        const b = readFileSync(f.path);
        b.fill(0xff, f.prefix.length, b.length - 8);
        writeFileSync(f.path, b);
      },
      /checksum/,
    ],
  ];
  for (const [what, spoil, reason] of cases)
    test(what, () =>
      withEngine('tiny-llama', async (e) => {
        const { gen, ids } = await prompt(e);
        const files = tiles(`bad-${what}`, ids.length, 4);
        await gen.saveKvFiles(files);
        const bad = spoil(files[1]!);
        if (bad) files[1] = bad;
        const g2 = await e.createGenerator();
        const r = await g2.loadKvFiles(files, ids);
        assert.equal(r.loaded, 4);
        assert.equal(r.failure?.file, 1);
        assert.match(r.failure!.reason, reason);
        assert.deepEqual(g2.tokens, ids.slice(0, 4));
        // two more rows computed: the refused file's last two rows stay behind the mask, and must hold nothing
        await g2.appendTokens(ids.slice(4, 6));
        const logits = await g2.lastLogits();
        assert.ok(logits.every(Number.isFinite), 'no NaN from the refused rows');
        const ref = await e.createGenerator();
        await ref.appendTokens(ids.slice(0, 6));
        assert.ok(maxAbsDiff(logits, await ref.lastLogits()) <= 1e-4); // prefilled in other chunks: rounding only
      }),
    );
});

test('requests that name no valid rows are refused before any file is read', () =>
  withEngine('tiny-llama', async (e) => {
    const { gen, ids } = await prompt(e);
    const f = (start: number, count: number): KvRowFile => ({
      path: join(dir, 'x'),
      start,
      count,
      prefix: new Uint8Array(0),
    });
    await assert.rejects(gen.loadKvFiles([f(1, 3)], ids.slice(0, 3)), /contiguously from 0/);
    await assert.rejects(gen.loadKvFiles([f(0, 3)], ids.slice(0, 2)), /2 token ids for 3 rows/);
    await assert.rejects(gen.loadKvFiles([f(0, e.info.contextLength + 1)], []), /context length/);
    await assert.rejects(gen.saveKvFiles([f(0, ids.length + 1)]), /rows up to/);
    await assert.rejects(
      gen.loadKvFiles([{ ...f(0, 1), prefix: new Uint8Array(5000) }], ids.slice(0, 1)),
      /prefix is not bytes or too long/,
    );
    assert.deepEqual(gen.tokens, ids, 'the generator is untouched');
  }));

/**
 * Drops a generator whose cache held NaN in every row (valid files of NaN rows, loaded whole): its arrays go
 * back to the worker's pool, and the next load takes them without zeroing them whole.
 */
async function leaveNaNsInPool(e: Engine, gen: Generator, ids: number[]): Promise<void> {
  const files = tiles(`nan-${Math.random()}`, ids.length, 4);
  await gen.saveKvFiles(files);
  for (const f of files) {
    const b = readFileSync(f.path);
    b.fill(0xff, f.prefix.length, b.length - 8);
    b.writeBigUInt64LE(xxh64(b.subarray(0, b.length - 8)), b.length - 8);
    writeFileSync(f.path, b);
  }
  const g = await e.createGenerator();
  assert.equal((await g.loadKvFiles(files, ids)).loaded, ids.length);
  await g.dispose();
}

/**
 * `g` holds a prefix of `ids` (loaded from files); appending the rest must give a fresh generator's logits,
 * with no NaN from the dropped sequence whose arrays it took.
 */
async function assertGrowsLikeFresh(e: Engine, g: Generator, ids: number[]): Promise<void> {
  await g.appendTokens(ids.slice(g.tokens.length));
  const logits = await g.lastLogits();
  assert.ok(logits.every(Number.isFinite), 'no NaN from the dropped sequence');
  const ref = await e.createGenerator();
  await ref.appendTokens(ids);
  assert.ok(maxAbsDiff(logits, await ref.lastLogits()) <= 1e-4);
}

describe('a load into arrays a dropped sequence held keeps nothing of it', () => {
  test('rows past what the load holds', () =>
    withEngine('tiny-llama', async (e) => {
      const { gen, ids } = await prompt(e);
      const files = tiles('short', 8, 4);
      await gen.saveKvFiles(files);
      await leaveNaNsInPool(e, gen, ids);
      const g2 = await e.createGenerator();
      assert.equal((await g2.loadKvFiles(files, ids.slice(0, 8))).loaded, 8);
      await assertGrowsLikeFresh(e, g2, ids.slice(0, 10)); // rows 10 on stay behind the mask
    }));

  test('rows of the files after a bad one', () =>
    withEngine('tiny-llama', async (e) => {
      const { gen, ids } = await prompt(e);
      const files = tiles('after-bad', ids.length, 4);
      await gen.saveKvFiles(files);
      await leaveNaNsInPool(e, gen, ids);
      rmSync(files[1]!.path);
      const g2 = await e.createGenerator();
      assert.equal((await g2.loadKvFiles(files, ids)).loaded, 4);
      await assertGrowsLikeFresh(e, g2, ids.slice(0, 6)); // rows 6 on, files 2 and after never read, stay behind the mask
    }));

  test('slots past the first view, when the view widens into them', () =>
    withEngine('tiny-llama', async (e) => {
      // 80 NaN rows leave arrays of 128 slots a head in the pool; a load of 8 rows takes them with a view of
      // 64, and growing to 70 tokens widens the view in the same arrays over what lay past it
      const p = await e.tokenize(PROMPT);
      const ids = Array.from({ length: 80 }, (_, i) => p[i % p.length]!);
      const gen = await e.createGenerator();
      await gen.appendTokens(ids); // in one go: no smaller arrays of its own left in the pool
      const files = tiles('widen', 8, 4);
      await gen.saveKvFiles(files);
      await leaveNaNsInPool(e, gen, ids);
      const g2 = await e.createGenerator();
      assert.equal((await g2.loadKvFiles(files, ids.slice(0, 8))).loaded, 8);
      await assertGrowsLikeFresh(e, g2, ids.slice(0, 70));
    }));
});

test('files of more row views than one readv/writev call takes (IOV_MAX) are written and read whole', async () => {
  // 300 layers x K/V x 2 heads = 1200 views a file, past the 1024 one call takes: both sides must go on
  const layout = { numLayers: 300, numKvHeads: 2, headDim: 4, dtype: 'float32' } as const;
  const slots = 8;
  const cache = () => Array.from({ length: layout.numLayers * 2 }, () => new Float32Array(2 * slots * 4));
  const src = cache();
  src.forEach((a, i) => a.forEach((_, j) => (a[j] = i * 1000 + j)));
  const files = tiles('many-views', slots, 4);
  assert.deepEqual(await writeRowFiles(files, (a, b) => headRowViews(layout, src, slots, a, b)), [
    files[0]!.prefix.length + kvBytes(layout, 4) + 8,
    files[1]!.prefix.length + kvBytes(layout, 4) + 8,
  ]);
  const dst = cache();
  const r = await readRowFiles(layout, files, (a, b) => headRowViews(layout, dst, slots, a, b));
  assert.deepEqual(r, { loaded: slots });
  assert.deepEqual(dst, src);
});
