// The decode loop (worker side): sample -> stream text -> check stops -> run one step. Kept tight: the
// bench compares it with a bare ORT loop.
import { StreamDetokenizer } from './detokenizer.ts';
import type { LoadedModel } from './model.ts';
import type { SamplingOptions } from './sampling/options.ts';
import { Sampler } from './sampling/sampler.ts';
import { CancelledError, type Sequence } from './sequence.ts';
import { StopStringMatcher, type StopReason } from './stop.ts';

export interface GenerateOptions {
  sampling?: SamplingOptions;
  /** Default: until EOS or the context is full. */
  maxTokens?: number;
  stopStrings?: string[];
  /** Extra stop token ids on top of the model's EOS ids. */
  stopTokenIds?: number[];
  /** Do not stop at the model's EOS ids (benchmarks generate a fixed count). */
  ignoreEos?: boolean;
  /** Chunk size for prefilling pending tokens first. */
  chunkSize?: number;
  /** Benchmarks: also return the time between consecutive samples (result.stepMs). */
  recordSteps?: boolean;
}

export interface GenerationResult {
  /** Generated text (stop string and anything after it removed; EOS not included). */
  text: string;
  /** Sampled ids, in order; they are also at the end of the generator's token log (EOS included). */
  tokenIds: number[];
  stopReason: StopReason;
  /** Tokens prefilled before the first sample (pending tokens of the log). */
  promptTokens: number;
  generatedTokens: number;
  ttftMs: number;
  /** Tokens per second after the first token. */
  decodeTokS: number;
  totalMs: number;
  seed: number;
  /** With recordSteps: ms from each sampled token to the next (one decode step each). */
  stepMs?: number[];
}

/** tokenId is null for text released at the end (held-back bytes or a partial stop-string match). */
export interface TokenEvent {
  tokenId: number | null;
  text: string;
}

export async function generate(
  m: LoadedModel,
  seq: Sequence,
  o: GenerateOptions,
  emit: (e: TokenEvent) => void,
  cancelled: () => boolean,
): Promise<GenerationResult> {
  const t0 = performance.now();
  const promptTokens = seq.tokens.length - seq.kvLen;
  const sampler = new Sampler(o.sampling ?? {});
  const eos = new Set([...(o.ignoreEos ? [] : m.config.eosTokenIds), ...(o.stopTokenIds ?? [])]);
  const detok = new StreamDetokenizer(m.tokenizer);
  const stops = new StopStringMatcher(o.stopStrings ?? []);
  const maxTokens = o.maxTokens ?? Infinity;
  const tokenIds: number[] = [];
  let text = '';
  let stopReason: StopReason | null = null;
  let tFirst = 0;
  let tLast = 0;
  const stepMs: number[] | undefined = o.recordSteps ? [] : undefined;

  try {
    await seq.ensureLogits({ chunkSize: o.chunkSize, cancelled });
  } catch (e) {
    if (e instanceof CancelledError) stopReason = 'userStopped';
    else throw e;
  }
  if (stopReason === null && maxTokens <= 0) stopReason = 'maxTokens';
  while (stopReason === null) {
    if (cancelled()) {
      stopReason = 'userStopped';
      break;
    }
    if (seq.tokens.length >= seq.contextLength) {
      stopReason = 'contextFull';
      break;
    }
    const id = sampler.sample(seq.logits, seq.tokens);
    if (stepMs || tokenIds.length === 0) {
      const t = performance.now();
      if (tokenIds.length === 0) tFirst = t;
      else stepMs?.push(t - tLast);
      tLast = t;
    }
    tokenIds.push(id);
    seq.tokens.push(id); // in the log now; its K/V is computed lazily by the next step
    if (eos.has(id)) {
      stopReason = 'eos';
      emit({ tokenId: id, text: '' });
      break;
    }
    const { emit: piece, stopped } = stops.push(detok.push(id));
    text += piece;
    emit({ tokenId: id, text: piece });
    if (stopped) stopReason = 'stopString';
    else if (tokenIds.length >= maxTokens) stopReason = 'maxTokens';
    else await seq.advance(); // the sampled token's forward pass; its logits feed the next sample
  }
  if (stopReason !== 'stopString') {
    const tail = stops.push(detok.flush()).emit + stops.flush();
    if (tail) {
      text += tail;
      emit({ tokenId: null, text: tail });
    }
  }
  const tEnd = performance.now();
  const n = tokenIds.length;
  return {
    text,
    tokenIds,
    stopReason,
    promptTokens,
    generatedTokens: n,
    ttftMs: n ? tFirst - t0 : 0,
    decodeTokS: n > 1 ? ((n - 1) * 1000) / (tEnd - tFirst) : 0,
    totalMs: tEnd - t0,
    seed: sampler.seed,
    ...(stepMs ? { stepMs } : {}),
  };
}
