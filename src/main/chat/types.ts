import type { TurnStats as ApiTurnStats } from '../api/contract.ts';
import { serializeError, type SerializedError } from '../api/errors.ts';
import type { CodecName } from '../kv/codec/types.ts';
import type { CacheOrigin } from './cache-origin.ts';
import type { Message, Sampling } from '../store/types.ts';

/** Per-turn numbers: the API's TurnStats, plus where the restored tokens came from. */
export interface TurnStats extends ApiTurnStats {
  /**
   * The block store during this turn; the block store when the conversation was opened ('opened', see
   * ChatService.warmUp); the live engine state of earlier turns; or nothing.
   */
  restoreSource: 'live' | 'opened' | 'store' | 'none';
  /** Where the conversation's cache came from (cache-origin.ts): 'file' until verified. */
  cacheOrigin: CacheOrigin;
}

export type TurnPhase = 'restore' | 'prefill' | 'generate' | 'save';

export type ErrorInfo = SerializedError;

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
  const e = serializeError(err);
  return e.title === 'Unexpected error' ? { ...e, title: 'Chat turn failed' } : e;
}
