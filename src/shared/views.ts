/**
 * The data the UI sees: plain, JSON-safe views of models, conversations, turns and the cache.
 * No Node or Electron imports (the renderer imports these types).
 */
import type { SerializedError } from './errors.ts';
import type { TurnStats } from './turn-stats.ts';
import type { Codec, ImportFormat, Role, TurnPhase } from './vocabulary.ts';

export type * from './vocabulary.ts';
export type { TurnStats };

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
  /** CPU threads the loaded model runs with (the setting applies by reloading it). */
  threads: number;
  /** Identity of the weights and layout: the key of this model's KV blocks (and of a chat's model). */
  fingerprint: string;
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

/** A contiguous stretch of a conversation's active path (long conversations are sent a page at a time). */
export interface MessagePage {
  /** Root first. */
  messages: MessageView[];
  /** Index of messages[0] on the active path: more precede it when > 0. */
  from: number;
  /** Messages on the active path in all: more follow when from + messages.length < pathLength. */
  pathLength: number;
}

export interface ConversationView extends ConversationSummary {
  systemPrompt: string;
  sampling: Sampling;
  codec: Codec;
  /** A page of the active path, root first: its last page unless asked for another (see `page`). */
  messages: MessageView[];
  page: { from: number; pathLength: number };
  cache: ConversationCache;
  /** The model the chat's last reply was made with (its cache belongs to it); null before the first reply. */
  model: ConversationModelView | null;
}

export interface ConversationModelView {
  name: string;
  fingerprint: string;
  /** A folder here that holds this model (for a one-click switch); null when none is known to exist. */
  dir: string | null;
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
  /** After a bundle import, verify its cache against a recomputation in the background. */
  verifyImports: boolean;
  /** The Hugging Face token: which one the hub calls use (never the token itself) and whether one is saved. */
  hfToken: HfTokenState;
}

export interface HfTokenState {
  /** 'env': HF_TOKEN (it wins over the saved one); 'settings': the saved one; null: none (public repos only). */
  inUse: 'env' | 'settings' | null;
  saved: boolean;
}

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

export interface ExportedFile {
  filename: string;
  mime: string;
  /** Text formats as UTF-8 text; the binary bundle as base64. */
  encoding: 'utf8' | 'base64';
  data: string;
}

export interface ImportResult {
  conversationIds: string[];
  format: ImportFormat;
  importedBlocks: number;
  /**
   * Set when this very file was imported before and `again` was not asked: nothing was imported, and
   * these are the earlier import's conversations that still exist.
   */
  alreadyImported?: { at: number; filename: string; conversationIds: string[] };
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
/**
 * A conversation changed (in this window or another one on the same data): ids and kinds only, the
 * renderer reads what it shows again. 'messages': new messages or another active branch.
 */
export type ConversationChange = 'created' | 'updated' | 'messages' | 'deleted';

export type AppEvent =
  | { type: 'menu'; command: MenuCommand }
  | { type: 'model'; status: ModelStatus }
  | { type: 'conversation'; id: string; change: ConversationChange }
  /** A background verification of an imported cache finished (the conversation now shows as verified). */
  | { type: 'cacheVerified'; conversationId: string; checkedBlocks: number; replacedBlocks: number };

export interface OpenedFile {
  filename: string;
  encoding: 'utf8' | 'base64';
  data: string;
}

/** One request to the local API, as its panel lists it. */
export interface ApiRequestLogEntry {
  time: number;
  endpoint: string;
  /** HTTP status; 499: the client went away mid-reply. */
  status: number;
  promptTokens: number;
  /** Prompt tokens restored from the cache or already in the engine (not read again). */
  cachedTokens: number;
  completionTokens: number;
  ttftMs: number | null;
  tokS: number | null;
  /** What went wrong, for failed requests. */
  error?: string;
}

/** The local OpenAI-compatible API: its setting, where it listens, its key and what it served lately. */
export interface LocalApiStatus {
  enabled: boolean;
  running: boolean;
  /** Base URL for clients (…/v1), while running. */
  url: string | null;
  port: number;
  key: string | null;
  /** Why it is not running although enabled (a port in use, say). */
  error: SerializedError | null;
  requests: ApiRequestLogEntry[];
  /** Stored responses (newest first): each can be opened as a chat. */
  responses: ApiResponseSummary[];
}

/** A stored Responses-API chain (its last response), as the Local API panel lists it. */
export interface ApiResponseSummary {
  id: string;
  createdAt: number;
  model: string;
  /** The first user message of the chain, shortened. */
  title: string;
  turns: number;
}

export type * from './model-library.ts';
