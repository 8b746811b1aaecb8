import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { EngineError } from './errors.ts';
import { Engine } from './index.ts';
import { findModelFiles } from './model-files.ts';
import { fixture } from './fixtures.testkit.ts';

const tmp = mkdtempSync(join(tmpdir(), 'reprise-engine-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const opts = { threads: 1, fingerprintCachePath: null } as const;

function copyModel(name: string): string {
  const d = join(tmp, name + Math.random().toString(36).slice(2, 8));
  cpSync(fixture('tiny-llama'), d, { recursive: true });
  return d;
}

async function loadError(dir: string): Promise<EngineError> {
  try {
    const e = await Engine.load(dir, opts);
    await e.dispose();
  } catch (e) {
    assert.ok(e instanceof EngineError, String(e));
    assert.ok(e.title && e.cause && e.suggestion);
    return e;
  }
  throw new Error('expected load to fail');
}

describe('load errors name the file at fault', () => {
  test('missing folder', async () => {
    const e = await loadError(join(tmp, 'nope'));
    assert.equal(e.code, 'modelFolderMissing');
    assert.match(e.cause, /nope/);
  });

  test('missing config.json / tokenizer.json', async () => {
    for (const f of ['config.json', 'tokenizer.json']) {
      const d = copyModel('m');
      rmSync(join(d, f));
      const e = await loadError(d);
      assert.equal(e.code, 'fileMissing');
      assert.equal(e.file, join(d, f));
    }
  });

  test('no onnx file', async () => {
    const d = copyModel('m');
    rmSync(join(d, 'onnx', 'model.onnx'));
    const e = await loadError(d);
    assert.equal(e.code, 'noOnnxFile');
  });

  test('corrupt (truncated) onnx', async () => {
    const d = copyModel('m');
    const f = join(d, 'onnx', 'model.onnx');
    truncateSync(f, Math.floor(readFileSync(f).length / 3));
    const e = await loadError(d);
    assert.equal(e.code, 'corruptModel');
    assert.equal(e.file, f);
  });

  test('truncated external data', async () => {
    const d = join(tmp, 'ext');
    cpSync(fixture('tiny-llama-extdata'), d, { recursive: true });
    truncateSync(join(d, 'onnx', 'model.onnx_data'), 1000);
    const e = await loadError(d);
    assert.equal(e.code, 'corruptModel');
    assert.equal(e.file, join(d, 'onnx', 'model.onnx_data'));
  });

  test('unsupported layout: no past_key_values inputs', async () => {
    const d = copyModel('m');
    const { onnx } = onnxProto;
    const vi = (name: string, elemType: number): onnxProto.onnx.IValueInfoProto => ({
      name,
      type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'b' }, { dimParam: 's' }] } } },
    });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'nopast',
        node: [
          {
            opType: 'Cast',
            input: ['input_ids'],
            output: ['logits'],
            attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
          },
        ],
        input: [vi('input_ids', onnx.TensorProto.DataType.INT64)],
        output: [vi('logits', onnx.TensorProto.DataType.FLOAT)],
      },
    });
    writeFileSync(join(d, 'onnx', 'model.onnx'), onnx.ModelProto.encode(model).finish());
    const e = await loadError(d);
    assert.equal(e.code, 'unsupportedLayout');
    assert.match(e.cause, /past_key_values/);
  });

  test('invalid config.json', async () => {
    const d = copyModel('m');
    writeFileSync(join(d, 'config.json'), '{ not json');
    const e = await loadError(d);
    assert.equal(e.code, 'badConfig');
  });
});

describe('variant choice', () => {
  test('prefers quantized weights on CPU and fp16 on CUDA, and says why', () => {
    const d = copyModel('v');
    for (const v of ['model_fp16.onnx', 'model_q4.onnx', 'model_quantized.onnx'])
      copyFileSync(join(d, 'onnx', 'model.onnx'), join(d, 'onnx', v));
    const cpu = findModelFiles(d, { provider: 'cpu' });
    assert.equal(cpu.variant, 'model_q4.onnx');
    assert.match(cpu.variantReason, /4-bit/);
    assert.equal(findModelFiles(d, { provider: 'cuda' }).variant, 'model_fp16.onnx');
    const forced = findModelFiles(d, { variant: 'model' });
    assert.equal(forced.variant, 'model.onnx');
    assert.equal(forced.variantReason, 'requested explicitly');
    assert.throws(
      () => findModelFiles(d, { variant: 'model_bnb4' }),
      (e: EngineError) => e.code === 'noOnnxFile',
    );
  });

  test('external data files are found next to the chosen variant', () => {
    const f = findModelFiles(fixture('tiny-llama-extdata'));
    assert.deepEqual(
      f.externalData.map((p) => p.split('/').at(-1)),
      ['model.onnx_data'],
    );
  });
});
