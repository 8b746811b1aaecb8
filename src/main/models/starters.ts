// A short list of known-good starters: exports in the Optimum / transformers.js layout Reprise loads.
// Sizes (MB) are the ONNX files as listed on each repo's hub page (onnx/ folder); the UI shows the live
// sizes from the repo's tree once it is opened, these are only for the list before that.
export interface Starter {
  repo: string;
  label: string;
  sizesMB: Partial<Record<'q4' | 'int8' | 'q4f16' | 'fp16' | 'fp32', number>>;
  note: string;
}

export const STARTERS: readonly Starter[] = [
  {
    repo: 'HuggingFaceTB/SmolLM2-360M-Instruct',
    label: 'SmolLM2 360M Instruct',
    sizesMB: { q4: 417, q4f16: 299, fp16: 819, fp32: 1640 },
    note: 'the smallest useful assistant: quick on any CPU, English only, little world knowledge',
  },
  {
    repo: 'onnx-community/Qwen2.5-0.5B-Instruct',
    label: 'Qwen2.5 0.5B Instruct',
    sizesMB: { q4: 786, int8: 512, q4f16: 483, fp16: 997, fp32: 1990 },
    note: 'small and multilingual; a good first download',
  },
  {
    repo: 'onnx-community/Llama-3.2-1B-Instruct',
    label: 'Llama 3.2 1B Instruct',
    sizesMB: { q4: 1660, int8: 1240, q4f16: 1070, fp16: 2470, fp32: 4940 },
    note: 'Meta\u2019s small Llama; the Llama 3.2 community licence applies',
  },
  {
    repo: 'onnx-community/Qwen2.5-1.5B-Instruct',
    label: 'Qwen2.5 1.5B Instruct',
    sizesMB: { q4: 1790, int8: 1580, q4f16: 1220, fp16: 3100, fp32: 6210 },
    note: 'the most capable of the list; wants about 4 GB of free memory on CPU',
  },
];
