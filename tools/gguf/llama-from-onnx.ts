// Converts a Llama model in our HF/Optimum ONNX layout (tools/fixtures/llama-onnx.ts: MatMul weights stored
// [in, out], rotate_half RoPE) to a llama-architecture GGUF that llama.cpp loads, with the byte-level BPE of
// tokenizer.json as llama.cpp's `gpt2` tokenizer. Used by the peer bench (bench/peer) to run node-llama-cpp
// on the same weights as our engine.
//
//   tsx tools/gguf/llama-from-onnx.ts <model dir> <out.gguf> [--f16]
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { toHalf } from '../../src/main/tensor/half.ts';
import { GGML, meta, writeGguf, type GgmlType, type MetaValue, type TensorSpec } from './gguf.ts';

const { onnx } = onnxProto;

interface LlamaConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  bos_token_id: number;
  eos_token_id: number;
  pad_token_id?: number;
}

/** Float32 initializers by name (inline raw data or external data), read lazily: the big model is ~400 MB. */
export function onnxWeights(onnxPath: string): Map<string, { dims: number[]; read: () => Float32Array }> {
  const model = onnx.ModelProto.decode(readFileSync(onnxPath));
  const out = new Map<string, { dims: number[]; read: () => Float32Array }>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.name) continue;
    const dims = (t.dims ?? []).map(Number);
    const n = dims.reduce((a, d) => a * d, 1);
    let read: () => Float32Array;
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
      const kv = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
      const file = join(dirname(onnxPath), String(kv.location));
      const offset = Number(kv.offset ?? 0);
      read = () => {
        const f = new Float32Array(n);
        const fd = openSync(file, 'r');
        try {
          if (readSync(fd, new Uint8Array(f.buffer), 0, n * 4, offset) !== n * 4)
            throw new Error(`short read: ${t.name}`);
        } finally {
          closeSync(fd);
        }
        return f;
      };
    } else if (t.rawData && t.rawData.length) {
      const raw = t.rawData;
      read = () => new Float32Array(raw.slice().buffer, 0, n);
    } else {
      const fd = t.floatData ?? [];
      read = () => Float32Array.from(fd);
    }
    out.set(t.name, { dims, read });
  }
  return out;
}

/** [rows, cols] row-major -> [cols, rows] row-major: ONNX MatMul's [in, out] to ggml's out rows of `in`. */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/**
 * convert_hf_to_gguf.py's LlamaModel.permute on an [out, in] weight: within each head, output row
 * `half * D/2 + i` (rotate_half pairs i with i + D/2) moves to `2i + half` (llama.cpp's rope pairs 2i, 2i+1).
 */
export function permuteRope(w: Float32Array, heads: number, cols: number): Float32Array {
  const rows = w.length / cols;
  const D = rows / heads;
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++)
    for (let half = 0; half < 2; half++)
      for (let i = 0; i < D / 2; i++) {
        const src = (h * D + half * (D / 2) + i) * cols;
        const dst = (h * D + 2 * i + half) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
  return out;
}

function toBytes(f: Float32Array, type: GgmlType): Uint8Array {
  if (type === GGML.F32) return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  const h = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) h[i] = toHalf(f[i]!);
  return new Uint8Array(h.buffer);
}

/** llama.cpp's metadata for a byte-level BPE tokenizer.json (tokens by id, merges, token types, special ids). */
export function tokenizerMetadata(tokenizerJson: string, cfg: LlamaConfig): Record<string, MetaValue> {
  const tok = JSON.parse(tokenizerJson) as {
    model: { type: string; vocab: Record<string, number>; merges: (string | [string, string])[] };
    added_tokens?: { id: number; content: string; special: boolean }[];
  };
  if (tok.model.type !== 'BPE') throw new Error(`tokenizer model ${tok.model.type}: only BPE converts to gguf's gpt2`);
  const tokens: string[] = new Array<string>(cfg.vocab_size);
  const types: number[] = new Array<number>(cfg.vocab_size).fill(1); // 1: normal
  for (const [s, id] of Object.entries(tok.model.vocab)) tokens[id] = s;
  for (const a of tok.added_tokens ?? []) {
    tokens[a.id] = a.content;
    types[a.id] = a.special ? 3 : 4; // 3: control, 4: user-defined
  }
  for (let i = 0; i < tokens.length; i++)
    if (tokens[i] === undefined) {
      tokens[i] = `[PAD${i}]`; // llama.cpp wants one string per id
      types[i] = 5; // unused
    }
  const merges = tok.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  return {
    'tokenizer.ggml.model': meta.str('gpt2'),
    // our pre-tokenizer is ByteLevel with GPT-2's split regex (llama.cpp's name for it is 'gpt-2')
    'tokenizer.ggml.pre': meta.str('gpt-2'),
    'tokenizer.ggml.tokens': meta.strs(tokens),
    'tokenizer.ggml.token_type': meta.i32s(types),
    'tokenizer.ggml.merges': meta.strs(merges),
    'tokenizer.ggml.bos_token_id': meta.u32(cfg.bos_token_id),
    'tokenizer.ggml.eos_token_id': meta.u32(cfg.eos_token_id),
    'tokenizer.ggml.padding_token_id': meta.u32(cfg.pad_token_id ?? cfg.bos_token_id),
    'tokenizer.ggml.add_bos_token': meta.bool(false),
  };
}

/** Writes `outPath` from the model folder `dir` (config.json, tokenizer.json, onnx/model.onnx). */
export function convertLlamaOnnxToGguf(dir: string, outPath: string, opts: { f16?: boolean } = {}): { bytes: number } {
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as LlamaConfig;
  const w = onnxWeights(join(dir, 'onnx', 'model.onnx'));
  const {
    hidden: H,
    heads: nH,
    kv: nKV,
  } = {
    hidden: cfg.hidden_size,
    heads: cfg.num_attention_heads,
    kv: cfg.num_key_value_heads,
  };
  const wtype: GgmlType = opts.f16 ? GGML.F16 : GGML.F32;
  const get = (name: string) => {
    const t = w.get(name);
    if (!t) throw new Error(`${dir}: no float32 initializer ${name}`);
    return t;
  };
  const tensors: TensorSpec[] = [];
  // 1-D norms stay f32 (llama.cpp's converters keep them so too)
  const vec = (gguf: string, onnxName: string) => {
    const t = get(onnxName);
    tensors.push({ name: gguf, dims: t.dims, type: GGML.F32, data: () => toBytes(t.read(), GGML.F32) });
  };
  /** A MatMul weight [in, out] as ggml [in, out] dims = out rows of length in (optionally RoPE-permuted). */
  const mat = (gguf: string, onnxName: string, ropeHeads?: number) => {
    const t = get(onnxName);
    const [rows, cols] = t.dims as [number, number];
    tensors.push({
      name: gguf,
      dims: [rows, cols],
      type: wtype,
      data: () => {
        const x = transpose(t.read(), rows, cols);
        return toBytes(ropeHeads ? permuteRope(x, ropeHeads, rows) : x, wtype);
      },
    });
  };
  const emb = get('model.embed_tokens.weight'); // [V, H]: already one row per token
  tensors.push({
    name: 'token_embd.weight',
    dims: [H, cfg.vocab_size],
    type: wtype,
    data: () => toBytes(emb.read(), wtype),
  });
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    vec(`blk.${l}.attn_norm.weight`, `${p}.input_layernorm.weight`);
    mat(`blk.${l}.attn_q.weight`, `${p}.self_attn.q_proj.weight`, nH);
    mat(`blk.${l}.attn_k.weight`, `${p}.self_attn.k_proj.weight`, nKV);
    mat(`blk.${l}.attn_v.weight`, `${p}.self_attn.v_proj.weight`);
    mat(`blk.${l}.attn_output.weight`, `${p}.self_attn.o_proj.weight`);
    vec(`blk.${l}.ffn_norm.weight`, `${p}.post_attention_layernorm.weight`);
    mat(`blk.${l}.ffn_gate.weight`, `${p}.mlp.gate_proj.weight`);
    mat(`blk.${l}.ffn_up.weight`, `${p}.mlp.up_proj.weight`);
    mat(`blk.${l}.ffn_down.weight`, `${p}.mlp.down_proj.weight`);
  }
  vec('output_norm.weight', 'model.norm.weight');
  mat('output.weight', 'lm_head.weight');

  const metadata: Record<string, MetaValue> = {
    'general.architecture': meta.str('llama'),
    'general.name': meta.str(dir.split(/[\\/]/).filter(Boolean).at(-1) ?? 'model'),
    'general.file_type': meta.u32(opts.f16 ? 1 : 0), // LLAMA_FTYPE_ALL_F32 / MOSTLY_F16
    'general.alignment': meta.u32(32),
    'llama.vocab_size': meta.u32(cfg.vocab_size),
    'llama.context_length': meta.u32(cfg.max_position_embeddings),
    'llama.embedding_length': meta.u32(H),
    'llama.block_count': meta.u32(cfg.num_hidden_layers),
    'llama.feed_forward_length': meta.u32(cfg.intermediate_size),
    'llama.rope.dimension_count': meta.u32(H / nH),
    'llama.rope.freq_base': meta.f32(cfg.rope_theta),
    'llama.attention.head_count': meta.u32(nH),
    'llama.attention.head_count_kv': meta.u32(nKV),
    'llama.attention.layer_norm_rms_epsilon': meta.f32(cfg.rms_norm_eps),
    ...tokenizerMetadata(readFileSync(join(dir, 'tokenizer.json'), 'utf8'), cfg),
  };
  return { bytes: writeGguf(outPath, metadata, tensors).bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, out] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (!dir || !out) {
    console.error('usage: tsx tools/gguf/llama-from-onnx.ts <model dir> <out.gguf> [--f16]');
    process.exit(2);
  }
  const t0 = performance.now();
  const { bytes } = convertLlamaOnnxToGguf(dir, out, { f16: process.argv.includes('--f16') });
  console.log(`wrote ${out} (${(bytes / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
