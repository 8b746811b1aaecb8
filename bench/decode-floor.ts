// The physical floor of decode at long context (issue #18's "decode at 2k ≥ 0.9 × decode at 16"): a decode
// step is a matrix–vector product, memory-bound, so its time is at least the bytes it must read over the
// machine's memory bandwidth. Bytes per step = the weights a token's matmuls read (every matmul weight in
// full; an embedding table only its row) + the K/V of every attended token. The ratio of the two step times
// at best is then (weights + KV@16) / (weights + KV@2k), whatever the engine does; fp16 KV halves the KV term.
// Compute for comparison: multiply–accumulates of the matmuls vs of attention (QKᵀ and PV) at 2k.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { KvLayout } from '../src/main/tensor/kv-types.ts';
import { median } from './stats.ts';

const { onnx } = onnxProto;
const ELEM: Record<number, number> = { 1: 4, 10: 2, 11: 8, 16: 2, 3: 1, 2: 1, 7: 8, 6: 4 };

/** Bytes of weights one decoded token reads, and the multiply–accumulates of its matmuls. */
export function weightTraffic(modelDir: string): { bytes: number; macs: number } {
  const model = onnx.ModelProto.decode(readFileSync(join(modelDir, 'onnx', 'model.onnx')));
  const g = model.graph!;
  const gatherOnly = new Set<string>();
  const uses = new Map<string, string[]>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) uses.set(i, [...(uses.get(i) ?? []), n.opType!]);
  let bytes = 0;
  let macs = 0;
  for (const t of g.initializer ?? []) {
    const dims = (t.dims ?? []).map(Number);
    const n = dims.reduce((a, b) => a * b, 1);
    const u = uses.get(t.name!) ?? [];
    if (u.length && u.every((op) => op === 'Gather')) {
      gatherOnly.add(t.name!);
      bytes += (n / (dims[0] ?? 1)) * (ELEM[t.dataType!] ?? 4); // one row
      continue;
    }
    bytes += n * (ELEM[t.dataType!] ?? 4);
    if (u.includes('MatMul') && dims.length === 2) macs += n;
  }
  return { bytes, macs };
}

/**
 * Read bandwidth with `threads` threads: ORT's ReduceSum over a 256 MB array (wrapped, not copied), best of
 * runs. On a loaded machine this is a lower bound (so is decode.achieved_gb_s_16: the engine's own reads).
 */
export async function readBandwidth(threads: number, rounds = 15): Promise<{ gbS: number; all: number[] }> {
  const n = 64 * 1024 * 1024;
  const graph = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'read',
      node: [{ opType: 'ReduceSum', input: ['x'], output: ['y'], attribute: [{ name: 'keepdims', i: 0, type: 2 }] }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: n }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [] } } } }],
    },
  }).finish();
  const s = await ort.InferenceSession.create(graph, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  try {
    const x = new Float32Array(n).fill(1);
    const feed = { x: new ort.Tensor('float32', x, [n]) };
    await s.run(feed);
    const all: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      await s.run(feed);
      all.push((n * 4) / ((performance.now() - t0) / 1000) / 1e9);
    }
    return { gbS: Math.max(...all), all };
  } finally {
    await s.release();
  }
}

/** The floor and its arithmetic for contexts `short` and `long`, against measured step times (ms). */
export async function decodeFloor(
  modelDir: string,
  layout: KvLayout,
  threads: number,
  ctx: { short: number; long: number; stepMsShort: number; stepMsLong: number },
  log: (s: string) => void,
): Promise<Record<string, number>> {
  const w = weightTraffic(modelDir);
  const { numLayers: L, numKvHeads: H, headDim: D, dtype } = layout;
  const kvTok = L * 2 * H * D * (dtype === 'float32' ? 4 : 2);
  const kv16Tok = L * 2 * H * D * 2;
  const at = (t: number, per = kvTok) => w.bytes + t * per;
  const bw = await readBandwidth(threads);
  const heads = Number(JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')).num_attention_heads ?? H);
  const attnMacs = (t: number) => L * heads * t * D * 2; // QKᵀ and PV, per head, one query
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const mb = (x: number) => (x / 1e6).toFixed(1);
  log(
    `floor: weights ${mb(w.bytes)} MB/token; KV ${kvTok} B/token -> ${mb(ctx.short * kvTok)} MB at ${ctx.short}, ${mb(ctx.long * kvTok)} MB at ${ctx.long}; ` +
      `read bandwidth (${threads} threads, ReduceSum over 256 MB) best ${bw.gbS.toFixed(1)} GB/s [${bw.all.map((x) => x.toFixed(1)).join(' ')}]`,
  );
  const floorMs = (b: number) => (b / (bw.gbS * 1e9)) * 1000;
  log(
    `floor: step ≥ ${floorMs(at(ctx.short)).toFixed(1)} ms at ${ctx.short}, ≥ ${floorMs(at(ctx.long)).toFixed(1)} ms at ${ctx.long} (measured ${ctx.stepMsShort.toFixed(1)} / ${ctx.stepMsLong.toFixed(1)} ms); ` +
      `ratio ≤ ${r3(at(ctx.short) / at(ctx.long))} (fp16 KV: ≤ ${r3(at(ctx.short, kv16Tok) / at(ctx.long, kv16Tok))}); ` +
      `MACs: matmuls ${mb(w.macs)}M, attention ${mb(attnMacs(ctx.short))}M at ${ctx.short} / ${mb(attnMacs(ctx.long))}M at ${ctx.long}`,
  );
  return {
    'decode.weight_bytes_per_token': w.bytes,
    'decode.kv_bytes_per_context_token': kvTok,
    'decode.bytes_per_step_16': at(ctx.short),
    'decode.bytes_per_step_2k': at(ctx.long),
    'decode.read_gb_s': Math.round(bw.gbS * 10) / 10,
    'decode.read_gb_s_median': Math.round(median(bw.all) * 10) / 10,
    'decode.floor_step_ms_16': Math.round(floorMs(at(ctx.short)) * 10) / 10,
    'decode.floor_step_ms_2k': Math.round(floorMs(at(ctx.long)) * 10) / 10,
    'decode.floor_2k_ratio': r3(at(ctx.short) / at(ctx.long)),
    'decode.floor_2k_ratio_fp16kv': r3(at(ctx.short, kv16Tok) / at(ctx.long, kv16Tok)),
    // what the measured steps imply: bytes per step over step time (vs the measured read bandwidth)
    'decode.achieved_gb_s_16': Math.round((at(ctx.short) / ctx.stepMsShort / 1e6) * 10) / 10,
    'decode.achieved_gb_s_2k': Math.round((at(ctx.long) / ctx.stepMsLong / 1e6) * 10) / 10,
    'decode.matmul_macs_per_token': w.macs,
    'decode.attention_macs_2k': attnMacs(ctx.long),
  };
}
