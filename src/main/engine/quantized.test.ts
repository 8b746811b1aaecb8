// Quantized weights on onnxruntime-node's CPU provider, in the forms the hub's exports ship: 4-bit
// MatMulNBits (model_q4.onnx) and int8 QDQ. The variants are made from the tiny-llama fixture by
// tools/fixtures/quantize-weights.ts. MatMulNBits must compute what plain float math computes on the same
// 4-bit values; greedy output need not equal fp32's, only stay close to it.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeQuantized, type WeightQuant } from '../../../tools/fixtures/quantize-weights.ts';
import { BARE_WORKER, bareDecodeOn } from './bare-decode.testkit.ts';
import { Engine } from './index.ts';
import { fixture, maxAbsDiff, PROMPT } from './fixtures.testkit.ts';

const opts = { threads: 1, fingerprintCachePath: null } as const;
const N = 24;
/** Where the Python script's tiny-llama results go once committed. */
const PY_DIR = join(import.meta.dirname, '../../../tools/fixtures/quantized/tiny-llama');

describe('quantized weight variants on CPU', () => {
  let dir: string;
  let prompt: number[] | undefined;
  const run = async (variant: string): Promise<{ logits: Float32Array; ids: number[]; info: Engine['info'] }> => {
    const engine = await Engine.load(dir, { ...opts, variant });
    try {
      prompt ??= await engine.tokenize(PROMPT);
      const g = await engine.createGenerator();
      await g.appendTokens(prompt);
      const logits = await g.lastLogits();
      const r = await g.generate({ sampling: { greedy: true }, maxTokens: N, stopTokenIds: [] });
      return { logits, ids: r.tokenIds, info: engine.info };
    } finally {
      await engine.dispose();
    }
  };

  before(() => {
    const src = fixture('tiny-llama');
    dir = mkdtempSync(join(tmpdir(), 'reprise-quant-'));
    mkdirSync(join(dir, 'onnx'));
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(src, f), join(dir, f));
    copyFileSync(join(src, 'onnx', 'model.onnx'), join(dir, 'onnx', 'model.onnx'));
    const modes: Array<[WeightQuant, string]> = [
      ['q4', 'model_q4.onnx'],
      ['q4-reference', 'model_q4ref.onnx'],
      ['int8', 'model_int8.onnx'],
    ];
    for (const [mode, file] of modes) {
      // 2 layers x 7 projections + lm_head
      assert.equal(writeQuantized(join(src, 'onnx', 'model.onnx'), join(dir, 'onnx', file), mode), 15);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the CPU order picks 4-bit weights when a folder has them', async () => {
    const e = await Engine.load(dir, opts);
    try {
      assert.equal(e.info.variant, 'model_q4.onnx');
      assert.match(e.info.variantReason, /4-bit/);
    } finally {
      await e.dispose();
    }
  });

  test('4-bit MatMulNBits equals float math on the same 4-bit values, and stays close to fp32', async () => {
    const fp32 = await run('model.onnx');
    const q4 = await run('model_q4.onnx');
    const ref = await run('model_q4ref.onnx');
    // Embeddings stay fp32 (a Gather, not a MatMul), as in the hub's q4 exports.
    const ratio =
      readFileSync(join(dir, 'onnx', 'model_q4.onnx')).length / readFileSync(join(dir, 'onnx', 'model.onnx')).length;
    assert.ok(ratio < 0.45, `q4 file is ${ratio} of fp32`);
    assert.equal(q4.info.layout.dtype, 'float32');
    // Same weights, different kernels: only float rounding apart.
    const kernelDiff = maxAbsDiff(q4.logits, ref.logits);
    assert.ok(kernelDiff < 1e-3, `MatMulNBits vs dequantized MatMul: max |Δlogit| ${kernelDiff}`);
    assert.deepEqual(q4.ids, ref.ids);
    // 4-bit rounding moves logits, but not far on this model.
    const quantDiff = maxAbsDiff(q4.logits, fp32.logits);
    const spread = Math.max(...fp32.logits) - Math.min(...fp32.logits);
    assert.ok(quantDiff < 0.25 * spread, `q4 vs fp32: max |Δlogit| ${quantDiff} of a ${spread} spread`);
    assert.equal(argmax(q4.logits), argmax(fp32.logits));
  });

  test('int8 QDQ weights run and track fp32 closely', async () => {
    const fp32 = await run('model.onnx');
    const int8 = await run('model_int8.onnx');
    const d = maxAbsDiff(int8.logits, fp32.logits);
    const spread = Math.max(...fp32.logits) - Math.min(...fp32.logits);
    assert.ok(d < 0.05 * spread, `int8 vs fp32: max |Δlogit| ${d} of a ${spread} spread`);
    const agree = int8.ids.filter((t, i) => t === fp32.ids[i]).length / N;
    assert.ok(agree >= 0.75, `greedy agreement int8 vs fp32: ${agree}`);
  });

  test(
    'variants made by ONNX Runtime\u2019s quantizers agree with Python ORT',
    { skip: !existsSync(PY_DIR) && `run tools/fixtures/quantize.py (GPU machine) into ${PY_DIR}` },
    async () => {
      const ref = JSON.parse(readFileSync(join(PY_DIR, 'greedy.json'), 'utf8')) as {
        prompt_ids: number[];
        tokens: number;
        variants: Record<string, { ids: number[] }>;
      };
      const src = fixture('tiny-llama');
      for (const [name, v] of Object.entries(ref.variants)) {
        const file = name === 'fp32' ? join(src, 'onnx', 'model.onnx') : join(PY_DIR, 'onnx', `model_${name}.onnx`);
        copyFileSync(file, join(dir, 'onnx', `model_py${name}.onnx`));
        // int8 is compared with the bare loop, which runs in the bench's worker entry on the same session
        const workerPath = name === 'int8' ? BARE_WORKER : undefined;
        const e = await Engine.load(dir, { ...opts, variant: `model_py${name}.onnx`, workerPath });
        try {
          const g = await e.createGenerator();
          await g.appendTokens(ref.prompt_ids);
          const r = await g.generate({ sampling: { greedy: true }, maxTokens: ref.tokens, stopTokenIds: [] });
          if (name === 'int8') {
            // s8s8 MatMulInteger: ORT's x86 kernels differ between CPUs (the reference machine's and this
            // one's diverge after 4 tokens in a bare ORT loop too). Here the engine must equal ORT on this
            // machine: the bare greedy loop on the same session.
            const bare = await bareDecodeOn(e, ref.prompt_ids, ref.tokens);
            assert.deepEqual(r.tokenIds, bare.ids, `${name}: engine vs a bare ORT loop here`);
          } else assert.deepEqual(r.tokenIds, v.ids, `${name}: engine vs Python ORT`);
        } finally {
          await e.dispose();
        }
      }
    },
  );
});

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}
