import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fingerprintModel } from './fingerprint.ts';
import { Engine, EngineError, type Generator } from './index.ts';
import { fixture, maxAbsDiff, PROMPT } from './fixtures.testkit.ts';

const opts = { threads: 1, fingerprintCachePath: null } as const;

describe('engine on tiny-llama (fp32 KV)', () => {
  let engine: Engine;
  let prompt: number[];
  before(async () => {
    engine = await Engine.load(fixture('tiny-llama'), opts);
    prompt = await engine.tokenize(PROMPT);
  });
  after(() => engine.dispose());

  async function fullLogits(ids: number[]): Promise<Float32Array> {
    const g = await engine.createGenerator();
    await g.appendTokens(ids, { chunkSize: 4096 });
    const l = await g.lastLogits();
    await g.dispose();
    return l;
  }

  test('model info describes the model', () => {
    const i = engine.info;
    assert.equal(i.name, 'tiny-llama');
    assert.equal(i.variant, 'model.onnx');
    assert.deepEqual(i.layout, { numLayers: 2, numKvHeads: 2, headDim: 16, dtype: 'float32' });
    assert.equal(i.provider, 'cpu');
    assert.equal(i.hasPositionIds, true);
    assert.match(i.fingerprint, /^[0-9a-f]{64}$/);
    assert.ok(i.eosTokenIds.length >= 1);
    assert.ok(prompt.length > 40);
  });

  test('chunked prefill equals one-shot prefill', async () => {
    const one = await fullLogits(prompt);
    const g = await engine.createGenerator();
    const progress: number[] = [];
    await g.appendTokens(prompt, { chunkSize: 7, onProgress: (done) => progress.push(done) });
    assert.equal(progress.at(-1), prompt.length);
    assert.ok(progress.length === Math.ceil(prompt.length / 7));
    assert.ok(maxAbsDiff(one, await g.lastLogits()) <= 1e-4);
    await g.dispose();
  });

  test('restore then continue equals full prefill, across engines (invariant 4)', async () => {
    const full = await fullLogits(prompt);
    const cut = 25;
    const a = await engine.createGenerator();
    await a.appendTokens(prompt.slice(0, cut));
    const s1 = await a.exportKv(0, 10);
    const s2 = await a.exportKv(10, cut);
    assert.deepEqual(s1.tokens, prompt.slice(0, 10));
    assert.equal(s2.start, 10);
    assert.equal(s2.layers[0]!.key.length, 2 * 15 * 16);
    const other = await Engine.load(fixture('tiny-llama'), opts);
    try {
      const b = await other.createGenerator();
      await b.restoreKv([s1, s2]);
      assert.deepEqual(b.tokens, prompt.slice(0, cut));
      await b.appendTokens(prompt.slice(cut));
      assert.ok(maxAbsDiff(full, await b.lastLogits()) <= 1e-4);
      // Restore the whole prompt and ask for logits right away (recomputes the last token).
      const c = await other.createGenerator();
      await c.restoreKv([await a.exportKv(0, cut)]);
      await c.appendTokens(prompt.slice(cut));
      const whole = await c.exportKv();
      const d = await other.createGenerator();
      await d.restoreKv([whole]);
      assert.equal(d.tokenCount, prompt.length);
      assert.ok(maxAbsDiff(full, await d.lastLogits()) <= 1e-4);
    } finally {
      await other.dispose();
    }
    await a.dispose();
  });

  test('restoreKv rejects a wrong layout and non-contiguous slices', async () => {
    const g = await engine.createGenerator();
    await g.appendTokens(prompt.slice(0, 8));
    const s = await g.exportKv(0, 8);
    await assert.rejects(
      g.restoreKv([{ ...s, layout: { ...s.layout, dtype: 'float16' } }]),
      (e: EngineError) => e.code === 'kvMismatch',
    );
    await assert.rejects(g.restoreKv([{ ...s, start: 3 }]), (e: EngineError) => e.code === 'kvMismatch');
    await g.dispose();
  });

  test('rewindTo then re-append equals', async () => {
    const full = await fullLogits(prompt);
    const g = await engine.createGenerator();
    await g.appendTokens(prompt);
    await g.appendTokens([5, 6, 7]);
    await g.rewindTo(20);
    assert.equal(g.tokenCount, 20);
    await g.appendTokens(prompt.slice(20));
    assert.ok(maxAbsDiff(full, await g.lastLogits()) <= 1e-4);
    await g.dispose();
  });

  test('rewinds compact lazily: export before the next run, several rewinds, transferred restore', async () => {
    const full = await fullLogits(prompt);
    const g = await engine.createGenerator();
    await g.appendTokens(prompt);
    const before = await g.exportKv(0, 12);
    await g.rewindTo(20);
    await g.rewindTo(12); // two rewinds, no run in between
    assert.deepEqual(await g.exportKv(0, 12), before); // read through the not-yet-compacted cache
    await g.appendTokens(prompt.slice(12));
    assert.ok(maxAbsDiff(full, await g.lastLogits()) <= 1e-4);
    const whole = await g.exportKv();
    const h = await engine.createGenerator();
    await h.restoreKv([whole], { transfer: true });
    assert.equal(whole.layers[0]!.key.length, 0, 'the buffers moved to the worker');
    assert.deepEqual(h.tokens, prompt);
    await h.rewindTo(prompt.length - 1);
    await h.appendTokens(prompt.slice(-1));
    assert.ok(maxAbsDiff(full, await h.lastLogits()) <= 1e-4);
    await g.dispose();
    await h.dispose();
  });

  test('greedy is reproducible and matches generateNextToken', async () => {
    const run = async (): Promise<{ ids: number[]; g: Generator }> => {
      const g = await engine.createGenerator();
      await g.appendTokens(prompt);
      const r = await g.generate({ sampling: { greedy: true }, maxTokens: 12 });
      assert.equal(r.stopReason === 'maxTokens' || r.stopReason === 'eos', true);
      return { ids: r.tokenIds, g };
    };
    const a = await run();
    const b = await run();
    assert.deepEqual(a.ids, b.ids);
    assert.deepEqual(a.g.tokens, [...prompt, ...a.ids]);
    const c = await engine.createGenerator();
    await c.appendTokens(prompt);
    const step: number[] = [];
    for (let i = 0; i < a.ids.length; i++) step.push(await c.generateNextToken());
    assert.deepEqual(step, a.ids);
    for (const g of [a.g, b.g, c]) await g.dispose();
  });

  test('seeded sampling is reproducible; different seeds differ', async () => {
    const sample = async (seed: number): Promise<number[]> => {
      const g = await engine.createGenerator();
      await g.appendTokens(prompt);
      const r = await g.generate({
        sampling: { temperature: 1.5, topK: 50, topP: 0.95, minP: 0.01, repetitionPenalty: 1.1, seed },
        maxTokens: 24,
        stopTokenIds: [],
      });
      await g.dispose();
      assert.equal(r.seed, seed);
      return r.tokenIds;
    };
    assert.deepEqual(await sample(7), await sample(7));
    assert.notDeepEqual(await sample(7), await sample(8));
  });

  test('stream is awaitable and async-iterable; text matches the fragments', async () => {
    const g = await engine.createGenerator();
    await g.appendTokens(prompt);
    const p = g.generate({ sampling: { greedy: true }, maxTokens: 16 });
    let streamed = '';
    for await (const f of p) streamed += f.text;
    const r = await p;
    assert.equal(streamed, r.text);
    assert.equal(r.generatedTokens, r.tokenIds.length);
    assert.ok(r.ttftMs >= 0);
    await g.dispose();
  });

  test('recordSteps gives one time per decode step; tokens arrive before the result', async () => {
    const g = await engine.createGenerator();
    await g.appendTokens(prompt);
    const ids: number[] = [];
    const r = await g.generate({
      sampling: { greedy: true },
      maxTokens: 12,
      stopTokenIds: [],
      ignoreEos: true,
      recordSteps: true,
      onFragment: (f) => f.tokenId !== null && ids.push(f.tokenId),
    });
    assert.deepEqual(ids, r.tokenIds);
    assert.equal(r.stepMs?.length, r.tokenIds.length - 1);
    assert.ok(r.stepMs.every((ms) => ms >= 0));
    assert.deepEqual(g.tokens.slice(prompt.length), r.tokenIds);
    await g.dispose();
  });

  test('stop strings cut the text; max tokens stops', async () => {
    const g = await engine.createGenerator();
    await g.appendTokens(prompt);
    const ref = await g.generate({ sampling: { greedy: true }, maxTokens: 30, stopTokenIds: [] });
    assert.equal(ref.stopReason, 'maxTokens');
    assert.equal(ref.generatedTokens, 30);
    // Pick a stop string from the middle of the reference text: generation must stop there.
    const chars = [...ref.text];
    const mid = Math.floor(chars.length / 2);
    const stop = chars.slice(mid, mid + 3).join('');
    const before = ref.text.slice(0, ref.text.indexOf(stop));
    await g.rewindTo(prompt.length);
    let streamed = '';
    const r = await g.generate({
      sampling: { greedy: true },
      maxTokens: 30,
      stopStrings: [stop],
      stopTokenIds: [],
      onFragment: (f) => (streamed += f.text),
    });
    assert.equal(r.stopReason, 'stopString');
    assert.equal(r.text, before);
    assert.equal(streamed, before);
    assert.ok(!streamed.includes(stop));
    assert.equal(g.tokenCount, prompt.length + r.tokenIds.length);
    await g.dispose();
  });

  test('eos stops generation and stays in the log', async () => {
    const g = await engine.createGenerator();
    await g.appendTokens(prompt);
    const r = await g.generate({
      sampling: { greedy: true },
      maxTokens: 3,
      stopTokenIds: [...Array(engine.info.vocabSize).keys()],
    });
    assert.equal(r.stopReason, 'eos');
    assert.equal(r.tokenIds.length, 1);
    assert.equal(r.text, '');
    assert.equal(g.tokens.at(-1), r.tokenIds[0]);
    await g.dispose();
  });

  test('cancel stops within one step; pre-aborted signal generates nothing', async () => {
    const g = await engine.createGenerator();
    await g.appendTokens(prompt);
    const ac = new AbortController();
    let n = 0;
    const r = await g.generate({
      sampling: { greedy: true },
      stopTokenIds: [],
      signal: ac.signal,
      onFragment: () => ++n === 5 && ac.abort(),
    });
    assert.equal(r.stopReason, 'userStopped');
    assert.ok(r.generatedTokens < 200, `stopped after ${r.generatedTokens}`);
    assert.equal(g.tokenCount, prompt.length + r.generatedTokens);
    const r2 = await g.generate({ signal: AbortSignal.abort() });
    assert.equal(r2.stopReason, 'userStopped');
    assert.equal(r2.generatedTokens, 0);
    const p = g.generate({ stopTokenIds: [] });
    p.cancel();
    assert.equal((await p).stopReason, 'userStopped');
    await g.dispose();
  });

  test('cancelled prefill keeps the computed part and rejects', async () => {
    const g = await engine.createGenerator();
    const ac = new AbortController();
    await assert.rejects(
      g.appendTokens(prompt, { chunkSize: 4, signal: ac.signal, onProgress: (d) => d === 8 && ac.abort() }),
      (e: EngineError) => e.code === 'cancelled',
    );
    assert.ok(g.tokenCount >= 8 && g.tokenCount < prompt.length);
    await g.dispose();
  });

  test('main thread stays responsive during generation', async () => {
    const g = await engine.createGenerator();
    await g.appendTokens(prompt);
    let ticks = 0;
    const iv = setInterval(() => ticks++, 1);
    await g.generate({ sampling: { greedy: true }, maxTokens: 400, stopTokenIds: [] });
    clearInterval(iv);
    assert.ok(ticks > 0, 'timers ran while the worker generated');
    await g.dispose();
  });

  test('chat turns append only the template delta to the exact log', async () => {
    const g = await engine.createGenerator();
    const turn1 = [{ role: 'user', content: 'Hello there!' }];
    const d1 = await g.appendChatTurn(turn1);
    assert.equal(d1.exact, true);
    const r = await g.generate({ sampling: { greedy: true }, maxTokens: 6 });
    const log = [...g.tokens];
    const turn2 = [...turn1, { role: 'assistant', content: r.text }, { role: 'user', content: 'And then?' }];
    const d2 = await g.appendChatTurn(turn2);
    // Random weights may sample bytes that are not valid UTF-8; the stored text then differs from the log
    // and the delta falls back to the longest common prefix. Either way the log renders the conversation.
    assert.deepEqual(g.tokens.slice(0, d2.keep), log.slice(0, d2.keep));
    assert.equal(d2.exact, d2.keep === log.length);
    assert.equal(await engine.detokenize(g.tokens, { skipSpecial: false }), await engine.renderChat(turn2));
    await g.dispose();
  });

  test('invalid token ids and bad rewinds are clear errors', async () => {
    const g = await engine.createGenerator();
    await assert.rejects(
      g.appendTokens([engine.info.vocabSize]),
      (e: EngineError) => e.code === 'badArgument' && /outside the vocabulary/.test(e.cause),
    );
    assert.equal(g.tokenCount, 0);
    await assert.rejects(g.rewindTo(3), (e: EngineError) => e.code === 'badArgument');
    await g.dispose();
  });

  test("the product's worker has no extra operations (the bench's bare loop lives in its own worker entry)", async () => {
    await assert.rejects(
      engine.call({ op: 'extension', name: 'bareDecode', args: { prompt: [1, 2], n: 2 } }),
      (e: EngineError) => e.code === 'internal' && /no operation "bareDecode"/.test(e.cause),
    );
    const g = await engine.createGenerator(); // and the worker still serves
    await g.appendTokens([1, 2, 3]);
    assert.equal(g.tokenCount, 3);
    await g.dispose();
  });
});

describe('fixture variants', () => {
  for (const name of ['tiny-llama-fp16kv', 'tiny-llama-nopos', 'tiny-llama-extdata'] as const) {
    test(`${name}: loads, restore equals full prefill, generates`, async () => {
      const e = await Engine.load(fixture(name), opts);
      try {
        if (name === 'tiny-llama-fp16kv') assert.equal(e.info.layout.dtype, 'float16');
        if (name === 'tiny-llama-nopos') assert.equal(e.info.hasPositionIds, false);
        if (name === 'tiny-llama-extdata') assert.equal(e.info.externalDataFiles.length, 1);
        const prompt = await e.tokenize(PROMPT);
        const a = await e.createGenerator();
        await a.appendTokens(prompt);
        const full = await a.lastLogits();
        const b = await e.createGenerator();
        await b.appendTokens(prompt.slice(0, 20), { chunkSize: 6 });
        const slice = await b.exportKv(0, 20);
        assert.ok(slice.layers[0]!.key instanceof (e.info.layout.dtype === 'float16' ? Uint16Array : Float32Array));
        const c = await e.createGenerator();
        await c.restoreKv([slice]);
        await c.appendTokens(prompt.slice(20));
        const tol = e.info.layout.dtype === 'float16' ? 1e-3 : 1e-4;
        assert.ok(maxAbsDiff(full, await c.lastLogits()) <= tol);
        const r = await c.generate({ sampling: { greedy: true }, maxTokens: 8 });
        const r2 = await a.generate({ sampling: { greedy: true }, maxTokens: 8 });
        assert.deepEqual(r.tokenIds, r2.tokenIds);
      } finally {
        await e.dispose();
      }
    });
  }

  test('a full context stops generation and rejects appends', async () => {
    const e = await Engine.load(fixture('tiny-llama'), { ...opts, maxContextLength: 40 });
    try {
      assert.equal(e.info.contextLength, 40);
      const g = await e.createGenerator();
      await g.appendTokens((await e.tokenize(PROMPT)).slice(0, 30));
      const r = await g.generate({ sampling: { greedy: true }, ignoreEos: true });
      assert.equal(r.stopReason, 'contextFull');
      assert.equal(g.tokenCount, 40);
      await assert.rejects(g.appendTokens([1]), (err: EngineError) => err.code === 'contextFull');
    } finally {
      await e.dispose();
    }
  });

  test('provider "cuda" without CUDA libraries falls back to cpu and says why', async () => {
    const e = await Engine.load(fixture('tiny-llama'), { ...opts, provider: 'cuda' });
    try {
      assert.equal(e.info.provider, 'cpu');
      assert.match(e.info.providerReason, /CUDA requested but unavailable/);
    } finally {
      await e.dispose();
    }
    const c = await Engine.load(fixture('tiny-llama'), { ...opts, provider: 'cpu' });
    assert.equal(c.info.providerReason, 'CPU requested');
    await c.dispose();
  });

  test('fingerprint is stable, cached, and differs between models', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const cache = join(mkdtempSync(join(tmpdir(), 'reprise-fp-')), 'fp.json');
    const a = await Engine.load(fixture('tiny-llama'), { threads: 1, fingerprintCachePath: cache });
    const b = await Engine.load(fixture('tiny-llama'), { threads: 1, fingerprintCachePath: cache });
    const c = await Engine.load(fixture('tiny-llama-fp16kv'), { threads: 1, fingerprintCachePath: cache });
    assert.equal(a.info.fingerprint, b.info.fingerprint);
    assert.notEqual(a.info.fingerprint, c.info.fingerprint);
    const { readFileSync } = await import('node:fs');
    const entries = Object.keys((JSON.parse(readFileSync(cache, 'utf8')) as { files: object }).files);
    assert.ok(entries.some((f) => f.endsWith('tiny-llama/onnx/model.onnx')));
    // A second pass over the same files reads the cache instead of hashing them again.
    const files = [a.info.onnxFile, ...a.info.externalDataFiles];
    const first = await fingerprintModel(files, a.info.layout, cache);
    const again = await fingerprintModel(files, a.info.layout, cache);
    assert.equal(again.hashedFiles, 0);
    assert.equal(again.cachedFiles, files.length);
    assert.equal(again.fingerprint, first.fingerprint);
    for (const e of [a, b, c]) await e.dispose();
  });
});
