import type { CodecName } from '../kv/codec/types.ts';
import type { Message, Sampling, StopReason } from '../store/types.ts';

/** Per-turn numbers; the same shape as the API's TurnStats. */
export interface TurnStats {
  restoredTokens: number;
  prefilledTokens: number;
  restoreMs: number;
  prefillMs: number;
  ttftMs: number;
  generatedTokens: number;
  decodeTokS: number;
  stopReason: Exclude<StopReason, 'error'>;
  codec: CodecName;
  /** The turn's new KV blocks as raw fp16 would take, and as stored. */
  snapshotRawBytes: number;
  snapshotStoredBytes: number;
  /** Oldest messages dropped to fit the context window (0 when none): context overflow happened. */
  droppedMessages: number;
  contextTokens: number;
  contextLength: number;
  /** Where restored tokens came from: the live engine state, the block store, or nothing. */
  restoreSource: 'live' | 'store' | 'none';
}

export type TurnPhase = 'restore' | 'prefill' | 'generate' | 'save';

export interface ErrorInfo {
  title: string;
  cause?: string;
  suggestion?: string;
  code?: string;
}

export type ChatEvent =
  | { type: 'progress'; phase: TurnPhase; done: number; total: number; userMessageId?: string }
  | { type: 'fragment'; text: string }
  | { type: 'success'; conversationId: string; userMessage: Message; message: Message; stats: TurnStats }
  | { type: 'error'; error: ErrorInfo };

export interface TurnHandlers {
  onEvent?: (e: ChatEvent) => void;
  signal?: AbortSignal;
}

export interface TurnOutcome {
  conversationId: string;
  userMessage: Message;
  message: Message;
  stats: TurnStats;
}

export interface NewConversationInput {
  title?: string;
  systemPrompt?: string;
  sampling?: Sampling;
  codec?: CodecName;
}

export class ChatError extends Error {
  override readonly cause: string | undefined;
  constructor(
    readonly title: string,
    cause?: string,
    readonly suggestion?: string,
    readonly code = 'CHAT',
  ) {
    super(cause ? `${title}: ${cause}` : title);
    this.name = 'ChatError';
    this.cause = cause;
  }
}

export function errorInfo(err: unknown): ErrorInfo {
  if (err && typeof err === 'object') {
    const e = err as { title?: unknown; cause?: unknown; suggestion?: unknown; code?: unknown; message?: unknown };
    if (typeof e.title === 'string') {
      return {
        title: e.title,
        cause: typeof e.cause === 'string' ? e.cause : undefined,
        suggestion: typeof e.suggestion === 'string' ? e.suggestion : undefined,
        code: typeof e.code === 'string' ? e.code : undefined,
      };
    }
    if (typeof e.message === 'string') return { title: 'Chat turn failed', cause: e.message };
  }
  return { title: 'Chat turn failed', cause: String(err) };
}
