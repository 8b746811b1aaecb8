// Engine benchmark (DESIGN.md bench contract, engine.* and mainthread.* keys) on fixtures/models/bench-100m:
// engine decode tok/s vs a bare ORT loop on the same session (in the engine's worker), vs transformers.js on the same ONNX
// file (greedy ids must match), and main-thread event-loop lag while the engine generates.
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/main/engine/index.ts';
import { BENCH_FIXTURE, ensureFixture } from '../tools/fixtures/build.ts';

type Result = Record<string, number | string | boolean>;

const PROMPT =
  '<|im_start|>user\nOnce upon a time there was a small cat named Tom. Tom lived in a library with an old woman who loved books. ' +
  'Every night, when the lights went out, Tom would sit on the table and look at the pages.<|im_end|>\n<|im_start|>assistant\n';

async function transformersJsDecode(
  dir: string,
  prompt: number[],
  n: number,
  rounds: number,
  threads: number,
): Promise<{ ids: number[]; tokS: number }> {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = dirname(dir) + '/';
  const model = await tjs.AutoModelForCausalLM.from_pretrained(BENCH_FIXTURE.name, {
    dtype: 'fp32',
    device: 'cpu',
    use_external_data_format: true,
    session_options: {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    },
  });
  const input_ids = new tjs.Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]);
  const once = async (count: number): Promise<{ ids: number[]; tokS: number }> => {
    const times: number[] = []; // times[0]: the prompt, times[1]: the first generated token
    const streamer = { put: () => void times.push(performance.now()), end: () => {} };
    const out = (await model.generate({
      input_ids,
      max_new_tokens: count,
      do_sample: false,
      eos_token_id: null,
      streamer,
    } as never)) as { tolist(): bigint[][] };
    const ids = out.tolist()[0]!.slice(prompt.length).map(Number);
    return { ids, tokS: ((ids.length - 1) * 1000) / (times.at(-1)! - times[1]!) };
  };
  await once(16); // same warm-up as the engine and the bare loop
  let best = { ids: [] as number[], tokS: 0 };
  for (let r = 0; r < rounds; r++) {
    const t = await once(n);
    if (t.tokS > best.tokS) best = t;
  }
  await model.dispose();
  return best;
}

export async function benchEngine(opts: { quick: boolean; log: (s: string) => void }): Promise<Result> {
  const { quick, log } = opts;
  const dir = ensureFixture(BENCH_FIXTURE, false, log);
  const threads = availableParallelism();
  const n = quick ? 40 : 128;
  const rounds = quick ? 3 : 4;

  const engine = await Engine.load(dir, { provider: 'cpu', threads });
  const prompt = await engine.tokenize(PROMPT);
  log(
    `engine: ${engine.info.name} (${engine.info.variant}, ${engine.info.provider}, ${threads} threads), prompt ${prompt.length} tokens, ${n} tokens x ${rounds} rounds`,
  );

  // Rounds alternate engine / bare ORT so machine drift hits both alike; best round counts. Both are timed
  // the same way, in the thread that runs the session: (n - 1) decode steps after the first token.
  const lag = monitorEventLoopDelay({ resolution: 1 });
  let engineIds: number[] = [];
  let bareIds: number[] = [];
  let engineBest = 0;
  let bareBest = 0;
  const engineRun = async (count: number, measureLag: boolean): Promise<number> => {
    const g = await engine.createGenerator();
    await g.appendTokens(prompt);
    if (measureLag) lag.enable();
    const r = await g.generate({ sampling: { greedy: true }, maxTokens: count, ignoreEos: true });
    if (measureLag) lag.disable();
    await g.dispose();
    engineIds = r.tokenIds;
    return r.decodeTokS;
  };
  // Warm-up: the first runs pay page faults on the weights and arena growth (several times slower).
  await engineRun(16, false);
  await engine.bareDecode(prompt, 16);
  for (let r = 0; r < rounds; r++) {
    engineBest = Math.max(engineBest, await engineRun(n, true));
    const b = await engine.bareDecode(prompt, n);
    bareBest = Math.max(bareBest, b.tokS);
    bareIds = b.ids;
  }
  await engine.dispose();
  log(
    `engine ${engineBest.toFixed(1)} tok/s, bare ORT ${bareBest.toFixed(1)} tok/s, bare ids ${sameIds(engineIds, bareIds) ? 'match' : 'DIFFER'}`,
  );

  let tjsTokS = 0;
  let parity = false;
  try {
    const t = await transformersJsDecode(dir, prompt, n, rounds, threads);
    tjsTokS = t.tokS;
    parity = sameIds(engineIds, t.ids);
    log(`transformers.js ${tjsTokS.toFixed(1)} tok/s, greedy parity ${parity}`);
  } catch (e) {
    log(`transformers.js failed: ${(e as Error).message}`);
  }
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    'engine.model': BENCH_FIXTURE.name,
    'engine.decode_tok_s': r2(engineBest),
    'engine.bare_ort_decode_tok_s': r2(bareBest),
    'engine.ratio_vs_bare': r2(engineBest / bareBest),
    'engine.transformersjs_decode_tok_s': r2(tjsTokS),
    'engine.ratio_vs_transformersjs': tjsTokS ? r2(engineBest / tjsTokS) : 0,
    'engine.greedy_parity': parity,
    'mainthread.event_loop_lag_p99_ms': r2(lag.percentile(99) / 1e6),
  };
}

function sameIds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// Standalone: `tsx bench/engine.ts [--quick]` (bench/run.ts is the real entry).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const r = await benchEngine({ quick: process.argv.includes('--quick'), log: (s) => console.log(s) });
  console.log(JSON.stringify(r, null, 2), `\n${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
