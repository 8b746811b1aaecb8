// Messages between Engine (main thread) and the engine worker. Discriminated unions, one definition.
import type { ChatDelta } from './chat-delta.ts';
import type { SerializedEngineError } from './errors.ts';
import type { GenerateOptions, GenerationResult, TokenEvent } from './generation.ts';
import type { KvRowFile, RowFilesLoaded } from './kv-files.ts';
import type { KvSlice } from '../tensor/kv-types.ts';
import type { LoadOptions, ModelInfo } from './model.ts';
import type { SamplingOptions } from './sampling/options.ts';
import type { ChatMessage } from './tokenizer.ts';

/** workerData: the cancel flags every request can be stopped through (an Int32 per slot). */
export interface WorkerData {
  cancelFlags: SharedArrayBuffer;
}
export const CANCEL_SLOTS = 256;

export type Request =
  | { op: 'load'; dir: string; opts: LoadOptions }
  | { op: 'newSeq' }
  | { op: 'dropSeq'; seq: number }
  | { op: 'append'; seq: number; ids: number[]; chunkSize?: number | undefined; progress: boolean }
  | { op: 'next'; seq: number; sampling: SamplingOptions }
  | { op: 'generate'; seq: number; opts: GenerateOptions }
  | { op: 'rewind'; seq: number; n: number }
  | { op: 'logits'; seq: number }
  | { op: 'exportKv'; seq: number; start: number; end: number }
  | { op: 'restoreKv'; seq: number; slices: KvSlice[] }
  | { op: 'loadKvFiles'; seq: number; files: KvRowFile[]; tokens: number[] }
  | { op: 'saveKvFiles'; seq: number; files: KvRowFile[] }
  | { op: 'tokenize'; text: string; special: boolean }
  | { op: 'detokenize'; ids: number[]; skipSpecial: boolean }
  | { op: 'renderChat'; messages: ChatMessage[]; addGenerationPrompt: boolean }
  | { op: 'chatDelta'; messages: ChatMessage[]; log: number[] }
  /** An operation a worker entry added to the loop (serve.ts Extensions); the product's worker has none. */
  | { op: 'extension'; name: string; args: unknown };

export interface Results {
  load: ModelInfo;
  newSeq: number;
  dropSeq: void;
  append: void;
  next: number;
  generate: GenerationResult;
  rewind: void;
  logits: Float32Array;
  exportKv: KvSlice;
  restoreKv: void;
  loadKvFiles: RowFilesLoaded;
  saveKvFiles: number[];
  tokenize: number[];
  detokenize: string;
  renderChat: string;
  chatDelta: ChatDelta;
  extension: unknown;
}

export type ToWorker = { id: number; slot: number; req: Request };

/** `tokenCount` is the sequence's length after the request (keeps the main-thread mirror exact on errors too). */
export type FromWorker =
  | { id: number; type: 'result'; result: unknown; tokenCount?: number }
  | { id: number; type: 'error'; error: SerializedEngineError; tokenCount?: number }
  | { id: number; type: 'progress'; done: number; total: number }
  /** A generation's token events, in order, coalesced (token-batcher.ts); always before that request's result. */
  | { id: number; type: 'tokens'; events: TokenEvent[] };
