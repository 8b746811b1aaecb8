// Public surface of the engine. Main-thread code imports from here.
export { Engine, Generator, type EngineOptions, type AppendOptions, type PredictOptions } from './engine.ts';
export { Prediction, type Fragment } from './prediction.ts';
export type { ModelInfo, LoadOptions } from './model.ts';
export type { GenerateOptions, GenerationResult } from './generation.ts';
export type { SamplingOptions } from './sampling/options.ts';
export { GREEDY } from './sampling/options.ts';
export type { StopReason } from './stop.ts';
export { EngineError, type EngineErrorCode, type SerializedEngineError } from './errors.ts';
export type { KvArray, KvDtype, KvLayout, KvSlice } from '../tensor/kv-types.ts';
export { sameLayout } from '../tensor/kv-types.ts';
export type { ChatDelta } from './chat-delta.ts';
export { chatTurnDelta } from './chat-delta.ts';
export { ModelTokenizer, type ChatMessage } from './tokenizer.ts';
export { StreamDetokenizer } from './detokenizer.ts';
export { float16Bits, toHalf, fromHalf } from './fp16.ts';
export type { ProviderRequest } from './providers.ts';
export type { KvRowFile, RowFileFailure, RowFilesLoaded } from './kv-files.ts';
