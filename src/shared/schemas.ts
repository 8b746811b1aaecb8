/** Params schemas of every method: the main side validates each request with these before acting. */
import { z } from 'zod';
import { storedSamplingSchema as storedSampling } from './sampling.ts';
import { codecSchema, exportFormatSchema } from './vocabulary.ts';

const id = z.string().min(1).max(64);
const text = z.string().max(200_000);

export { codecSchema };
/** Every field set: the store's bounds (one definition), all required in a request. */
export const samplingSchema = storedSampling.required().strict();

const empty = z.object({}).strict();
/** owner/name on the Hugging Face hub. */
const hubRepo = z
  .string()
  .max(200)
  .regex(/^[\w.-]+\/[\w.-]+$/, 'a hub repository is owner/name');

export const methodParams = {
  'app.info': empty,
  'model.status': empty,
  'settings.get': empty,
  'settings.update': z
    .object({
      cacheBudgetMb: z.number().int().min(16).max(1_000_000).optional(),
      defaultCodec: codecSchema.optional(),
      threads: z.number().int().min(0).max(256).optional(),
      verifyImports: z.boolean().optional(),
      /** A Hugging Face access token to save (write-only: never read back); null removes the saved one. */
      hfToken: z.string().trim().max(500).nullable().optional(),
    })
    .strict(),
  'cache.usage': empty,
  'conversations.list': empty,
  'conversations.search': z.object({ query: z.string().min(1).max(500) }).strict(),
  /** `around`: open at the page holding this message (a search hit) when it is on the active path. */
  'conversations.get': z.object({ id, around: id.optional() }).strict(),
  /** A page of the active path: before or after a loaded message, or (neither) its last page. */
  'conversations.messages': z
    .object({ id, before: id.optional(), after: id.optional(), limit: z.number().int().min(1).max(1000).optional() })
    .strict()
    .refine((p) => !(p.before && p.after), 'give before or after, not both'),
  'conversations.create': z.object({ title: z.string().max(200).optional(), systemPrompt: text.optional() }).strict(),
  'conversations.update': z
    .object({
      id,
      title: z.string().min(1).max(200).optional(),
      systemPrompt: text.optional(),
      sampling: samplingSchema.partial().optional(),
      codec: codecSchema.optional(),
    })
    .strict(),
  'conversations.delete': z.object({ id }).strict(),
  'messages.switchBranch': z.object({ messageId: id }).strict(),
  'api.status': empty,
  'api.configure': z
    .object({ enabled: z.boolean().optional(), port: z.number().int().min(1).max(65535).optional() })
    .strict(),
  'api.regenerateKey': empty,
  'api.openResponse': z.object({ id: z.string().min(1).max(200) }).strict(),
  'models.starters': empty,
  'models.search': z
    .object({ query: z.string().max(200), sort: z.enum(['downloads', 'likes', 'updated']).optional() })
    .strict(),
  'models.details': z.object({ repo: hubRepo }).strict(),
  'models.installed': empty,
  'models.remove': z.object({ name: z.string().min(1).max(255), withCache: z.boolean().optional() }).strict(),
  // Native dialogs: Electron only (AppInfo.nativeDialogs says whether they exist).
  'native.chooseModelFolder': empty,
  'native.openFile': z.object({ purpose: z.enum(['import']) }).strict(),
  'native.saveFile': z
    .object({
      filename: z.string().min(1).max(255),
      mime: z.string().max(100),
      encoding: z.enum(['utf8', 'base64']),
      data: z.string().max(300 * 1024 * 1024),
    })
    .strict(),
} as const;

export const streamParams = {
  // Long-lived: fragments are AppEvents until the client cancels or goes away.
  'app.events': empty,
  'model.open': z.object({ dir: z.string().min(1).max(4096) }).strict(),
  'chat.send': z.object({ conversationId: id, text: text.min(1) }).strict(),
  'chat.regenerate': z.object({ assistantMessageId: id }).strict(),
  'chat.edit': z.object({ userMessageId: id, text: text.min(1) }).strict(),
  // A reply to a stored user message that has none (its turn was cut short by a crash or an error).
  'chat.reply': z.object({ userMessageId: id }).strict(),
  // More of a reply that was stopped or hit the token limit, after its last token (no new user turn).
  'chat.continue': z.object({ assistantMessageId: id }).strict(),
  // Resumes from the partial files a cancelled or interrupted pull of the same variant left behind.
  'models.pull': z.object({ repo: hubRepo, variant: z.string().min(1).max(64).optional() }).strict(),
  'io.export': z.object({ conversationId: id.optional(), format: exportFormatSchema }).strict(),
  // Files arrive as text (JSON) or base64 (bundle): both fit one message; the size cap is checked again when parsed.
  'io.import': z
    .object({
      filename: z.string().max(1000),
      encoding: z.enum(['utf8', 'base64']),
      data: z.string().max(300 * 1024 * 1024),
      /** Import even when the same file was imported before (otherwise the result says so, importing nothing). */
      again: z.boolean().optional(),
    })
    .strict(),
} as const;
