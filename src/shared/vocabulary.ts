/**
 * The one vocabulary: every closed list the app speaks, as an `as const` list, its zod enum and, where a
 * person sees it, its label. Engine, store, service and renderer all import these; nothing redeclares them.
 * No Node or Electron imports (the renderer imports this file).
 */
import { z } from 'zod';

/**
 * How a conversation's KV blocks are stored. Only `exact` restores bit for bit; `fp16` is exact on a model
 * whose cache is already float16, and near-exact (half the bytes) on a float32 cache.
 */
export const CODECS = ['exact', 'fp16', 'int8', 'int4'] as const;
export type Codec = (typeof CODECS)[number];
export const codecSchema = z.enum(CODECS);
export const isCodec = (s: unknown): s is Codec => typeof s === 'string' && (CODECS as readonly string[]).includes(s);
/** Short names and what each means, relative to the model's own KV precision (16 or 32 bits). */
export const CODEC_LABELS: Record<Codec, { label: string; detail: string; technical: string }> = {
  exact: {
    label: 'Exact',
    detail: 'Bit-exact: a resumed reply is identical to a fresh one. Largest.',
    technical: 'exact (lossless: the cache as it is)',
  },
  fp16: {
    label: 'Near-exact (16-bit)',
    detail:
      'A float32 cache stored as 16-bit floats: half the size of Exact, replies almost always identical. On a model whose cache is already 16-bit it is the same as Exact.',
    technical: 'fp16 (float32 KV rounded to IEEE half; a float16 cache stored as it is)',
  },
  int8: {
    label: 'int8',
    detail: 'Lossy: 8 bits per value (the model’s cache uses 16 or 32); replies may differ slightly.',
    technical: 'int8 (lossy, KIVI-style: keys per channel, values per token)',
  },
  int4: {
    label: 'int4',
    detail: 'Lossy: 4 bits per value (the model’s cache uses 16 or 32); replies differ more often.',
    technical: 'int4 (lossy, KIVI-style: keys per channel, values per token)',
  },
};

/** Why generation stopped. `error` is stored only (a reply cut short by a failure); the engine never reports it. */
export const STOP_REASONS = ['eos', 'stopString', 'maxTokens', 'userStopped', 'contextFull', 'error'] as const;
export type StoredStopReason = (typeof STOP_REASONS)[number];
export type StopReason = Exclude<StoredStopReason, 'error'>;
export const stopReasonSchema = z.enum(STOP_REASONS);
/** Labels for the reasons a person should be told about (a natural end says nothing). */
export const STOP_LABELS: Partial<Record<StoredStopReason, string>> = {
  userStopped: 'Stopped',
  maxTokens: 'Stopped at the token limit',
  contextFull: 'Stopped: context full',
  error: 'Stopped by an error',
};

/** The steps of a turn, in order. */
export const TURN_PHASES = ['restore', 'prefill', 'generate', 'save'] as const;
export type TurnPhase = (typeof TURN_PHASES)[number];

/**
 * Where a turn's restored tokens came from: cache blocks read by this turn ('store'), cache blocks read
 * when the conversation was opened ('opened'), the engine's state from the chat's earlier turns ('live'),
 * or nowhere ('none').
 */
export const RESTORE_SOURCES = ['live', 'opened', 'store', 'none'] as const;
export type RestoreSource = (typeof RESTORE_SOURCES)[number];
export const restoreSourceSchema = z.enum(RESTORE_SOURCES);

/**
 * Why a turn restored less than the conversation's earlier turns (the UI says "Resumed" only without one).
 * 'firstMessage': there were no earlier turns; 'otherModel': the cache belongs to another model;
 * 'systemPromptChanged': the history was rendered anew; 'historyRerendered': a reply's stored text renders to other
 * tokens than the model read (a reply cut mid-character, say), so the log was kept up to there and the rest
 * read again; 'contextTrimmed': the oldest turns were dropped to fit
 * and the rest re-read; 'importedWithoutCache': imported messages that never ran here; 'codecChanged': the
 * blocks were saved with another codec; 'evicted': the blocks were removed (cache budget) or damaged.
 */
export const CACHE_NOTES = [
  'firstMessage',
  'otherModel',
  'systemPromptChanged',
  'historyRerendered',
  'contextTrimmed',
  'importedWithoutCache',
  'codecChanged',
  'evicted',
] as const;
export type CacheNote = (typeof CACHE_NOTES)[number];
export const cacheNoteSchema = z.enum(CACHE_NOTES);
export const CACHE_NOTE_LABELS: Record<CacheNote, string> = {
  firstMessage: 'first message: nothing to resume yet',
  otherModel: 'the cache belongs to another model',
  systemPromptChanged: 'the system prompt changed, so the history was read again',
  historyRerendered:
    'an earlier reply\u2019s text differs from the tokens the model read, so the history was read again from there',
  contextTrimmed: 'the oldest turns were dropped to fit the context, so the rest was read again',
  importedWithoutCache: 'imported without a cache',
  codecChanged: 'the cache was saved with another codec',
  evicted: 'the cache was evicted or damaged',
};

/** Where a conversation's cache came from: computed here, or imported from a file (until verified). */
export const CACHE_ORIGINS = ['local', 'file', 'file-verified'] as const;
export type CacheOrigin = (typeof CACHE_ORIGINS)[number];
export const cacheOriginSchema = z.enum(CACHE_ORIGINS);

export const EXPORT_FORMATS = ['json', 'markdown', 'bundle'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const exportFormatSchema = z.enum(EXPORT_FORMATS);

export const IMPORT_FORMATS = ['reprise-json', 'reprise-bundle', 'chatgpt'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const ROLES = ['system', 'user', 'assistant'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Every error code any layer may raise. A closed list: the renderer and API clients branch on these,
 * never on message text.
 */
export const ERROR_CODES = [
  // engine
  'modelFolderMissing',
  'fileMissing',
  'noOnnxFile',
  'corruptModel',
  'unsupportedLayout',
  'badConfig',
  'tokenizer',
  'kvMismatch',
  'contextFull',
  'badArgument',
  'workerFailed',
  'disposed',
  'cancelled',
  'internal',
  // model manager
  'noModel',
  'modelLoading',
  // store (SQLite result codes a person can act on) and lookups
  'diskFull',
  'readOnly',
  'corruptDb',
  'notFound',
  // chat
  'emptyMessage',
  'invalidMessage',
  'contextTooSmall',
  // import / export
  'importInvalid',
  'importBadJson',
  'importBadUtf8',
  'importSchema',
  'importVersion',
  'importTree',
  'importTooLarge',
  'importUnknownFormat',
  'importEmpty',
  'importBundle',
  'importBundleBomb',
  'importChatgptTree',
  'verifyModel',
  'exportInvalid',
  // model library (hub search and downloads)
  'tokenRequired',
  'badToken',
  'repoNotFound',
  'noVariant',
  'corrupt',
  'network',
  'alreadyInstalled',
  'notInstalled',
  'badName',
  // contract
  'unknownMethod',
  'invalidParams',
  'notAvailable',
  'settingsWrite',
  'connectionClosed',
  'unexpected',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
export const errorCodeSchema = z.enum(ERROR_CODES);
