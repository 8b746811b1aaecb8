// ChatService: conversations + turns over one engine session and one store. Turns, warm-ups (and API
// requests) run one at a time through the session, whose live state the next turn reuses when it
// continues the same token log.
import type { Engine } from '../engine/index.ts';
import { type CodecName } from '../kv/codec/types.ts';
import { DEFAULT_BLOCK_SIZE, type KvLogger } from '../kv/context.ts';
import { budgetBytes } from '../kv/budget.ts';
import { storedChain } from '../kv/restore.ts';
import {
  exportBundle,
  exportJsonText,
  exportMarkdown,
  importFile,
  importFileStaged,
  type ImportOutcome,
  type StagedOptions,
} from '../store/exchange/index.ts';
import type { Store } from '../store/store.ts';
import type { SearchHit } from '../store/search.ts';
import type { ExportFormat } from '../../shared/vocabulary.ts';
import type { Conversation, Message, Sampling } from '../store/types.ts';
import { conversationFromChain } from './api-chain.ts';
import { type FreeBytes, storeFreeBytes } from './disk-room.ts';
import { type CacheOrigin, cacheOrigin, conversationKvContext } from './cache-origin.ts';
import type { RestoreSource } from './prefix-restore.ts';
import { EngineSession } from './session.ts';
import { usableLog } from './token-log.ts';
import { CONTINUABLE, runContinuation } from './continue.ts';
import { runTurn, type TurnDeps, type TurnSpec } from './turn.ts';
import { type VerifyResult, verifyImportedCache } from './verify-cache.ts';
import { ChatError, type NewConversationInput, type TurnHandlers, type TurnOutcome, errorInfo } from './types.ts';

/** What ChatService.warmUp did: the engine now holds `restoredTokens` of the conversation's log. */
export interface WarmUp {
  restoredTokens: number;
  /** 'store': restored from blocks; 'live': the engine already held it; 'none': nothing cached. */
  source: RestoreSource;
  ms: number;
  /** Skipped: another conversation was opened before this warm-up's turn came. */
  superseded?: true;
}

export interface ChatServiceOptions {
  store: Store;
  engine?: Engine | null;
  logger?: KvLogger;
  /** Tokens per KV block (default 64). */
  blockSize?: number;
  /** The settings' owner: read at each use, never copied (default: 2048 MB, exact). */
  prefs?: () => ChatPrefs;
  /** Free bytes on the store's disk (default: statfs of its folder). */
  freeBytes?: FreeBytes;
  /** Fixed preferences, for tools and tests that have no settings file. */
  cacheBudgetMb?: number;
  defaultCodec?: CodecName;
}

export interface ChatPrefs {
  /** KV cache budget in MB. */
  cacheBudgetMb: number;
  defaultCodec: CodecName;
}

export type { ExportFormat };
export interface ExportResult {
  filename: string;
  mime: string;
  data: Buffer;
}

export interface ConversationCacheInfo {
  cachedTokens: number;
  totalTokens: number;
  storedBytes: number;
  rawBytes: number;
  /** Where the cache came from: 'file' means imported and not verified (the UI says so). */
  origin: CacheOrigin;
}

export class ChatService {
  readonly store: Store;
  /** The one owner of what the engine holds; API requests share it. */
  readonly session: EngineSession;
  private warmTicket = 0;
  private warmFor: string | null = null;
  private readonly logger: KvLogger;
  private readonly prefs: () => ChatPrefs;
  private readonly freeBytes: FreeBytes;
  readonly blockSize: number;

  constructor(o: ChatServiceOptions) {
    this.store = o.store;
    this.logger = o.logger ?? { warn: (m, d) => console.warn(m, d ?? '') };
    this.session = new EngineSession(o.store, this.logger, o.engine ?? null);
    this.blockSize = o.blockSize ?? DEFAULT_BLOCK_SIZE;
    const fixed = { cacheBudgetMb: o.cacheBudgetMb ?? 2048, defaultCodec: o.defaultCodec ?? 'exact' } as const;
    this.prefs = o.prefs ?? (() => fixed);
    this.freeBytes = o.freeBytes ?? storeFreeBytes(o.store);
  }

  get engine(): Engine | null {
    return this.session.engine;
  }

  get cacheBudgetMb(): number {
    return this.prefs().cacheBudgetMb;
  }

  /** Swaps the model (the caller owns engines). The live generator belongs to the old one and goes. */
  setEngine(engine: Engine | null): Promise<void> {
    return this.session.setEngine(engine);
  }

  // ---- conversations -------------------------------------------------------------------------------

  createConversation(input: NewConversationInput = {}): Conversation {
    return this.store.conversations.create({ ...input, codec: input.codec ?? this.prefs().defaultCodec });
  }

  listConversations(opts?: { limit?: number; offset?: number }): Array<Conversation & { messageCount: number }> {
    const counts = this.store.messages.counts();
    return this.store.conversations.list(opts).map((c) => ({ ...c, messageCount: counts.get(c.id) ?? 0 }));
  }

  /** The conversation and its active path, root first. */
  getConversation(id: string): { conversation: Conversation; messages: Message[] } {
    const conversation = this.store.conversations.require(id);
    return { conversation, messages: this.store.messages.path(conversation.activeLeafId) };
  }

  renameConversation(id: string, title: string): Conversation {
    this.store.conversations.rename(id, title);
    return this.store.conversations.require(id);
  }

  updateConversation(
    id: string,
    patch: { systemPrompt?: string; sampling?: Sampling; codec?: CodecName },
  ): Conversation {
    return this.store.conversations.update(id, patch);
  }

  deleteConversation(id: string): { deleted: boolean; freedBlocks: number } {
    const before = this.store.blocks.usage().blocks;
    const deleted = this.store.transaction(() => this.store.conversations.delete(id)); // frees the blocks' files too
    return { deleted, freedBlocks: before - this.store.blocks.usage().blocks };
  }

  search(text: string, limit?: number): SearchHit[] {
    return this.store.search(text, limit);
  }

  /** Shows the branch through `messageId` (its newest continuation). */
  switchBranch(o: { messageId: string }): Conversation {
    const m = this.store.messages.require(o.messageId);
    this.store.conversations.setActiveLeaf(m.conversationId, this.store.messages.newestLeaf(m.id));
    return this.store.conversations.require(m.conversationId);
  }

  // ---- turns ---------------------------------------------------------------------------------------

  /**
   * Restores a conversation's cached K/V into the engine ahead of its next turn — the app calls this when
   * a conversation is opened, while the user types — so that turn prefills only its new message and its
   * restore costs nothing. Queued like a turn. A warm-up that has not started yet is skipped when another
   * chat is warmed or a turn is asked for, so clicking through chats, or sending at once, never waits for
   * a restore nobody needs; one already running is finished first. Without a model or a token log it does
   * nothing. It never throws for a known conversation: a failure is logged and leaves a clean engine state.
   */
  warmUp(conversationId: string): Promise<WarmUp> {
    // a warm-up is skipped when, before its turn comes, another chat is warmed or any turn is asked for
    // (a turn restores for itself); a repeated warm-up of the same chat does not skip the first
    if (conversationId !== this.warmFor) {
      this.warmFor = conversationId;
      this.warmTicket++;
    }
    const ticket = this.warmTicket;
    return this.session.withLock(async () => {
      if (ticket !== this.warmTicket) return { restoredTokens: 0, source: 'none', ms: 0, superseded: true };
      const engine = this.session.engine;
      const conv = this.store.conversations.require(conversationId);
      const stored = conv.activeLeafId ? this.store.messages.tokenLog(conv.activeLeafId) : null;
      const log = engine ? usableLog(stored, engine.info.vocabSize, this.logger) : null;
      if (!engine || !log?.length) return { restoredTokens: 0, source: 'none', ms: 0 };
      const t0 = performance.now();
      try {
        const r = await this.session.ensurePrefix(log, conversationKvContext(engine.info, conv, this.blockSize), {
          owner: conversationId,
          maxTokens: log.length,
          tailEnds: [log.length],
          purpose: 'warm',
        });
        return { restoredTokens: r.restored, source: r.source === 'opened' ? 'live' : r.source, ms: r.restoreMs };
      } catch (err) {
        // only a hint: the turn restores for itself; start it from a clean engine state
        await this.session.drop();
        this.logger.warn(`chat: warming the cache failed: ${(err as Error).message}`, { conversationId });
        return { restoredTokens: 0, source: 'none', ms: Math.round(performance.now() - t0) };
      }
    });
  }

  /** `parentMessageId`: undefined = after the active leaf; null = a new root message. */
  sendMessage(
    o: { conversationId: string; text: string; parentMessageId?: string | null },
    h: TurnHandlers = {},
  ): Promise<TurnOutcome> {
    return this.turn(h, () => {
      const conv = this.store.conversations.require(o.conversationId);
      const parentId = o.parentMessageId === undefined ? conv.activeLeafId : o.parentMessageId;
      if (parentId && this.store.messages.require(parentId).conversationId !== conv.id)
        throw new ChatError('Invalid parent message', `${parentId} is not in conversation ${conv.id}`);
      if (!o.text.trim())
        throw new ChatError('Empty message', 'there is nothing to send', 'Type a message first.', 'emptyMessage');
      return { conv, parentId, userText: o.text };
    });
  }

  /** A new reply to the same user message, as a sibling branch. */
  regenerate(o: { conversationId: string; assistantMessageId: string }, h: TurnHandlers = {}): Promise<TurnOutcome> {
    return this.turn(h, () => {
      const conv = this.store.conversations.require(o.conversationId);
      const a = this.store.messages.require(o.assistantMessageId);
      if (a.conversationId !== conv.id || a.role !== 'assistant' || !a.parentId)
        throw new ChatError('Cannot regenerate', `${a.id} is not an assistant reply of conversation ${conv.id}`);
      const user = this.store.messages.require(a.parentId);
      return { conv, parentId: user.parentId, userText: user.content, existingUser: user, vary: true };
    });
  }

  /**
   * A reply to a stored user message that has none yet (its turn was cut short by a crash, a stop before
   * the reply began, or an error): the same turn as regenerate, without a reply to replace.
   */
  replyTo(o: { userMessageId: string }, h: TurnHandlers = {}): Promise<TurnOutcome> {
    return this.turn(h, () => {
      const user = this.store.messages.require(o.userMessageId);
      if (user.role !== 'user') throw new ChatError('Cannot reply', `${user.id} is not a user message`);
      return {
        conv: this.store.conversations.require(user.conversationId),
        parentId: user.parentId,
        userText: user.content,
        existingUser: user,
      };
    });
  }

  /** Edits a user message by adding a sibling with the new text (a new branch) and replying to it. */
  editUserMessage(o: { messageId: string; text: string }, h: TurnHandlers = {}): Promise<TurnOutcome> {
    return this.turn(h, () => {
      const m = this.store.messages.require(o.messageId);
      if (m.role !== 'user') throw new ChatError('Cannot edit', 'only user messages can be edited');
      if (!o.text.trim()) throw new ChatError('Empty message', 'there is nothing to send', undefined, 'emptyMessage');
      return { conv: this.store.conversations.require(m.conversationId), parentId: m.parentId, userText: o.text };
    });
  }

  /**
   * Goes on writing a reply that was cut short (Stopped, or the token limit) after its last token; the whole
   * reply is committed as a sibling of the old one (see continue.ts).
   */
  continueReply(o: { assistantMessageId: string }, h: TurnHandlers = {}): Promise<TurnOutcome> {
    return this.exclusive(h, (deps) => {
      const reply = this.store.messages.require(o.assistantMessageId);
      if (reply.role !== 'assistant') throw new ChatError('Cannot continue', `${reply.id} is not a reply`);
      if (!reply.stopReason || !CONTINUABLE.has(reply.stopReason))
        throw new ChatError('Cannot continue this reply', 'it ended on its own', 'Regenerate it, or send a message.');
      return runContinuation(deps, { conv: this.store.conversations.require(reply.conversationId), reply }, h);
    });
  }

  private turn(h: TurnHandlers, spec: () => TurnSpec): Promise<TurnOutcome> {
    return this.exclusive(h, (deps) => runTurn(deps, spec(), h));
  }

  /** Runs one turn-like job with the engine to itself, queued after the others. */
  private exclusive(h: TurnHandlers, job: (deps: TurnDeps) => Promise<TurnOutcome>): Promise<TurnOutcome> {
    this.warmTicket++; // queued warm-ups are moot: this turn restores what it needs
    this.warmFor = null;
    return this.session.withLock(async () => {
      try {
        return await job({
          store: this.store,
          session: this.session,
          logger: this.logger,
          blockSize: this.blockSize,
          cacheBudgetMb: this.prefs().cacheBudgetMb,
          freeBytes: this.freeBytes,
        });
      } catch (err) {
        // the engine state may be half-way through something: start clean next turn
        await this.session.drop();
        h.onEvent?.({ type: 'error', error: errorInfo(err) });
        throw err;
      }
    });
  }

  // ---- cache ---------------------------------------------------------------------------------------

  /** How much of the active path's token log is restorable now (with the loaded model). */
  cacheInfo(conversationId: string): ConversationCacheInfo {
    const c = this.store.conversations.require(conversationId);
    const log = this.store.messages.tokenLog(c.activeLeafId) ?? [];
    const info = { cachedTokens: 0, totalTokens: log.length, storedBytes: 0, rawBytes: 0, origin: cacheOrigin(c) };
    const engine = this.session.engine;
    if (!engine || log.length === 0) return info;
    const ctx = conversationKvContext(engine.info, c, this.blockSize);
    const chain = storedChain(log, ctx, this.store.blocks);
    info.cachedTokens = chain.length ? chain[chain.length - 1]!.start + chain[chain.length - 1]!.count : 0;
    for (const b of chain) {
      const i = this.store.blocks.info(b.hash);
      if (i) {
        info.storedBytes += i.storedBytes;
        info.rawBytes += i.rawBytes;
      }
    }
    return info;
  }

  cacheUsage(): { budgetBytes: number; usedBytes: number; blocks: number } {
    const u = this.store.blocks.usage();
    return { budgetBytes: budgetBytes(this.cacheBudgetMb), usedBytes: u.storedBytes, blocks: u.blocks };
  }

  /** Evicts down to the current budget (after the settings changed it). */
  enforceBudget(): number {
    return this.store.enforceBudget(this.cacheBudgetMb);
  }

  // ---- export / import -----------------------------------------------------------------------------

  exportConversations(o: { ids?: string[]; format: ExportFormat }): ExportResult {
    const stamp = new Date().toISOString().slice(0, 10);
    if (o.format === 'bundle') {
      const id = o.ids?.[0];
      if (!id || o.ids!.length !== 1)
        throw new ChatError(
          'Cannot export bundle',
          'a bundle holds exactly one conversation',
          'Choose one conversation.',
        );
      return {
        filename: `${slug(this.store.conversations.require(id).title)}.reprise`,
        mime: 'application/octet-stream',
        data: exportBundle(this.store, id),
      };
    }
    const name = o.ids?.length === 1 ? slug(this.store.conversations.require(o.ids[0]!).title) : `reprise-${stamp}`;
    if (o.format === 'markdown')
      return { filename: `${name}.md`, mime: 'text/markdown', data: Buffer.from(exportMarkdown(this.store, o.ids)) };
    return { filename: `${name}.json`, mime: 'application/json', data: Buffer.from(exportJsonText(this.store, o.ids)) };
  }

  importFile(bytes: Uint8Array): ImportOutcome {
    return importFile(this.store, bytes);
  }

  /** The app's import: written in slices between other requests, listed only once complete. */
  importFileStaged(bytes: Uint8Array, o?: StagedOptions): Promise<ImportOutcome> {
    return importFileStaged(this.store, bytes, o);
  }

  /** A stored Responses-API chain as a new chat whose next turn resumes the chain's cache (api-chain.ts). */
  openApiChain(responseId: string): Conversation {
    const entry = this.store.apiEntries.get(responseId);
    if (!entry) throw new ChatError('Response not found', responseId, undefined, 'notFound');
    return conversationFromChain(this.store, entry, this.prefs().defaultCodec);
  }

  /**
   * Checks a cache imported from a file against a local recomputation and replaces the blocks that
   * differ (verify-cache.ts); marks the conversation verified. Queued like a turn.
   */
  verifyImportedCache(conversationId: string, signal?: AbortSignal): Promise<VerifyResult> {
    return this.session.withLock(async () => {
      const engine = this.session.requireEngine();
      const d = { store: this.store, engine, blockSize: this.blockSize, logger: this.logger, signal };
      return verifyImportedCache(d, conversationId);
    });
  }

  async close(): Promise<void> {
    await this.session.withLock(() => this.session.drop());
  }
}

function slug(title: string): string {
  return (
    title
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'conversation'
  );
}
