// Long-context decode (DESIGN.md bench contract: engine.decode_tok_s_at_2k, engine.decode_2k_vs_16_ratio) on
// bench-100m: decode steps with ~16 and ~2k tokens of context, for the in-place KV path (the default) and,
// side by side, the graph's own concat(past, new) outputs (kvInPlace: false, the path before it) and the
// in-place path with ORT's threads sleeping instead of spin-waiting (spinThreads: false). Then the physical
// floor of the ratio (decode-floor.ts).
// Histories are prefilled once (untimed); each round rewinds to them and times the decode steps, the six
// runs of a round in a rotating order; ratios are taken within a round and the median over rounds reported.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, type Generator } from '../src/main/engine/index.ts';
import { BENCH_FIXTURE, ensureFixture } from '../tools/fixtures/build.ts';
import { CORPUS } from '../tools/fixtures/corpus.ts';
import { decodeFloor } from './decode-floor.ts';
import { median } from './stats.ts';

type Result = Record<string, number | string | boolean>;
export const LONG_CONTEXT = 2031;
const SHORT_CONTEXT = 16;

interface Ctx {
  engine: Engine;
  gen: Generator;
  len: number;
}

export async function benchLongContext(opts: { quick: boolean; log: (s: string) => void }): Promise<Result> {
  const { quick, log } = opts;
  const dir = ensureFixture(BENCH_FIXTURE, false, log);
  const threads = availableParallelism();
  const n = quick ? 24 : 48;
  const rounds = quick ? 3 : 7;
  // nospin: the in-place path with ORT's intra-op threads sleeping instead of spin-waiting (the default)
  const modes = {
    inPlace: { kvInPlace: true },
    concat: { kvInPlace: false },
    nospin: { kvInPlace: true, spinThreads: false },
  } as const;
  const ctxs: Record<string, Ctx> = {};
  const engines: Engine[] = [];
  try {
    for (const [mode, o] of Object.entries(modes)) {
      const engine = await Engine.load(dir, { provider: 'cpu', threads, ...o });
      engines.push(engine);
      const want = o.kvInPlace ? 'inPlace' : 'concat';
      if (engine.info.kvMode !== want) throw new Error(`expected kvMode ${want}, got ${engine.info.kvMode}`);
      const ids = await engine.tokenize(CORPUS.repeat(Math.ceil((LONG_CONTEXT * 8) / CORPUS.length)));
      for (const len of [SHORT_CONTEXT, LONG_CONTEXT]) {
        const gen = await engine.createGenerator();
        await gen.appendTokens(ids.slice(0, len));
        ctxs[`${mode}@${len}`] = { engine, gen, len };
      }
    }
    log(
      `${BENCH_FIXTURE.name}, ${threads} threads: ${n} decode steps at ${SHORT_CONTEXT} and ${LONG_CONTEXT} tokens of context, ${rounds} rounds`,
    );
    const keys = Object.keys(ctxs);
    const warm = async (c: Ctx) => {
      await c.gen.rewindTo(c.len);
      return c.gen.generate({ sampling: { greedy: true }, maxTokens: n, ignoreEos: true, recordSteps: true });
    };
    for (const k of keys) await warm(ctxs[k]!); // page faults, arena growth
    const stepMs: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
    const tokS: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
    const ratio: Record<string, number[]> = { inPlace: [], concat: [], nospin: [] };
    const ids: Record<string, number[]> = {};
    for (let r = 0; r < rounds; r++) {
      const order = keys.map((_, i) => keys[(i + r) % keys.length]!);
      const med: Record<string, number> = {};
      for (const k of order) {
        const res = await warm(ctxs[k]!);
        med[k] = median(res.stepMs ?? []);
        stepMs[k]!.push(med[k]);
        tokS[k]!.push(res.decodeTokS);
        const len = k.split('@')[1]!;
        const prev = ids[len];
        if (prev && prev.join() !== res.tokenIds.join()) log(`note: greedy ids at ${len} differ between runs (${k})`);
        ids[len] = res.tokenIds;
      }
      for (const m of Object.keys(modes)) ratio[m]!.push(med[`${m}@${SHORT_CONTEXT}`]! / med[`${m}@${LONG_CONTEXT}`]!);
    }
    const f = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
    for (const k of keys) log(`${k}: median step ms per round [${f(stepMs[k]!)}], tok/s [${f(tokS[k]!)}]`);
    for (const m of Object.keys(modes)) log(`${m}: step@16 / step@2k per round [${f(ratio[m]!)}]`);
    const r2 = (x: number) => Math.round(x * 100) / 100;
    // tok/s from the median step time (bursts of contention on 2 shared cores skew means, not medians)
    const at = (k: string) => r2(1000 / median(stepMs[k]!));
    const floor = await decodeFloor(
      dir,
      engines[0]!.info.layout,
      threads,
      {
        short: SHORT_CONTEXT,
        long: LONG_CONTEXT,
        stepMsShort: median(stepMs[`inPlace@${SHORT_CONTEXT}`]!),
        stepMsLong: median(stepMs[`inPlace@${LONG_CONTEXT}`]!),
      },
      log,
    );
    return {
      ...floor,
      'engine.decode_tok_s_at_2k': at(`inPlace@${LONG_CONTEXT}`),
      'engine.decode_tok_s_at_16': at(`inPlace@${SHORT_CONTEXT}`),
      'engine.decode_2k_vs_16_ratio': r2(median(ratio.inPlace!)),
      'engine.concat_decode_tok_s_at_2k': at(`concat@${LONG_CONTEXT}`),
      'engine.concat_decode_2k_vs_16_ratio': r2(median(ratio.concat!)),
      'engine.nospin_decode_tok_s_at_16': at(`nospin@${SHORT_CONTEXT}`),
      'engine.nospin_decode_tok_s_at_2k': at(`nospin@${LONG_CONTEXT}`),
      'engine.nospin_decode_2k_vs_16_ratio': r2(median(ratio.nospin!)),
    };
  } finally {
    for (const e of engines) await e.dispose();
  }
}

// Standalone: `tsx bench/long-context.ts [--quick]`.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await benchLongContext({ quick: process.argv.includes('--quick'), log: (s) => console.log(s) });
  console.log(JSON.stringify(r, null, 2));
}
