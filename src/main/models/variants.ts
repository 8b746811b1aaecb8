// A hub repo's ONNX variants (onnx/model.onnx, model_fp16, model_q4, …) with their download sizes, and
// the exact list of files one variant needs. Works on the repo's file tree as @huggingface/hub lists it.
import type { ListFileEntry } from '@huggingface/hub';

export interface RepoFile {
  path: string;
  size: number;
  /** sha256 of an LFS file's content (what the hub's X-Linked-Etag carries); undefined for plain git files. */
  sha256?: string | undefined;
}

export interface Variant {
  /** Short name used on the command line and in folder names: fp32, fp16, q4, q4f16, int8, … */
  name: string;
  /** The ONNX file, relative to the repo root (onnx/model_q4.onnx). */
  onnx: string;
  /** External-data files next to it (onnx/model_q4.onnx_data, …_data_1, …). */
  externalData: string[];
  /** Bytes to download: the ONNX file, its external data, and the shared config/tokenizer files. */
  downloadBytes: number;
  /** What the weights are, in words (for the UI and the README). */
  description: string;
}

/** Files every variant needs besides its ONNX graph (the ones present in the repo are taken). */
export const SHARED_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
];

const DESCRIPTIONS: Record<string, string> = {
  fp32: 'full-precision weights: the reference quality, the largest download and the slowest decode',
  fp16: 'float16 weights: half the size of fp32, native on GPUs; on CPU ONNX Runtime converts them',
  q4: '4-bit weights (MatMulNBits) with float32 activations: about 1/7 of fp32, the fastest decode on CPU',
  q4f16: '4-bit weights with float16 activations: the smallest download, best suited to GPUs',
  int8: '8-bit weights: a quarter of fp32, fast on CPU with a small quality loss',
  uint8: '8-bit weights: a quarter of fp32, fast on CPU with a small quality loss',
  quantized: '8-bit weights: a quarter of fp32, fast on CPU with a small quality loss',
  bnb4: '4-bit (bitsandbytes NF4) weights',
};

/** onnx/model_q4.onnx → q4; onnx/model.onnx → fp32; any other stem is kept as is. */
export function variantName(onnxPath: string): string {
  const file = onnxPath
    .split('/')
    .pop()!
    .replace(/\.onnx$/, '');
  if (file === 'model') return 'fp32';
  return file.startsWith('model_') ? file.slice('model_'.length) : file;
}

/** Accepts q4, model_q4, model_q4.onnx or onnx/model_q4.onnx. */
export function normalizeVariant(arg: string): string {
  const a = arg.trim();
  return a.endsWith('.onnx') || a.startsWith('model') ? variantName(a) : a;
}

function isDecoderOnnx(path: string): boolean {
  return /^(onnx\/)?model(_[A-Za-z0-9]+)?\.onnx$/.test(path);
}

export function repoFiles(entries: readonly ListFileEntry[]): RepoFile[] {
  return entries
    .filter((e) => e.type === 'file')
    .map((e) => ({ path: e.path, size: e.lfs?.size ?? e.size, sha256: e.lfs?.oid }));
}

/** The repo's variants, smallest download first. Repos whose ONNX files are not named model*.onnx list all of them. */
export function listVariants(files: readonly RepoFile[]): Variant[] {
  const onnx = files.filter((f) => f.path.endsWith('.onnx') && (f.path.startsWith('onnx/') || !f.path.includes('/')));
  const decoders = onnx.filter((f) => isDecoderOnnx(f.path));
  const chosen = decoders.length ? decoders : onnx;
  const shared = sharedFiles(files).reduce((s, f) => s + f.size, 0);
  return chosen
    .map((f) => {
      const ext = files.filter((x) => x.path.startsWith(`${f.path}_data`)).map((x) => x.path);
      const name = variantName(f.path);
      return {
        name,
        onnx: f.path,
        externalData: ext.sort(),
        downloadBytes: shared + f.size + files.filter((x) => ext.includes(x.path)).reduce((s, x) => s + x.size, 0),
        description: DESCRIPTIONS[name] ?? 'weights in a format Reprise does not describe; it may or may not load',
      };
    })
    .sort((a, b) => a.downloadBytes - b.downloadBytes || a.name.localeCompare(b.name));
}

function sharedFiles(files: readonly RepoFile[]): RepoFile[] {
  return files.filter((f) => SHARED_FILES.includes(f.path));
}

/** Exactly what one variant needs: the shared config/tokenizer files, its ONNX graph and external data. */
export function filesForVariant(files: readonly RepoFile[], v: Variant): RepoFile[] {
  const wanted = new Set([v.onnx, ...v.externalData]);
  return [...sharedFiles(files), ...files.filter((f) => wanted.has(f.path))];
}
