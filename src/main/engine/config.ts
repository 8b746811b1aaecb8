// config.json / generation_config.json: only the fields the engine needs, validated with clear errors.
import { readFileSync } from 'node:fs';
import { EngineError } from './errors.ts';
import type { KeyRotation } from '../tensor/kv-types.ts';

export interface ModelConfig {
  modelType: string;
  vocabSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  contextLength: number;
  eosTokenIds: number[];
  bosTokenId: number | null;
  /** RoPE as stated by config.json (rope_theta), or null when it names none. */
  rope: KeyRotation | null;
  /** Defaults from generation_config.json (temperature, top_k, …) when present. */
  generationDefaults: {
    temperature?: number;
    topK?: number;
    topP?: number;
    minP?: number;
    repetitionPenalty?: number;
    doSample?: boolean;
  };
}

export function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EngineError({
      code: 'fileMissing',
      title: 'Cannot read file',
      cause: `${file}: ${(e as Error).message}`,
      suggestion: 'Check that the file exists and is readable.',
      file,
    });
  }
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    throw new Error('top level is not an object');
  } catch (e) {
    throw new EngineError({
      code: 'badConfig',
      title: 'Invalid JSON',
      cause: `${file}: ${(e as Error).message}`,
      suggestion: 'Re-download the model folder; this file is damaged.',
      file,
    });
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const ids = (v: unknown): number[] =>
  Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : typeof v === 'number' ? [v] : [];

export function parseConfig(configFile: string, generationFile: string | null): ModelConfig {
  const raw = readJson(configFile);
  // Multimodal / nested configs (e.g. Gemma 3, Phi-4-mm) keep the decoder's fields under text_config.
  const c = (
    raw.text_config && typeof raw.text_config === 'object' ? { ...raw, ...(raw.text_config as object) } : raw
  ) as Record<string, unknown>;
  const g = generationFile ? readJson(generationFile) : {};
  const numLayers = num(c.num_hidden_layers) ?? num(c.n_layer) ?? num(c.num_layers);
  const numHeads = num(c.num_attention_heads) ?? num(c.n_head);
  const hidden = num(c.hidden_size) ?? num(c.n_embd);
  const vocabSize = num(c.vocab_size);
  if (!numLayers || !numHeads || !vocabSize)
    throw new EngineError({
      code: 'badConfig',
      title: 'Incomplete config.json',
      cause: `${configFile} lacks num_hidden_layers, num_attention_heads or vocab_size.`,
      suggestion: 'Use the config.json that ships with the model.',
      file: configFile,
    });
  const numKvHeads = num(c.num_key_value_heads) ?? numHeads;
  const headDim = num(c.head_dim) ?? (hidden ? hidden / numHeads : 0);
  const rp = (c.rope_parameters && typeof c.rope_parameters === 'object' ? c.rope_parameters : {}) as Record<
    string,
    unknown
  >;
  // Only plain RoPE: scaled variants (linear, dynamic, yarn, llama3, longrope) change the angles, and
  // Gemma 3 mixes two bases. Undoing the wrong rotation would cost the lossy codecs accuracy, not
  // correctness; it is simply not done then.
  const rs = (c.rope_scaling && typeof c.rope_scaling === 'object' ? c.rope_scaling : {}) as Record<string, unknown>;
  const ropeType = rp.rope_type ?? rs.rope_type ?? rs.type;
  const plain = (ropeType === undefined || ropeType === 'default') && c.rope_local_base_freq === undefined;
  const theta = plain ? (num(c.rope_theta) ?? num(rp.rope_theta)) : undefined;
  const partial = num(c.partial_rotary_factor) ?? num(rp.partial_rotary_factor) ?? 1;
  const ropeDims = Math.floor((headDim * Math.min(1, Math.max(0, partial))) / 2) * 2;
  const rope = theta && theta > 0 && ropeDims > 0 ? { theta, dims: ropeDims } : null;
  const eos = new Set([...ids(c.eos_token_id), ...ids(g.eos_token_id)]);
  const gd: ModelConfig['generationDefaults'] = {};
  if (num(g.temperature) !== undefined) gd.temperature = num(g.temperature)!;
  if (num(g.top_k) !== undefined) gd.topK = num(g.top_k)!;
  if (num(g.top_p) !== undefined) gd.topP = num(g.top_p)!;
  if (num(g.min_p) !== undefined) gd.minP = num(g.min_p)!;
  if (num(g.repetition_penalty) !== undefined) gd.repetitionPenalty = num(g.repetition_penalty)!;
  if (typeof g.do_sample === 'boolean') gd.doSample = g.do_sample;
  return {
    modelType: typeof c.model_type === 'string' ? c.model_type : 'unknown',
    vocabSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    contextLength: num(c.max_position_embeddings) ?? num(c.n_positions) ?? num(c.max_sequence_length) ?? 2048,
    eosTokenIds: [...eos],
    bosTokenId: ids(c.bos_token_id)[0] ?? ids(g.bos_token_id)[0] ?? null,
    rope,
    generationDefaults: gd,
  };
}
