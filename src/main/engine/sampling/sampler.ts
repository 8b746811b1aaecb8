// Chooses the next token from the last position's logits. Greedy is a tight argmax; sampling runs
// repetition penalty -> top-k -> temperature softmax -> top-p -> min-p -> seeded draw.
import type { SamplingOptions } from './options.ts';
import { Prng, randomSeed } from './prng.ts';
import { Candidates, RepetitionPenalty, argmax, draw, minP, softmax, topK, topP } from './processors.ts';

export class Sampler {
  private readonly prng: Prng;
  /** Only sampling needs candidate buffers: greedy (also one `next` call at a time) allocates none. */
  private candidates: Candidates | null = null;
  private penalty: RepetitionPenalty | null = null;
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

  /** `history` is the token log (for the repetition penalty). Leaves `logits` as it found them. */
  sample(logits: Float32Array, history: readonly number[]): number {
    const p = this.opts.repetitionPenalty;
    if (p === undefined || p === 1) return this.pick(logits);
    this.penalty ??= new RepetitionPenalty();
    this.penalty.apply(logits, history, p, this.opts.repetitionWindow);
    try {
      return this.pick(logits);
    } finally {
      this.penalty.restore(logits);
    }
  }

  private pick(l: Float32Array): number {
    const o = this.opts;
    if (this.isGreedy) return argmax(l);
    const cand = this.cand(l.length);
    topK(l, o.topK ?? 0, cand);
    softmax(cand, o.temperature ?? 1);
    if (o.topP !== undefined) topP(cand, o.topP);
    if (o.minP !== undefined) minP(cand, o.minP);
    return draw(cand, this.prng.next());
  }
}
