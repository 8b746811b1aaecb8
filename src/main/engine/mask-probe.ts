// The in-place KV path feeds spare past slots that only attention_mask keeps out of attention. A graph that
// ignores zeros in its mask (some exports drop the padding mask when tracing with all-ones dummies) would
// attend to them and compute wrong logits, so a rewritten session is probed once at load: two tokens with
// no past, and the same two tokens after masked slots of junk, must give the same logits.
import * as ort from 'onnxruntime-node';
import { float16Bits, float16Tensor, halfArrayToFloat } from './fp16.ts';
import type { IoMap } from './io-map.ts';

const SPARE = 3;

export async function probeMaskedSlots(
  session: ort.InferenceSession,
  io: IoMap,
): Promise<{ ok: boolean; diff: number }> {
  const { numLayers, numKvHeads: H, headDim: D, dtype } = io.layout;
  const logits = async (spare: number): Promise<Float32Array> => {
    const f: Record<string, ort.Tensor> = {
      [io.inputIds]: new ort.Tensor('int64', new BigInt64Array([1n, 2n]), [1, 2]),
      [io.positionIds!]: new ort.Tensor('int64', new BigInt64Array([0n, 1n]), [1, 2]),
      [io.attentionMask!]: new ort.Tensor('int64', new BigInt64Array(spare + 2).fill(1n).fill(0n, 0, spare), [
        1,
        spare + 2,
      ]),
    };
    const n = H * spare * D;
    for (let l = 0; l < numLayers; l++)
      for (const name of [io.pastKey[l]!, io.pastValue[l]!])
        f[name] =
          dtype === 'float16'
            ? float16Tensor(new Uint16Array(n).fill(0x4400), [1, H, spare, D]) // 4.0
            : new ort.Tensor('float32', new Float32Array(n).fill(4), [1, H, spare, D]);
    const out = await session.run(f);
    const lg = out[io.logits]!;
    return lg.type === 'float16' ? halfArrayToFloat(float16Bits(lg.data)) : (lg.data as Float32Array);
  };
  const a = await logits(0);
  const b = await logits(SPARE);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return { ok: a.length === b.length && diff <= 1e-3 * scale, diff };
}
