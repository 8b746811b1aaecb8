// Reprise JSON, version 1. Token logs travel with the messages so an import (and a bundle's blocks)
// resume exactly (DESIGN invariant 1).
import { z } from 'zod';
import { CODEC_NAMES } from '../../kv/codec/types.ts';
import { samplingSchema } from '../types.ts';
import { turnStatsSchema } from '../../../shared/turn-stats.ts';
import { stopReasonSchema } from '../../../shared/vocabulary.ts';
import { LIMITS } from './limits.ts';

export const REPRISE_FORMAT = 'reprise';
export const REPRISE_VERSION = 1;

/** Turn statistics are a flat record; a deeply nested one would overflow the stack when stored. */
const MAX_STATS_DEPTH = 8;

/** Nesting depth of a parsed JSON value, without recursion; stops counting past `limit`. */
export function jsonDepth(v: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return max;
    for (const y of Array.isArray(x) ? x : Object.values(x)) stack.push([y, d + 1]);
  }
  return max;
}

const id = z.string().min(1).max(200);
const time = z.number().int().min(0).max(8.64e15);
const tokenId = z.number().int().min(0).max(0xffffffff);

export const messageSchema = z
  .object({
    id,
    parentId: id.nullable(),
    role: z.enum(['user', 'assistant']),
    content: z.string().max(LIMITS.maxContentChars),
    createdAt: time,
    tokenIds: z.array(tokenId).max(LIMITS.maxTokenIdsPerMessage).nullable().optional(),
    logReset: z.boolean().optional(),
    contextFromId: id.nullable().optional(),
    tokenEnd: z.number().int().min(0).nullable().optional(),
    stopReason: stopReasonSchema.nullable().optional(),
    // the one turn-stats schema, after a depth check that names the problem (a deep nest would otherwise
    // overflow the stack somewhere); stats of another shape are dropped, the message itself still imports
    stats: z
      .unknown()
      .refine((v) => v == null || jsonDepth(v, MAX_STATS_DEPTH) <= MAX_STATS_DEPTH, {
        message: `is nested more than ${MAX_STATS_DEPTH} levels deep (turn statistics are flat numbers)`,
      })
      .pipe(turnStatsSchema.nullable().optional().catch(null))
      .optional(),
  })
  .strict();

export const conversationSchema = z
  .object({
    id,
    title: z.string().max(LIMITS.maxTitleChars),
    createdAt: time,
    updatedAt: time,
    model: z.string().max(1000).default(''),
    modelFingerprint: z.string().max(200).default(''),
    systemPrompt: z.string().max(LIMITS.maxSystemPromptChars).default(''),
    sampling: samplingSchema.default({}),
    codec: z.enum(CODEC_NAMES).default('exact'),
    activeLeafId: id.nullable(),
    messages: z.array(messageSchema).max(LIMITS.maxMessagesPerConversation),
  })
  .strict();

export const repriseFileSchema = z
  .object({
    format: z.literal(REPRISE_FORMAT),
    version: z.literal(REPRISE_VERSION),
    exportedAt: time,
    conversations: z.array(conversationSchema).max(LIMITS.maxConversations),
  })
  .strict();

export type ConversationExport = z.infer<typeof conversationSchema>;
export type MessageExport = z.infer<typeof messageSchema>;
export type RepriseFile = z.infer<typeof repriseFileSchema>;
