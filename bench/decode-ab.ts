// A/B of engine load options on bench-100m, the variants interleaved in one process (a loaded machine's
// swings hit all of them alike): per variant, the median decode step at 16 and 2031 tokens of context, the
// process CPU per step, and the 16/2k ratio per round. Greedy ids must agree between variants.
//   npx tsx bench/decode-ab.ts '{"spin":{"spinThreads":true},"nospin":{}}' [rounds] [steps]   (T=threads)
import { Engine, type Generator, type LoadOptions } from '../src/main/engine/index.ts';
import { BENCH_FIXTURE, ensureFixture } from '../tools/fixtures/build.ts';
import { CORPUS } from '../tools/fixtures/corpus.ts';
import { median } from './stats.ts';

const variants = JSON.parse(process.argv[2] ?? '{"spin":{"spinThreads":true},"nospin":{}}') as Record<
  string,
  LoadOptions
>;
const rounds = Number(process.argv[3] ?? 7);
const steps = Number(process.argv[4] ?? 16);
const threads = Number(process.env.T ?? 2);
const dir = ensureFixture(BENCH_FIXTURE, false, () => {});
const runs: Array<{ name: string; len: number; gen: Generator }> = [];
const engines: Engine[] = [];
for (const [name, o] of Object.entries(variants)) {
  const e = await Engine.load(dir, { provider: 'cpu', threads, fingerprintCachePath: null, ...o });
  engines.push(e);
  console.log(name, e.info.kvMode, e.info.kvModeReason);
  const ids = await e.tokenize(CORPUS.repeat(20));
  for (const len of [16, 2031]) {
    const gen = await e.createGenerator();
    await gen.appendTokens(ids.slice(0, len));
    runs.push({ name, len, gen });
  }
}
const wall: Record<string, number[]> = {};
const cpu: Record<string, number[]> = {};
const ids: Record<string, string> = {};
for (let r = -1; r < rounds; r++) {
  for (const x of runs.map((_, i) => runs[(i + Math.max(r, 0)) % runs.length]!)) {
    await x.gen.rewindTo(x.len);
    const c0 = process.cpuUsage();
    const res = await x.gen.generate({
      sampling: { greedy: true },
      maxTokens: steps,
      ignoreEos: true,
      recordSteps: true,
    });
    const c = process.cpuUsage(c0);
    if (r < 0) continue; // warm-up round
    const k = `${x.name}@${x.len}`;
    (wall[k] ??= []).push(median(res.stepMs ?? []));
    (cpu[k] ??= []).push((c.user + c.system) / 1000 / steps);
    const prev = ids[x.len];
    if (prev && prev !== res.tokenIds.join()) console.log(`greedy ids differ at ${x.len} (${x.name})`);
    ids[x.len] = res.tokenIds.join();
  }
}
const f = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
for (const k of Object.keys(wall))
  console.log(
    `${k}: wall median ${median(wall[k]!).toFixed(2)} ms [${f(wall[k]!)}], cpu/step ${median(cpu[k]!).toFixed(2)} ms`,
  );
for (const name of Object.keys(variants)) {
  const per = wall[`${name}@16`]!.map((w, i) => w / wall[`${name}@2031`]![i]!);
  console.log(`${name}: 16/2k per round [${per.map((x) => x.toFixed(2)).join(' ')}], median ${median(per).toFixed(3)}`);
}
for (const x of runs) await x.gen.dispose();
for (const e of engines) await e.dispose();
