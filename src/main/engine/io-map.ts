// Maps a session's input/output names to the roles the decode loop needs, once, at load.
import type * as ort from 'onnxruntime-node';
import type { ModelConfig } from './config.ts';
import { EngineError } from './errors.ts';
import type { KvDtype, KvLayout } from '../tensor/kv-types.ts';

export interface IoMap {
  inputIds: string;
  attentionMask: string | null;
  positionIds: string | null;
  /** past input name and present output name per layer, in layer order. */
  pastKey: string[];
  pastValue: string[];
  presentKey: string[];
  presentValue: string[];
  logits: string;
  layout: KvLayout;
}

type Meta = readonly ort.InferenceSession.ValueMetadata[];

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const PRESENT = /^present\.(\d+)\.(key|value)$/;

export function mapIo(inputs: Meta, outputs: Meta, config: ModelConfig, onnxFile: string): IoMap {
  const inNames = inputs.map((m) => m.name);
  const outNames = outputs.map((m) => m.name);
  const fail = (cause: string, input?: string): never => {
    throw new EngineError({
      code: 'unsupportedLayout',
      title: 'Unsupported model layout',
      cause: `${onnxFile}: ${cause}`,
      suggestion:
        'Use a decoder exported with its KV cache as inputs/outputs (Optimum "text-generation-with-past" / transformers.js layout).',
      file: input ? `${onnxFile}#${input}` : onnxFile,
    });
  };
  if (!inNames.includes('input_ids')) fail('no input_ids input (inputs: ' + inNames.join(', ') + ')', 'input_ids');
  const logits = outNames.includes('logits') ? 'logits' : fail('no logits output', 'logits');

  const pastKey: string[] = [];
  const pastValue: string[] = [];
  let kvMeta: ort.InferenceSession.ValueMetadata | undefined;
  for (const m of inputs) {
    const r = PAST.exec(m.name);
    if (!r) continue;
    (r[2] === 'key' ? pastKey : pastValue)[Number(r[1])] = m.name;
    kvMeta ??= m;
  }
  const numLayers = pastKey.length;
  if (numLayers === 0)
    fail('no past_key_values.N.key/value inputs: this export cannot reuse a KV cache', 'past_key_values.0.key');
  const presentKey: string[] = [];
  const presentValue: string[] = [];
  for (const n of outNames) {
    const r = PRESENT.exec(n);
    if (r) (r[2] === 'key' ? presentKey : presentValue)[Number(r[1])] = n;
  }
  for (let l = 0; l < numLayers; l++) {
    if (!pastKey[l] || !pastValue[l]) fail(`past_key_values.${l}.key/value missing`, `past_key_values.${l}.key`);
    if (!presentKey[l] || !presentValue[l]) fail(`present.${l}.key/value output missing`, `present.${l}.key`);
  }
  // Unknown inputs (e.g. num_logits_to_keep, cache_position) would need guessed values: refuse clearly.
  const known = new Set(['input_ids', 'attention_mask', 'position_ids', ...pastKey, ...pastValue]);
  const unknown = inNames.filter((n) => !known.has(n));
  if (unknown.length) fail(`unsupported inputs ${unknown.join(', ')}`, unknown[0]);

  let dtype: KvDtype = 'float32';
  let numKvHeads = config.numKvHeads;
  let headDim = config.headDim;
  if (kvMeta?.isTensor) {
    if (kvMeta.type === 'float16') dtype = 'float16';
    else if (kvMeta.type !== 'float32')
      fail(`KV dtype ${kvMeta.type} is not supported (float32/float16 only)`, kvMeta.name);
    // Shape [batch, kv_heads, past_seq, head_dim]; numeric dims in the graph win over config.json.
    const [, h, , d] = kvMeta.shape;
    if (typeof h === 'number' && h > 0) numKvHeads = h;
    if (typeof d === 'number' && d > 0) headDim = d;
  }
  if (!numKvHeads || !headDim) fail('cannot determine KV heads/head dim from the graph or config.json', kvMeta?.name);
  return {
    inputIds: 'input_ids',
    attentionMask: inNames.includes('attention_mask') ? 'attention_mask' : null,
    positionIds: inNames.includes('position_ids') ? 'position_ids' : null,
    pastKey,
    pastValue,
    presentKey,
    presentValue,
    logits,
    layout: { numLayers, numKvHeads, headDim, dtype },
  };
}
