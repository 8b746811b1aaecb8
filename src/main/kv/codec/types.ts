export const CODEC_NAMES = ['exact', 'int8', 'int4'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

export function isCodecName(s: unknown): s is CodecName {
  return typeof s === 'string' && (CODEC_NAMES as readonly string[]).includes(s);
}

/** Honest labels for the UI/docs: only `exact` restores bit-for-bit. */
export const CODEC_LABELS: Record<CodecName, string> = {
  exact: 'exact (lossless: byte-shuffle + zstd)',
  int8: 'int8 (lossy, KIVI-style: keys per channel, values per token)',
  int4: 'int4 (lossy, KIVI-style: keys per channel, values per token)',
};
