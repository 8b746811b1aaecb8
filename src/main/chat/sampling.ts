// Conversation sampling settings -> engine options. temperature 0 means greedy (and reproducible).
import type { SamplingOptions } from '../engine/index.ts';
import type { Sampling } from '../store/types.ts';

export const DEFAULT_MAX_TOKENS = 512;

/** `modelDefaults` is the model's generation_config (doSample false = greedy unless the conversation says otherwise). */
/** What Regenerate samples with where the conversation leaves temperature to a greedy model. */
export const VARY_TEMPERATURE = 0.8;

/**
 * `vary` (Regenerate): a conversation that leaves temperature unset on a greedy model would give the
 * same reply again, so it samples at VARY_TEMPERATURE instead; an explicit temperature is kept.
 */
export function engineSampling(
  s: Sampling,
  model: SamplingOptions & { doSample?: boolean } = {},
  how: { vary?: boolean } = {},
): SamplingOptions {
  const { doSample, ...modelDefaults } = model;
  const unset = s.temperature === undefined && (doSample === false || modelDefaults.temperature === 0);
  const temperature =
    how.vary && unset ? VARY_TEMPERATURE : (s.temperature ?? (doSample === false ? 0 : modelDefaults.temperature));
  if (temperature === 0)
    return { greedy: true, ...(s.repetitionPenalty ? { repetitionPenalty: s.repetitionPenalty } : {}) };
  const o: SamplingOptions = { ...modelDefaults };
  if (temperature !== undefined) o.temperature = temperature;
  if (s.topK !== undefined) o.topK = s.topK;
  if (s.topP !== undefined) o.topP = s.topP;
  if (s.minP !== undefined) o.minP = s.minP;
  if (s.repetitionPenalty !== undefined) o.repetitionPenalty = s.repetitionPenalty;
  if (s.seed != null) o.seed = s.seed;
  return o;
}
