import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FIXTURES, ensureFixture } from '../fixtures/build.ts';
import { mulberry32 } from '../fixtures/rng.ts';
import { GGML, GGUF_VERSION, meta, readGguf, readTensorBytes, writeGguf, type GgufFile } from './gguf.ts';
import { convertLlamaOnnxToGguf, onnxWeights } from './llama-from-onnx.ts';

const tmp = mkdtempSync(join(tmpdir(), 'reprise-gguf-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const f32 = (b: Buffer) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);

test('writeGguf round-trips metadata and places every tensor at an aligned, non-overlapping offset', () => {
  const path = join(tmp, 'small.gguf');
  const a = Float32Array.from({ length: 3 * 5 }, (_, i) => i + 0.5); // 60 bytes: not a multiple of 32
  const b = Uint16Array.from([1, 2, 3]); // 6 bytes of f16
  const c = Float32Array.from([7, 8]);
  writeGguf(
    path,
    {
      'general.architecture': meta.str('llama'),
      'x.u32': meta.u32(4_000_000_000),
      'x.i32': meta.i32(-5),
      'x.f32': meta.f32(1e-6),
      'x.bool': meta.bool(true),
      'x.strs': meta.strs(['a', 'Ġb', '<|im_end|>']),
      'x.i32s': meta.i32s([1, 3, -1]),
    },
    [
      { name: 'a', dims: [5, 3], type: GGML.F32, data: () => new Uint8Array(a.buffer) },
      { name: 'b', dims: [3], type: GGML.F16, data: () => new Uint8Array(b.buffer) },
      { name: 'c', dims: [2], type: GGML.F32, data: () => new Uint8Array(c.buffer) },
    ],
  );
  const g = readGguf(path);
  const raw = readFileSync(path);
  assert.equal(raw.toString('latin1', 0, 4), 'GGUF');
  assert.equal(g.version, GGUF_VERSION);
  assert.equal(g.metadata.get('x.u32'), 4_000_000_000);
  assert.equal(g.metadata.get('x.i32'), -5);
  assert.ok(Math.abs((g.metadata.get('x.f32') as number) - 1e-6) < 1e-12);
  assert.equal(g.metadata.get('x.bool'), true);
  assert.deepEqual(g.metadata.get('x.strs'), ['a', 'Ġb', '<|im_end|>']);
  assert.deepEqual(g.metadata.get('x.i32s'), [1, 3, -1]);
  assert.deepEqual(
    g.tensors.map((t) => [t.name, t.dims, t.type, t.offset]),
    [
      ['a', [5, 3], GGML.F32, 0],
      ['b', [3], GGML.F16, 64],
      ['c', [2], GGML.F32, 96],
    ],
  );
  assert.equal(g.dataStart % 32, 0);
  assert.equal(statSync(path).size, g.dataStart + 128); // the last tensor padded to the alignment too
  assert.deepEqual([...f32(readTensorBytes(path, g, g.tensors[0]!))], [...a]);
  assert.deepEqual(
    [...new Uint16Array(readTensorBytes(path, g, g.tensors[1]!).buffer.slice(0))].slice(0, 3),
    [1, 2, 3],
  );
  assert.deepEqual([...f32(readTensorBytes(path, g, g.tensors[2]!))], [7, 8]);
});

/** q·k scores per query head after RoPE at positions pq, pk: the quantity attention sees. */
function scores(q: Float32Array, k: Float32Array, nH: number, nKV: number, D: number): number[] {
  const g = nH / nKV;
  return Array.from({ length: nH }, (_, h) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += q[h * D + d]! * k[Math.floor(h / g) * D + d]!;
    return s;
  });
}

/** rotate_half (our ONNX graph): pairs (i, i + D/2). */
function ropeHalves(x: Float32Array, heads: number, D: number, pos: number, theta: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < D / 2; i++) {
      const a = pos / Math.pow(theta, (2 * i) / D);
      const [x1, x2] = [x[h * D + i]!, x[h * D + i + D / 2]!];
      out[h * D + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
      out[h * D + i + D / 2] = x2 * Math.cos(a) + x1 * Math.sin(a);
    }
  return out;
}

/** llama.cpp's LLAMA rope (GGML_ROPE_TYPE_NORM): pairs (2i, 2i + 1). */
function ropeInterleaved(x: Float32Array, heads: number, D: number, pos: number, theta: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < D / 2; i++) {
      const a = pos / Math.pow(theta, (2 * i) / D);
      const [x1, x2] = [x[h * D + 2 * i]!, x[h * D + 2 * i + 1]!];
      out[h * D + 2 * i] = x1 * Math.cos(a) - x2 * Math.sin(a);
      out[h * D + 2 * i + 1] = x2 * Math.cos(a) + x1 * Math.sin(a);
    }
  return out;
}

function tensor(path: string, g: GgufFile, name: string) {
  const t = g.tensors.find((x) => x.name === name);
  assert.ok(t, `tensor ${name}`);
  return { dims: t.dims, data: f32(readTensorBytes(path, g, t)) };
}

test('a converted fixture has llama metadata, the tokenizer, and weights that give the same attention scores as the ONNX graph', () => {
  const dir = ensureFixture(
    FIXTURES.find((f) => f.name === 'tiny-llama-extdata')!,
    false,
    () => {},
  );
  const path = join(tmp, 'tiny.gguf');
  convertLlamaOnnxToGguf(dir, path);
  const g = readGguf(path);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  const [H, nH, nKV, L, V] = [
    cfg.hidden_size,
    cfg.num_attention_heads,
    cfg.num_key_value_heads,
    cfg.num_hidden_layers,
    cfg.vocab_size,
  ];
  const D = H / nH;
  assert.equal(g.metadata.get('general.architecture'), 'llama');
  assert.equal(g.metadata.get('llama.block_count'), L);
  assert.equal(g.metadata.get('llama.attention.head_count_kv'), nKV);
  assert.equal(g.metadata.get('llama.rope.dimension_count'), D);
  assert.equal(g.metadata.get('tokenizer.ggml.model'), 'gpt2');
  const tokens = g.metadata.get('tokenizer.ggml.tokens') as string[];
  assert.equal(tokens.length, V);
  assert.equal(tokens[tok.model.vocab['Ġthe']], 'Ġthe');
  assert.equal(tokens[cfg.eos_token_id], '<|im_end|>');
  assert.equal((g.metadata.get('tokenizer.ggml.token_type') as number[])[cfg.eos_token_id], 3);
  assert.deepEqual(g.metadata.get('tokenizer.ggml.merges'), tok.model.merges);
  assert.equal(g.metadata.get('tokenizer.ggml.eos_token_id'), cfg.eos_token_id);
  assert.equal(g.tensors.length, 2 + 9 * L + 1);
  for (const t of g.tensors) assert.equal(t.offset % 32, 0, t.name);

  const w = onnxWeights(join(dir, 'onnx', 'model.onnx'));
  const onnx = (n: string) => w.get(n)!.read();
  // embeddings: one row per token either way; MatMul weights: ggml's rows are the ONNX columns
  assert.deepEqual(tensor(path, g, 'token_embd.weight').dims, [H, V]);
  assert.deepEqual([...tensor(path, g, 'token_embd.weight').data], [...onnx('model.embed_tokens.weight')]);
  const v = tensor(path, g, 'blk.1.attn_v.weight');
  assert.deepEqual(v.dims, [H, nKV * D]);
  const vOnnx = onnx('model.layers.1.self_attn.v_proj.weight'); // [H, nKV*D]
  for (const [r, c] of [
    [0, 0],
    [3, 5],
    [H - 1, nKV * D - 1],
  ] as const)
    assert.equal(v.data[c * H + r], vOnnx[r * nKV * D + c]);

  // RoPE: the converted Q/K rows under llama.cpp's interleaved rope must give the attention scores that the
  // ONNX weights give under rotate_half (without the permutation they do not)
  const rand = mulberry32(7);
  const x = Float32Array.from({ length: H }, () => rand() * 2 - 1);
  const theta = cfg.rope_theta;
  for (const l of [0, L - 1]) {
    const p = `model.layers.${l}.self_attn`;
    const xw = (m: Float32Array, out: number) =>
      Float32Array.from({ length: out }, (_, c) => x.reduce((s, xi, r) => s + xi * m[r * out + c]!, 0));
    const rows = (m: Float32Array, out: number) =>
      Float32Array.from({ length: out }, (_, o) => x.reduce((s, xi, i) => s + xi * m[o * H + i]!, 0));
    const [qO, kO] = [xw(onnx(`${p}.q_proj.weight`), nH * D), xw(onnx(`${p}.k_proj.weight`), nKV * D)];
    const [qG, kG] = [
      rows(tensor(path, g, `blk.${l}.attn_q.weight`).data, nH * D),
      rows(tensor(path, g, `blk.${l}.attn_k.weight`).data, nKV * D),
    ];
    for (const [pq, pk] of [
      [5, 2],
      [300, 17],
    ] as const) {
      const ours = scores(ropeHalves(qO, nH, D, pq, theta), ropeHalves(kO, nKV, D, pk, theta), nH, nKV, D);
      const theirs = scores(ropeInterleaved(qG, nH, D, pq, theta), ropeInterleaved(kG, nKV, D, pk, theta), nH, nKV, D);
      for (let h = 0; h < nH; h++)
        assert.ok(
          Math.abs(ours[h]! - theirs[h]!) < 1e-3 * (1 + Math.abs(ours[h]!)),
          `layer ${l} head ${h} at (${pq}, ${pk}): ${ours[h]} vs ${theirs[h]}`,
        );
    }
  }
});

test('--f16 writes half-precision matrices and keeps the norms in f32', () => {
  const dir = ensureFixture(
    FIXTURES.find((f) => f.name === 'tiny-llama')!,
    false,
    () => {},
  );
  const path = join(tmp, 'tiny-f16.gguf');
  convertLlamaOnnxToGguf(dir, path, { f16: true });
  const g = readGguf(path);
  assert.equal(g.metadata.get('general.file_type'), 1);
  assert.equal(g.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!.type, GGML.F16);
  assert.equal(g.tensors.find((t) => t.name === 'blk.0.attn_norm.weight')!.type, GGML.F32);
  for (const t of g.tensors) assert.equal(t.offset % 32, 0, t.name);
});
