// Chooses the next token from the last position's logits. Greedy is a tight argmax; sampling runs
// repetition penalty -> top-k -> temperature softmax -> top-p -> min-p -> seeded draw.
import type { SamplingOptions } from './options.ts';
import { Prng, randomSeed } from './prng.ts';
import { Candidates, applyRepetitionPenalty, argmax, draw, minP, softmax, topK, topP } from './processors.ts';

export class Sampler {
  private readonly prng: Prng;
  private readonly cand: Candidates;
  private scratch: Float32Array | null = null;
  readonly seed: number;

  constructor(
    private readonly opts: SamplingOptions,
    vocabSize: number,
  ) {
    this.seed = opts.seed ?? randomSeed();
    this.prng = new Prng(this.seed);
    this.cand = new Candidates(
      opts.greedy || !opts.topK || opts.topK <= 0 ? vocabSize : Math.min(opts.topK, vocabSize),
    );
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
    topK(l, o.topK ?? 0, this.cand);
    softmax(this.cand, o.temperature ?? 1);
    if (o.topP !== undefined) topP(this.cand, o.topP);
    if (o.minP !== undefined) minP(this.cand, o.minP);
    return draw(this.cand, this.prng.next());
  }
}
