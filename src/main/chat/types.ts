import { AppError, serializeError, type SerializedError } from '../../shared/errors.ts';
import type { TurnStats } from '../../shared/turn-stats.ts';
import type { ErrorCode, TurnPhase } from '../../shared/vocabulary.ts';
import type { CodecName } from '../kv/codec/types.ts';
import type { Message, Sampling } from '../store/types.ts';

export type { TurnStats, TurnPhase };

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

/** An AppError raised by a turn or a conversation operation (defaults to 'invalidMessage'). */
export class ChatError extends AppError {
  constructor(title: string, cause?: string, suggestion?: string, code: ErrorCode = 'invalidMessage') {
    super({ code, title, cause, suggestion });
    this.name = 'ChatError';
  }
}

export function errorInfo(err: unknown): ErrorInfo {
  return serializeError(err, 'Chat turn failed');
}
