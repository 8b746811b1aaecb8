// Chooses the next token from the last position's logits. Greedy is a tight argmax; sampling runs
// repetition penalty -> top-k -> temperature softmax -> top-p -> min-p -> seeded draw.
import type { SamplingOptions } from './options.ts';
import { Prng, randomSeed } from './prng.ts';
import { Candidates, applyRepetitionPenalty, argmax, draw, minP, softmax, topK, topP } from './processors.ts';

export class Sampler {
  private readonly prng: Prng;
  /** Only sampling needs candidate buffers: greedy (also one `next` call at a time) allocates none. */
  private candidates: Candidates | null = null;
  private scratch: Float32Array | null = null;
  readonly seed: number;

  constructor(private readonly opts: SamplingOptions) {
    this.seed = opts.seed ?? randomSeed();
    this.prng = new Prng(this.seed);
  }

  private cand(vocabSize: number): Candidates {
    const k = this.opts.topK;
    return (this.candidates ??= new Candidates(!k || k <= 0 ? vocabSize : Math.min(k, vocabSize)));
  }

  get isGreedy(): boolean {
    return this.opts.greedy === true || this.opts.temperature === 0;
  }

  /** `history` is the token log (for the repetition penalty). Never mutates `logits`. */
  sample(logits: Float32Array, history: readonly number[]): number {
    const o = this.opts;
    let l = logits;
    if (o.repetitionPenalty !== undefined && o.repetitionPenalty !== 1) {
      this.scratch ??= new Float32Array(logits.length);
      this.scratch.set(logits);
      l = this.scratch;
      const seen = new Set(o.repetitionWindow ? history.slice(-o.repetitionWindow) : history);
      applyRepetitionPenalty(l, seen, o.repetitionPenalty);
    }
    if (this.isGreedy) return argmax(l);
    const cand = this.cand(l.length);
    topK(l, o.topK ?? 0, cand);
    softmax(cand, o.temperature ?? 1);
    if (o.topP !== undefined) topP(cand, o.topP);
    if (o.minP !== undefined) minP(cand, o.minP);
    return draw(cand, this.prng.next());
  }
}
