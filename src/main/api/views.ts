/**
 * The data the UI sees: plain, JSON-safe views of models, conversations, turns and the cache.
 * No Node or Electron imports (the renderer imports these types).
 */
import type { SerializedError } from './errors.ts';

export type Codec = 'exact' | 'int8' | 'int4';
export type StopReason = 'eos' | 'stopString' | 'maxTokens' | 'userStopped' | 'contextFull';
export type Role = 'system' | 'user' | 'assistant';

export interface Sampling {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repetitionPenalty: number;
  maxTokens: number;
  seed: number | null;
}

export interface ModelView {
  name: string;
  dir: string;
  variant: string;
  provider: 'cuda' | 'cpu';
  providerReason: string;
  contextLength: number;
  kvDtype: string;
  layers: number;
  isDefault: boolean;
}

export type ModelStatus =
  | { state: 'loading'; dir: string; message: string }
  | { state: 'ready'; model: ModelView }
  | { state: 'error'; dir: string; error: SerializedError; previous: ModelView | null };

export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
}

export interface SearchHit {
  conversationId: string;
  messageId: string;
  title: string;
  /** Plain text with the match wrapped in « » (the renderer highlights it; never HTML). */
  snippet: string;
  updatedAt: number;
}

export interface TurnStats {
  restoredTokens: number;
  prefilledTokens: number;
  restoreMs: number;
  prefillMs: number;
  ttftMs: number;
  generatedTokens: number;
  decodeTokS: number;
  stopReason: StopReason;
  codec: Codec;
  /** Bytes the new KV blocks would take uncompressed (in the model's KV dtype) and as stored. */
  snapshotRawBytes: number;
  snapshotStoredBytes: number;
  /** Oldest turns dropped to fit the context window (0 when none). */
  droppedMessages: number;
  contextTokens: number;
  contextLength: number;
  /**
   * Where the restored tokens came from: cache blocks read by this turn ('store'), cache blocks read when
   * the conversation was opened ('opened': restoreMs is that restore's time, which is not part of ttftMs),
   * or the engine, which held them from the chat's earlier turns ('live'). Every stored turn has it;
   * optional because the view tolerates stats written by other tools.
   */
  restoreSource?: 'live' | 'opened' | 'store' | 'none';
  /** Where the conversation's cache came from: 'file' = imported from a file and not verified. */
  cacheOrigin?: 'local' | 'file' | 'file-verified';
}

export interface MessageView {
  id: string;
  parentId: string | null;
  role: Role;
  text: string;
  createdAt: number;
  /** Ids of this message and its alternatives (same parent), in creation order. */
  siblingIds: string[];
  siblingIndex: number;
  stats: TurnStats | null;
}

export interface ConversationView extends ConversationSummary {
  systemPrompt: string;
  sampling: Sampling;
  codec: Codec;
  /** The active path, root first. */
  messages: MessageView[];
  cache: ConversationCache;
}

export interface ConversationCache {
  /** Tokens of the active path whose KV is stored and restorable now. */
  cachedTokens: number;
  totalTokens: number;
  storedBytes: number;
  rawBytes: number;
  /** 'file': the cache was imported from a file and not verified ("cache imported from a file"). */
  origin?: 'local' | 'file' | 'file-verified';
}

export interface CacheUsage {
  budgetBytes: number;
  usedBytes: number;
  blocks: number;
}

export interface Settings {
  cacheBudgetMb: number;
  defaultCodec: Codec;
  threads: number;
}

export type TurnPhase = 'restore' | 'prefill' | 'generate' | 'save';
export interface TurnProgress {
  phase: TurnPhase;
  done: number;
  total: number;
  /** Set once the turn's user message is stored: the renderer can show it with its real id. */
  userMessageId?: string;
}

export interface TurnResult {
  conversation: ConversationView;
  assistantMessageId: string;
  stats: TurnStats;
}

export type ExportFormat = 'json' | 'markdown' | 'bundle';
export interface ExportedFile {
  filename: string;
  mime: string;
  /** Text formats as UTF-8 text; the binary bundle as base64. */
  encoding: 'utf8' | 'base64';
  data: string;
}

export interface ImportResult {
  conversationIds: string[];
  format: 'reprise-json' | 'reprise-bundle' | 'chatgpt';
  importedBlocks: number;
}

export interface IoProgress {
  phase: 'read' | 'validate' | 'write';
  done: number;
  total: number;
}

export interface LoadProgress {
  message: string;
  fraction: number;
}

/** Commands from the native menu (Electron); browser mode has the same actions as buttons and shortcuts. */
export type MenuCommand =
  'newChat' | 'import' | 'exportJson' | 'exportMarkdown' | 'exportBundle' | 'openModel' | 'search' | 'about';

/** Pushed to the renderer over the long-lived `app.events` stream. */
export type AppEvent = { type: 'menu'; command: MenuCommand } | { type: 'model'; status: ModelStatus };

export interface OpenedFile {
  filename: string;
  encoding: 'utf8' | 'base64';
  data: string;
}
