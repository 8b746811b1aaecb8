// The in-place KV path (new-kv-graph.ts + slot-kv.ts) against the graph's own concat(past, new) outputs, on
// the same fixture: same greedy ids, same logits, across page boundaries, rewinds and restores.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { Engine, type Generator } from './index.ts';
import { rewriteForNewKv } from './new-kv-graph.ts';
import { PAGE } from './slot-kv.ts';
import { fixture, maxAbsDiff, PROMPT } from './fixtures.testkit.ts';

const { onnx } = onnxProto;
const opts = { threads: 1, fingerprintCachePath: null } as const;

test('the rewritten graph outputs only the new tokens’ K/V', async () => {
  const r = rewriteForNewKv(readFileSync(join(fixture('tiny-llama'), 'onnx', 'model.onnx')));
  assert.ok('bytes' in r, 'tiny-llama is rewritable');
  const s = await ort.InferenceSession.create(r.bytes);
  try {
    const past = 5;
    const n = 3;
    const f: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', new BigInt64Array([1n, 2n, 3n]), [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(past + n).fill(1n), [1, past + n]),
      position_ids: new ort.Tensor('int64', new BigInt64Array([5n, 6n, 7n]), [1, n]),
    };
    for (let l = 0; l < 2; l++)
      for (const w of ['key', 'value'])
        f[`past_key_values.${l}.${w}`] = new ort.Tensor('float32', new Float32Array(2 * past * 16), [1, 2, past, 16]);
    const out = await s.run(f);
    assert.deepEqual(out['present.0.key']!.dims, [1, 2, n, 16]);
    assert.deepEqual(out['present.1.value']!.dims, [1, 2, n, 16]);
  } finally {
    await s.release();
  }
});

test('a graph without position_ids keeps its concat outputs, and says why', async () => {
  const e = await Engine.load(fixture('tiny-llama-nopos'), opts);
  try {
    assert.equal(e.info.kvMode, 'concat');
    assert.match(e.info.kvModeReason, /position_ids/);
  } finally {
    await e.dispose();
  }
});

test('a graph that ignores zeros in attention_mask is probed at load and keeps its concat outputs', async () => {
  // tiny-llama with its padding mask cut off: the mask the graph reads is ones_like(attention_mask)
  const src = fixture('tiny-llama');
  const dir = mkdtempSync(join(tmpdir(), 'reprise-nomask-'));
  try {
    cpSync(src, dir, { recursive: true });
    const file = join(dir, 'onnx', 'model.onnx');
    const model = onnx.ModelProto.decode(readFileSync(file));
    const g = model.graph!;
    const cast = g.node!.find((n) => n.opType === 'Cast' && n.input![0] === 'attention_mask')!;
    const i64 = (name: string, v: number) => ({
      name,
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [],
      int64Data: [v],
    });
    g.initializer!.push(i64('probe_zero', 0), i64('probe_one', 1));
    g.node!.unshift(
      { opType: 'Mul', input: ['attention_mask', 'probe_zero'], output: ['mask_zeroed'], name: 'probe_mul' },
      { opType: 'Add', input: ['mask_zeroed', 'probe_one'], output: ['mask_ones'], name: 'probe_add' },
    );
    cast.input![0] = 'mask_ones';
    writeFileSync(file, onnx.ModelProto.encode(model).finish());
    const broken = await Engine.load(dir, opts);
    const good = await Engine.load(src, opts);
    try {
      assert.equal(broken.info.kvMode, 'concat');
      assert.match(broken.info.kvModeReason, /does not mask zeros in attention_mask/);
      // with all-ones masks (the concat path) the cut-off mask changes nothing: same ids as the intact model
      const run = async (e: Engine) => {
        const gen = await e.createGenerator();
        await gen.appendTokens(await e.tokenize(PROMPT));
        return (await gen.generate({ sampling: { greedy: true }, maxTokens: PAGE + 8, ignoreEos: true })).tokenIds;
      };
      assert.deepEqual(await run(broken), await run(good));
    } finally {
      await broken.dispose();
      await good.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const name of ['tiny-llama', 'tiny-llama-fp16kv'] as const) {
  describe(`${name}: in-place KV equals the concat outputs`, () => {
    const tol = name === 'tiny-llama-fp16kv' ? 1e-3 : 1e-4;

    async function both<T>(fn: (g: Generator, e: Engine) => Promise<T>): Promise<[T, T]> {
      const a = await Engine.load(fixture(name), opts);
      const b = await Engine.load(fixture(name), { ...opts, kvInPlace: false });
      try {
        assert.equal(a.info.kvMode, 'inPlace');
        // fp32 KV: attention reads past and new apart; fp16 KV casts the concatenation first (not split)
        assert.match(a.info.kvModeReason, name === 'tiny-llama' ? /in 2 of 2 layers/ : /in 0 of 2 layers/);
        assert.equal(b.info.kvMode, 'concat');
        return [await fn(await a.createGenerator(), a), await fn(await b.createGenerator(), b)];
      } finally {
        await a.dispose();
        await b.dispose();
      }
    }

    test('greedy ids and logits over several pages, after rewinds and chunked appends', async () => {
      const [x, y] = await both(async (g, e) => {
        const prompt = await e.tokenize(PROMPT);
        await g.appendTokens(prompt, { chunkSize: 5 });
        const first = await g.generate({ sampling: { greedy: true }, maxTokens: 2 * PAGE + 10, ignoreEos: true });
        const afterGen = await g.lastLogits();
        await g.rewindTo(prompt.length + PAGE - 3); // into an earlier page, then across it again
        await g.appendTokens(prompt.slice(0, 9), { chunkSize: 4 });
        const afterRewind = await g.lastLogits();
        await g.rewindTo(7);
        await g.appendTokens(prompt.slice(3, 40));
        const second = await g.generate({ sampling: { greedy: true }, maxTokens: 20, ignoreEos: true });
        return { first: first.tokenIds, second: second.tokenIds, afterGen, afterRewind, last: await g.lastLogits() };
      });
      assert.deepEqual(x.first, y.first);
      assert.deepEqual(x.second, y.second);
      assert.ok(maxAbsDiff(x.afterGen, y.afterGen) <= tol);
      assert.ok(maxAbsDiff(x.afterRewind, y.afterRewind) <= tol);
      assert.ok(maxAbsDiff(x.last, y.last) <= tol);
    });

    test('exported K/V restore across the two modes and continue alike', async () => {
      const a = await Engine.load(fixture(name), opts);
      const b = await Engine.load(fixture(name), { ...opts, kvInPlace: false });
      try {
        const prompt = await a.tokenize(PROMPT);
        const ga = await a.createGenerator();
        const gb = await b.createGenerator();
        await ga.appendTokens(prompt, { chunkSize: 16 });
        await gb.appendTokens(prompt, { chunkSize: 16 });
        const sa = await ga.exportKv(0, prompt.length);
        const sb = await gb.exportKv(0, prompt.length);
        // Restore each engine's K/V into the other one, in two slices, then continue.
        const ra = await a.createGenerator();
        const rb = await b.createGenerator();
        const cut = 13;
        const part = (s: typeof sa, from: number, to: number): typeof sa => ({
          ...s,
          start: from,
          tokens: s.tokens.slice(from, to),
          layers: s.layers.map(({ key, value }) => {
            const rows = (x: typeof key, n: number): typeof key => {
              const D = s.layout.headDim;
              const out = new (x.constructor as Float32ArrayConstructor)(s.layout.numKvHeads * (to - from) * D);
              for (let h = 0; h < s.layout.numKvHeads; h++)
                out.set(x.subarray((h * n + from) * D, (h * n + to) * D), h * (to - from) * D);
              return out as typeof key;
            };
            return { key: rows(key, s.tokens.length), value: rows(value, s.tokens.length) };
          }),
        });
        await ra.restoreKv([part(sb, 0, cut), part(sb, cut, prompt.length)]);
        await rb.restoreKv([sa]);
        assert.deepEqual(await ra.exportKv(0, prompt.length), sb, 'restored rows read back bit-exact');
        const want = await ga.generate({ sampling: { greedy: true }, maxTokens: PAGE + 5, ignoreEos: true });
        const gotA = await ra.generate({ sampling: { greedy: true }, maxTokens: PAGE + 5, ignoreEos: true });
        const gotB = await rb.generate({ sampling: { greedy: true }, maxTokens: PAGE + 5, ignoreEos: true });
        assert.deepEqual(gotA.tokenIds, want.tokenIds);
        assert.deepEqual(gotB.tokenIds, want.tokenIds);
        assert.ok(maxAbsDiff(await ra.lastLogits(), await ga.lastLogits()) <= tol);
      } finally {
        await a.dispose();
        await b.dispose();
      }
    });
  });
}

test('a dropped generator’s K/V arrays serve the next one, zeroed: NaNs left in them change nothing', async () => {
  const e = await Engine.load(fixture('tiny-llama'), opts);
  try {
    assert.equal(e.info.kvMode, 'inPlace');
    const prompt = await e.tokenize(PROMPT);
    const ref = await e.createGenerator();
    await ref.appendTokens(prompt);
    const kv = await ref.exportKv(0, prompt.length);
    const want = await ref.lastLogits();
    // A generator whose arrays hold NaN everywhere (rows restored from a hostile file, then a page of spare
    // slots), then dropped: its arrays go to the worker's pool.
    const bad = await e.createGenerator();
    const poison = (x: Float32Array): Float32Array => new Float32Array(x.length * 3).fill(NaN);
    const layers = kv.layers.map(({ key, value }) => ({
      key: poison(key as Float32Array),
      value: poison(value as Float32Array),
    }));
    const tokens = [...prompt, ...prompt, ...prompt];
    await bad.restoreKv([{ ...kv, tokens, layers }]);
    await bad.dispose();
    // The next generator restores the short, clean history into those arrays (masked spare slots included).
    const g = await e.createGenerator();
    await g.restoreKv([kv]);
    const got = await g.lastLogits();
    assert.ok(got.every(Number.isFinite), 'no NaN from the pooled arrays');
    assert.ok(maxAbsDiff(got, want) <= 1e-5);
    await g.dispose();
    await ref.dispose();
  } finally {
    await e.dispose();
  }
});
