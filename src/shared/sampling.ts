/** The one set of sampling bounds: stored settings, imports and requests all use it. */
import { z } from 'zod';

export const storedSamplingSchema = z.object({
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
/** What a conversation stores: unset fields follow the model's generation_config. */
export type StoredSampling = z.infer<typeof storedSamplingSchema>;
