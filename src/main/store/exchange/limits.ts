// Size limits for imports: a hostile or broken file must fail fast with a clear message, not exhaust memory.
export const LIMITS = {
  maxJsonBytes: 64 * 1024 * 1024,
  maxBundleBytes: 2 * 1024 * 1024 * 1024 - 1,
  maxManifestBytes: 64 * 1024 * 1024,
  maxConversations: 10_000,
  maxMessagesPerConversation: 100_000,
  maxContentChars: 1_000_000,
  maxTitleChars: 1_000,
  maxSystemPromptChars: 100_000,
  maxTokenIdsPerMessage: 1_000_000,
  maxBlocks: 200_000,
  maxBlockBytes: 256 * 1024 * 1024,
  /** Decompressed size a block's header may imply (a 4,096-token block of a 70B fp16 model is ~1.3 GB). */
  maxBlockRawBytes: 2 * 1024 * 1024 * 1024 - 1,
} as const;
