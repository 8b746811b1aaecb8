export interface SamplingOptions {
  /** Greedy (argmax) decoding; ignores every other knob except repetitionPenalty. */
  greedy?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  /** > 1 discourages tokens already in the sequence (CTRL-style, as transformers does). */
  repetitionPenalty?: number;
  /** How many trailing tokens the repetition penalty looks at (default: all). */
  repetitionWindow?: number;
  seed?: number;
}

export const GREEDY: SamplingOptions = { greedy: true };
