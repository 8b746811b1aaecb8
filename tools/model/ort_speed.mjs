// Bare onnxruntime-node decode/prefill speed of a reprise-tiny style export (no engine), 2 intra-op threads.
//   node tools/model/ort_speed.mjs [resources/models/reprise-tiny/onnx/model.onnx]
import ort from 'onnxruntime-node';
const path = process.argv[2] ?? 'resources/models/reprise-tiny/onnx/model.onnx';
const s = await ort.InferenceSession.create(path, {
  executionProviders: ['cpu'],
  intraOpNumThreads: 2,
  graphOptimizationLevel: 'all',
});
const L = 8,
  KV = 2,
  HD = 64;
async function bench(ctx, n) {
  const feeds = (ids, past, pastLen) => {
    const f = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(pastLen + ids.length).fill(1n), [
        1,
        pastLen + ids.length,
      ]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(pastLen + i))), [
        1,
        ids.length,
      ]),
    };
    for (let l = 0; l < L; l++)
      for (const kv of ['key', 'value'])
        f[`past_key_values.${l}.${kv}`] = past
          ? past[`present.${l}.${kv}`]
          : new ort.Tensor('float32', new Float32Array(0), [1, KV, 0, HD]);
    return f;
  };
  const prompt = Array.from({ length: ctx }, (_, k) => 3 + ((k * 7919) % 4000));
  let t = performance.now();
  let out = await s.run(feeds(prompt, null, 0));
  const pre = performance.now() - t;
  let pos = ctx;
  t = performance.now();
  for (let i = 0; i < n; i++) {
    const lg = out.logits.data;
    const V = 4096;
    let best = 0;
    const off = lg.length - V;
    for (let j = 1; j < V; j++) if (lg[off + j] > lg[off + best]) best = j;
    out = await s.run(feeds([best], out, pos));
    pos++;
  }
  const dt = performance.now() - t;
  console.log(
    `ctx ${ctx}: prefill ${((ctx / pre) * 1000).toFixed(0)} tok/s, decode ${((n / dt) * 1000).toFixed(1)} tok/s`,
  );
}
await bench(16, 20);
await bench(32, 128);
await bench(500, 64);
await bench(1000, 64);
await bench(1900, 64);
