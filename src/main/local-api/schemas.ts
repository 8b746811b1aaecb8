// Request bodies, following OpenAI's API reference for field names. Unknown fields are ignored (as OpenAI
// does); a wrong type is a 400 naming the field.
import { z } from 'zod';

const textPart = z.object({ type: z.enum(['text', 'input_text', 'output_text']), text: z.string() });
const otherPart = z.object({ type: z.string() }).loose();
/** A message's content: a string, or parts of which only text is understood. */
export const contentSchema = z.union([z.string(), z.array(z.union([textPart, otherPart]))]);

const sampling = {
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  n: z.number().int().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  user: z.string().nullish(),
};

export const chatCompletionSchema = z.object({
  model: z.string().min(1),
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'developer', 'user', 'assistant']),
        content: contentSchema.nullable(),
        name: z.string().nullish(),
      }),
    )
    .min(1),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  ...sampling,
});
export type ChatCompletionBody = z.infer<typeof chatCompletionSchema>;

export const completionSchema = z.object({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
  max_tokens: z.number().int().min(1).nullish(),
  echo: z.boolean().nullish(),
  ...sampling,
});
export type CompletionBody = z.infer<typeof completionSchema>;

const inputMessage = z.object({
  type: z.literal('message').optional(),
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: contentSchema,
});
export const responseSchema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(inputMessage).min(1)]),
  instructions: z.string().nullish(),
  previous_response_id: z.string().nullish(),
  store: z.boolean().nullish(),
  max_output_tokens: z.number().int().min(1).nullish(),
  temperature: sampling.temperature,
  top_p: sampling.top_p,
  stream: sampling.stream,
});
export type ResponseBody = z.infer<typeof responseSchema>;
