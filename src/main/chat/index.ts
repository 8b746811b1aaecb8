export {
  ChatService,
  type ChatServiceOptions,
  type ExportFormat,
  type ExportResult,
  type ConversationCacheInfo,
} from './service.ts';
export * from './types.ts';
export { engineSampling, DEFAULT_MAX_TOKENS } from './sampling.ts';
export { EngineSession, type PrefixOptions, type PrefixReport } from './session.ts';
