import { z } from 'zod';
import type { CodecName } from '../kv/codec/types.ts';

/** The one set of sampling bounds: stored settings, imports and API requests (api/schemas.ts) all use it. */
export const samplingSchema = z.object({
  temperature: z.number().min(0).max(5).optional(),
  topP: z.number().min(0).max(1).optional(),
  topK: z.number().int().min(0).max(1000).optional(),
  maxTokens: z.number().int().min(1).max(32768).optional(),
  minP: z.number().min(0).max(1).optional(),
  repetitionPenalty: z.number().min(0.5).max(3).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .nullable()
    .optional(),
});
export type Sampling = z.infer<typeof samplingSchema>;

export type Role = 'user' | 'assistant';
export type StopReason = 'eos' | 'stopString' | 'maxTokens' | 'userStopped' | 'contextFull' | 'error';

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  model: string;
  modelFingerprint: string;
  systemPrompt: string;
  sampling: Sampling;
  codec: CodecName;
  activeLeafId: string | null;
  /** Set when the KV cache came from an imported file: its blocks are keyed with this salt (kv/hash.ts). */
  cacheSalt: string | null;
  /** When the imported cache was checked against a local recomputation (null: not verified). */
  cacheVerifiedAt: number | null;
}

export interface Message {
  id: string;
  conversationId: string;
  parentId: string | null;
  role: Role;
  content: string;
  createdAt: number;
  /** Ids this message added to the model's token log; null if it never entered a model. */
  tokenIds: number[] | null;
  /** tokenIds is the whole log (re-rendered after a context overflow). */
  logReset: boolean;
  /** With logReset: the first message of the path the re-render kept (null: from the root). */
  contextFromId: string | null;
  /** Token log length after this message. */
  tokenEnd: number | null;
  stopReason: StopReason | null;
  stats: Record<string, unknown> | null;
}
