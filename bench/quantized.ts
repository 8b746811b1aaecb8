// 4-bit weights vs fp32 on CPU (DESIGN.md: engine.q4_decode_tok_s, engine.fp32_decode_tok_s): the bench
// model with its MatMul weights in MatMulNBits form (tools/fixtures/quantize-weights.ts; the format of the
// hub's model_q4.onnx), decoded greedily beside the fp32 original in interleaved rounds. Decode is
// memory-bound, so reading ~7x fewer weight bytes per token should show.
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/main/engine/index.ts';
import { BENCH_FIXTURE, FIXTURES_DIR, ensureFixture } from '../tools/fixtures/build.ts';
import { writeQuantized } from '../tools/fixtures/quantize-weights.ts';
import { median } from './stats.ts';

type Results = Record<string, number | string | boolean>;
const PROMPT =
  '<|im_start|>user\nTell me about the small cat who lived in the library.<|im_end|>\n<|im_start|>assistant\n';

export async function benchQuantized({ quick, log }: { quick: boolean; log: (s: string) => void }): Promise<Results> {
  ensureFixture(BENCH_FIXTURE, false, log);
  const src = join(FIXTURES_DIR, BENCH_FIXTURE.name);
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-q4-'));
  try {
    mkdirSync(join(dir, 'onnx'));
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(src, f), join(dir, f));
    // hard links (a copy across filesystems): ONNX Runtime refuses external data behind a symlink that
    // resolves out of the model's folder
    for (const f of ['model.onnx', 'model.onnx_data']) {
      try {
        linkSync(join(src, 'onnx', f), join(dir, 'onnx', f));
      } catch {
        copyFileSync(join(src, 'onnx', f), join(dir, 'onnx', f));
      }
    }
    const t0 = performance.now();
    const rewritten = writeQuantized(join(src, 'onnx', 'model.onnx'), join(dir, 'onnx', 'model_q4.onnx'), 'q4');
    const q4Bytes = statSync(join(dir, 'onnx', 'model_q4.onnx')).size;
    const fpBytes =
      statSync(join(src, 'onnx', 'model.onnx_data')).size + statSync(join(src, 'onnx', 'model.onnx')).size;
    log(
      `q4: ${rewritten} MatMuls rewritten in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(q4Bytes / 2 ** 20).toFixed(0)} MB vs ${(fpBytes / 2 ** 20).toFixed(0)} MB`,
    );

    const threads = availableParallelism();
    const engines = {
      fp32: await Engine.load(dir, { provider: 'cpu', threads, variant: 'model.onnx', fingerprintCachePath: null }),
      q4: await Engine.load(dir, { provider: 'cpu', threads, variant: 'model_q4.onnx', fingerprintCachePath: null }),
    };
    try {
      const prompt = await engines.fp32.tokenize(PROMPT);
      const n = quick ? 16 : 64;
      const rounds = quick ? 3 : 7;
      const tokS = { fp32: [] as number[], q4: [] as number[] };
      const ids: Record<string, number[]> = {};
      for (let r = 0; r < rounds; r++) {
        for (const name of (r % 2 ? ['q4', 'fp32'] : ['fp32', 'q4']) as Array<'fp32' | 'q4'>) {
          const g = await engines[name].createGenerator();
          await g.appendTokens(prompt);
          const out = await g.generate({ sampling: { greedy: true }, maxTokens: n, stopTokenIds: [] });
          tokS[name].push(out.decodeTokS);
          ids[name] = out.tokenIds;
          await g.dispose();
        }
        log(`round ${r + 1}: fp32 ${tokS.fp32.at(-1)!.toFixed(1)} tok/s, q4 ${tokS.q4.at(-1)!.toFixed(1)} tok/s`);
      }
      const agree = ids.q4!.filter((t, i) => t === ids.fp32![i]).length / n;
      const fp32 = median(tokS.fp32);
      const q4 = median(tokS.q4);
      return {
        'engine.fp32_decode_tok_s': Math.round(fp32 * 100) / 100,
        'engine.q4_decode_tok_s': Math.round(q4 * 100) / 100,
        'engine.q4_vs_fp32_decode_ratio': Math.round((q4 / fp32) * 1000) / 1000,
        'engine.q4_greedy_agreement_vs_fp32': Math.round(agree * 1000) / 1000,
        'engine.q4_bytes_vs_fp32': Math.round((q4Bytes / fpBytes) * 1000) / 1000,
      };
    } finally {
      await engines.fp32.dispose();
      await engines.q4.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
