// The ceiling the engine is benchmarked against (issue: "a bare ORT loop on the same session"): a minimal
// greedy loop over the loaded session, in the worker that owns it, with none of the engine's machinery.
import * as ort from 'onnxruntime-node';
import type { Engine } from './engine.ts';
import type { LoadedModel } from './model.ts';

export async function bareDecode(
  m: LoadedModel,
  prompt: number[],
  n: number,
): Promise<{ ids: number[]; tokS: number; stepMs: number[] }> {
  const { io } = m;
  const { numLayers, numKvHeads, headDim, dtype } = io.layout;
  if (dtype !== 'float32') throw new Error('bareDecode measures float32-KV models only');
  const ones = new BigInt64Array(prompt.length + n).fill(1n);
  let past: Record<string, ort.Tensor> = {};
  // A graph rewritten to output new K/V only (new-kv-graph.ts) reads a fixed-size past in place: its rows
  // past `pos` are masked out, and each step's new rows are copied in.
  const inPlace = m.info.kvMode === 'inPlace';
  const slots = prompt.length + n;
  const buffers: Float32Array[] = [];
  const mask = new BigInt64Array(slots + prompt.length);
  for (let l = 0; l < numLayers; l++)
    for (const name of [io.pastKey[l]!, io.pastValue[l]!]) {
      const data = new Float32Array(inPlace ? numKvHeads * slots * headDim : 0);
      buffers.push(data);
      past[name] = new ort.Tensor('float32', data, [1, numKvHeads, inPlace ? slots : 0, headDim]);
    }
  let input = prompt;
  let pos = 0;
  const ids: number[] = [];
  let tFirst = 0;
  let tPrev = 0;
  const stepMs: number[] = []; // like the engine's recordSteps: sample to sample
  for (let i = 0; i < n; i++) {
    const S = input.length;
    const feeds: Record<string, ort.Tensor> = {
      [io.inputIds]: new ort.Tensor('int64', BigInt64Array.from(input, BigInt), [1, S]),
      ...past,
    };
    if (inPlace) {
      mask
        .fill(1n, 0, pos)
        .fill(0n, pos, slots)
        .fill(1n, slots, slots + S);
      feeds[io.attentionMask!] = new ort.Tensor('int64', mask.subarray(0, slots + S), [1, slots + S]);
    } else if (io.attentionMask)
      feeds[io.attentionMask] = new ort.Tensor('int64', ones.subarray(0, pos + S), [1, pos + S]);
    if (io.positionIds)
      feeds[io.positionIds] = new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: S }, (_, k) => BigInt(pos + k)),
        [1, S],
      );
    const out = await m.session.run(feeds);
    const logits = out[io.logits]!.data as Float32Array;
    const V = out[io.logits]!.dims[2]!;
    let best = 0;
    for (let v = 1, o = (S - 1) * V; v < V; v++) if (logits[o + v]! > logits[o + best]!) best = v;
    const t = performance.now();
    if (i === 0) tFirst = t;
    else stepMs.push(t - tPrev);
    tPrev = t;
    ids.push(best);
    if (inPlace)
      for (let l = 0; l < numLayers; l++)
        for (const [i, name] of [io.presentKey[l]!, io.presentValue[l]!].entries()) {
          const rows = out[name]!.data as Float32Array;
          for (let h = 0; h < numKvHeads; h++)
            buffers[2 * l + i]!.set(rows.subarray(h * S * headDim, (h + 1) * S * headDim), (h * slots + pos) * headDim);
        }
    else {
      past = {};
      for (let l = 0; l < numLayers; l++) {
        past[io.pastKey[l]!] = out[io.presentKey[l]!]!;
        past[io.pastValue[l]!] = out[io.presentValue[l]!]!;
      }
    }
    pos += S;
    input = [best];
    if (i === n - 1) break; // like the engine: the last sampled token is not run
  }
  return { ids, tokS: ((n - 1) * 1000) / (performance.now() - tFirst), stepMs };
}

/** A worker entry that is the product's engine worker plus `bareDecode` (bare-worker.testkit.ts). */
export const BARE_WORKER = new URL('./bare-worker.testkit.ts', import.meta.url);

/** The bare loop on an engine loaded with `workerPath: BARE_WORKER`: same worker, same session, same queue. */
export function bareDecodeOn(
  engine: Engine,
  prompt: readonly number[],
  n: number,
): Promise<{ ids: number[]; tokS: number; stepMs: number[] }> {
  return engine.call({ op: 'extension', name: 'bareDecode', args: { prompt: [...prompt], n } }) as Promise<{
    ids: number[];
    tokS: number;
    stepMs: number[];
  }>;
}
