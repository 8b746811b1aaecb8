import type { StoredSampling } from '../../shared/sampling.ts';
import type { Role as AnyRole, StoredStopReason } from '../../shared/vocabulary.ts';
import type { TurnStats } from '../../shared/turn-stats.ts';
import type { CodecName } from '../kv/codec/types.ts';

export { storedSamplingSchema as samplingSchema } from '../../shared/sampling.ts';
export type Sampling = StoredSampling;

export type Role = Exclude<AnyRole, 'system'>;
export type StopReason = StoredStopReason;

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
  /** Validated with the one turn-stats schema on write and on read; null when absent or not valid. */
  stats: TurnStats | null;
}
