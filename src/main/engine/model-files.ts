// Model folder discovery (Hugging Face / Optimum ONNX layout) and the choice of ONNX variant.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EngineError } from './errors.ts';

export type ProviderKind = 'cuda' | 'cpu';

export interface ModelFiles {
  dir: string;
  name: string;
  config: string;
  generationConfig: string | null;
  tokenizer: string;
  tokenizerConfig: string | null;
  onnx: string;
  /** External data files next to the chosen .onnx (model.onnx_data, model.onnx_data_1, …). */
  externalData: string[];
  variant: string;
  variantReason: string;
  /** Every .onnx variant found, for the UI. */
  variants: string[];
}

// Preference per provider. On CPU, 4/8-bit weights decode fastest (decode is memory-bound) and ORT's CPU
// float16 kernels are sparse (it inserts casts), so fp16 comes last. On CUDA, fp16 is native.
const CPU_ORDER = [
  'model_q4.onnx',
  'model_int8.onnx',
  'model_quantized.onnx',
  'model_uint8.onnx',
  'model.onnx',
  'model_bnb4.onnx',
  'model_q4f16.onnx',
  'model_fp16.onnx',
];
const CUDA_ORDER = [
  'model_fp16.onnx',
  'model_q4f16.onnx',
  'model.onnx',
  'model_q4.onnx',
  'model_int8.onnx',
  'model_quantized.onnx',
  'model_uint8.onnx',
  'model_bnb4.onnx',
];
const REASONS: Record<string, string> = {
  'model_q4.onnx': '4-bit weights: the least memory traffic per decoded token on CPU',
  'model_int8.onnx': '8-bit weights: fast on CPU with small quality loss',
  'model_quantized.onnx': '8-bit weights: fast on CPU with small quality loss',
  'model_uint8.onnx': '8-bit weights: fast on CPU with small quality loss',
  'model.onnx': 'full-precision weights: exact reference numerics',
  'model_fp16.onnx': 'float16 weights: native precision on CUDA',
  'model_q4f16.onnx': '4-bit weights with float16 activations',
  'model_bnb4.onnx': '4-bit (bnb) weights',
};

function req(dir: string, file: string, what: string): string {
  const p = join(dir, file);
  if (!existsSync(p))
    throw new EngineError({
      code: 'fileMissing',
      title: `Missing ${file}`,
      cause: `${p} does not exist; a model folder needs its ${what}.`,
      suggestion: `Download the complete model folder, including ${file}.`,
      file: p,
    });
  return p;
}

export function findModelFiles(
  dirIn: string,
  opts: { variant?: string | undefined; provider?: ProviderKind } = {},
): ModelFiles {
  const dir = resolve(dirIn);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new EngineError({
      code: 'modelFolderMissing',
      title: 'Model folder not found',
      cause: `${dir} does not exist or is not a folder.`,
      suggestion: 'Pick a folder that contains config.json, tokenizer.json and onnx/model*.onnx.',
      file: dir,
    });
  const config = req(dir, 'config.json', 'model configuration');
  const tokenizer = req(dir, 'tokenizer.json', 'tokenizer');
  const opt = (f: string): string | null => (existsSync(join(dir, f)) ? join(dir, f) : null);
  const onnxDir = existsSync(join(dir, 'onnx')) ? join(dir, 'onnx') : dir;
  const variants = readdirSync(onnxDir)
    .filter((f) => f.endsWith('.onnx'))
    .sort();
  if (variants.length === 0)
    throw new EngineError({
      code: 'noOnnxFile',
      title: 'No ONNX model file',
      cause: `Neither ${join(dir, 'onnx')} nor ${dir} contains a .onnx file.`,
      suggestion: 'Use a model exported for ONNX Runtime (the Optimum / transformers.js layout, onnx/model.onnx).',
      file: onnxDir,
    });

  let variant: string;
  let variantReason: string;
  if (opts.variant) {
    const v = opts.variant.endsWith('.onnx') ? opts.variant : `${opts.variant}.onnx`;
    if (!variants.includes(v))
      throw new EngineError({
        code: 'noOnnxFile',
        title: `Variant ${v} not found`,
        cause: `${onnxDir} has ${variants.join(', ')}.`,
        suggestion: 'Choose one of the variants present.',
        file: join(onnxDir, v),
      });
    variant = v;
    variantReason = 'requested explicitly';
  } else {
    const order = opts.provider === 'cuda' ? CUDA_ORDER : CPU_ORDER;
    const known = order.find((v) => variants.includes(v));
    variant = known ?? variants[0]!;
    variantReason = known
      ? variants.length === 1
        ? 'the only variant present'
        : `${REASONS[known]} (preferred on ${opts.provider ?? 'cpu'} among ${variants.join(', ')})`
      : 'no known variant name; took the first .onnx file';
  }
  const onnx = join(onnxDir, variant);
  const externalData = readdirSync(onnxDir)
    .filter((f) => f.startsWith(`${variant}_data`))
    .sort()
    .map((f) => join(onnxDir, f));
  return {
    dir,
    name: basename(dir),
    config,
    generationConfig: opt('generation_config.json'),
    tokenizer,
    tokenizerConfig: opt('tokenizer_config.json'),
    onnx,
    externalData,
    variant,
    variantReason,
    variants,
  };
}
