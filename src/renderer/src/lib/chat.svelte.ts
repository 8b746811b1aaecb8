/** The open conversation and the turn running in it: streaming text, progress, stop, branches, settings. */
import type { Prediction } from '../../../shared/client.ts';
import type {
  Codec,
  ConversationChange,
  ConversationSummary,
  ConversationView,
  MessageView,
  Sampling,
  TurnProgress,
  TurnResult,
} from '../../../shared/contract.ts';
import { SvelteSet } from 'svelte/reactivity';
import { api } from './api.ts';
import { cache } from './app.svelte.ts';
import { connection } from './connection.svelte.ts';
import { conversations } from './conversations.svelte.ts';
import { isCancellation, toUserError, type UserError } from './errors.ts';
import { toasts } from './toasts.svelte.ts';

export type TurnKind = 'send' | 'regenerate' | 'edit' | 'reply' | 'continue';

export interface ActiveTurn {
  conversationId: string;
  kind: TurnKind;
  /** Regenerate/edit: the message being replaced; it and everything after it are hidden while the turn runs. */
  replacesId: string | null;
  /** Send/edit: the user's text, shown at once while the turn starts. */
  userText: string | null;
  draft: string;
  progress: TurnProgress | null;
  stopping: boolean;
  /** performance.now() when the turn started, and when its first token was written (for the live rate). */
  startedAt: number;
  writingSince: number | null;
  /** The user message's id once the server stored it (later progress packets do not repeat it). */
  userMessageId: string | null;
}

export interface SettingsPatch {
  title?: string;
  systemPrompt?: string;
  sampling?: Partial<Sampling>;
  codec?: Codec;
}

/** How long a deleted chat can be brought back before it is deleted for good. */
export const UNDO_DELETE_MS = 8000;

const DRAFTS_KEY = 'reprise.drafts';

function loadDrafts(): Record<string, string> {
  try {
    const v: unknown = JSON.parse(sessionStorage.getItem(DRAFTS_KEY) ?? '{}');
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

/**
 * Whether a conversation still has the title, prompt and codec it was created with. Sampling is not
 * compared: its view fills unset values from the model's defaults, which change when the model finishes
 * loading (temperature 0.7 before, 0 after for the built-in model), so an untouched chat would look edited.
 * Edits made in this window are caught by update() and rename() instead (they keep the chat).
 */
function untouched(now: ConversationView, created: ConversationView): boolean {
  return now.title === created.title && now.systemPrompt === created.systemPrompt && now.codec === created.codec;
}

/** Messages kept loaded at most (pages of 100 come and go as the user scrolls): the DOM stays bounded. */
const MAX_LOADED = 200;

export class ChatState {
  conversation = $state.raw<ConversationView | null>(null);
  loadingId = $state<string | null>(null);
  turn = $state<ActiveTurn | null>(null);
  composer = $state('');
  /** The last turn's failure, shown in the chat until the next turn. */
  error = $state.raw<UserError | null>(null);
  /** A message to scroll to and highlight (from a search hit). */
  focusMessageId = $state<string | null>(null);
  /** Read out by screen readers when a reply finishes (the message log itself is not live). */
  announcement = $state('');
  /**
   * Chats whose system prompt changed since their last reply: the stored cache still covers the old prompt,
   * but the next reply renders the chat anew and reads all of it. The card says so (cleared by that reply).
   */
  readonly promptChanged = new SvelteSet<string>();

  private prediction: Prediction<string, TurnProgress, TurnResult> | null = null;
  /**
   * Unsent text per conversation; not reactive on purpose (read when a conversation opens). Kept in the
   * tab's sessionStorage too, so a reload (e.g. to reconnect in browser mode) does not lose it.
   */
  private drafts: Record<string, string> = loadDrafts();
  /** The chat New chat made, as created: discarded if the user leaves it as it was (see leave()). */
  private fresh: ConversationView | null = null;
  /** Conversations this window is writing (rename, settings, branch): their result updates the view. */
  private writing: Record<string, number> = {};
  /** Changes announced since the last sync (coalesced: a burst of events reads the list once). */
  private changed: Record<string, ConversationChange> = {};
  private syncTimer: ReturnType<typeof setTimeout> | null = null;

  readonly busy = $derived(this.turn !== null);
  /** The running turn, when it belongs to the open conversation. */
  readonly turnHere: ActiveTurn | null = $derived(
    this.turn && this.conversation && this.turn.conversationId === this.conversation.id ? this.turn : null,
  );
  readonly visible: MessageView[] = $derived.by(() => {
    const msgs = this.conversation?.messages ?? [];
    const t = this.turnHere;
    if (!t?.replacesId) return msgs;
    const i = msgs.findIndex((m) => m.id === t.replacesId);
    return i >= 0 ? msgs.slice(0, i) : msgs;
  });
  /** Long conversations come a page at a time: more of the path before / after what is loaded. */
  readonly hasEarlier = $derived((this.conversation?.page.from ?? 0) > 0);
  readonly hasLater = $derived(
    this.conversation !== null &&
      this.conversation.page.from + this.conversation.messages.length < this.conversation.page.pathLength,
  );
  /** A page is being fetched (one at a time). */
  loadingPage = $state(false);
  readonly lastAssistantId: string | null = $derived(
    this.hasLater ? null : (this.visible.findLast((m) => m.role === 'assistant')?.id ?? null),
  );

  async open(id: string, focusMessageId: string | null = null): Promise<void> {
    this.focusMessageId = focusMessageId;
    if (this.conversation?.id === id) {
      if (focusMessageId) await this.showBranchOf(focusMessageId);
      return;
    }
    this.loadingId = id;
    try {
      let view = await api.call('conversations.get', { id, ...(focusMessageId ? { around: focusMessageId } : {}) });
      if (this.loadingId !== id) return;
      // a search hit on another branch: switch to it, so the hit is there to see
      if (focusMessageId && !view.messages.some((m) => m.id === focusMessageId))
        view = await api.call('messages.switchBranch', { messageId: focusMessageId });
      if (this.loadingId !== id) return;
      this.leave();
      this.conversation = view;
      this.composer = this.drafts[id] ?? '';
      this.error = null;
    } catch (e) {
      toasts.error(e, 'Could not open the conversation');
    } finally {
      if (this.loadingId === id) this.loadingId = null;
    }
  }

  /** Back to the welcome screen. */
  close(): void {
    this.leave();
    this.conversation = null;
    this.composer = '';
    this.error = null;
  }

  private stash(): void {
    if (this.conversation) this.drafts[this.conversation.id] = this.composer;
  }

  /** Before the page goes away: the open chat's unsent text joins the others in sessionStorage. */
  saveDrafts(): void {
    this.stash();
    const kept = Object.fromEntries(Object.entries(this.drafts).filter(([, t]) => t.trim()));
    try {
      sessionStorage.setItem(DRAFTS_KEY, JSON.stringify(kept));
    } catch {
      // storage full or disabled: drafts then last as long as the page, as before
    }
  }

  /** Called before another conversation (or none) replaces the open one. */
  private leave(): void {
    this.stash();
    const created = this.fresh;
    if (!created || created.id !== this.conversation?.id) return;
    this.fresh = null;
    // a chat that got messages is kept without asking the server (whose get would also warm its cache)
    if (this.conversation.messages.length > 0) return;
    void this.discardIfUntouched(created);
  }

  /**
   * New chat then leaving without typing would pile up empty "New chat" rows. The store, not this window's
   * view, decides: only a chat with no messages at all and its title and settings as created goes.
   */
  private async discardIfUntouched(created: ConversationView): Promise<void> {
    const id = created.id;
    if (this.turn?.conversationId === id || this.drafts[id]?.trim()) return;
    try {
      const now = await api.call('conversations.get', { id });
      // By now the caller has moved on; the user may have come back, or started a turn here, meanwhile.
      const inUse = this.conversation?.id === id || this.loadingId === id || this.turn?.conversationId === id;
      if (inUse || now.messageCount > 0 || now.messages.length > 0 || !untouched(now, created)) return;
      await api.call('conversations.delete', { id });
      conversations.remove(id);
      delete this.drafts[id];
    } catch {
      // Keeping an empty chat is the safe way to fail.
    }
  }

  /** `fresh`: New chat's empty chat, discarded if left untouched (set here, before anything can leave it). */
  async create(title?: string, fresh = false): Promise<ConversationView | null> {
    try {
      const view = await api.call('conversations.create', title ? { title } : {});
      conversations.upsert(view);
      this.leave();
      this.conversation = view;
      if (fresh) this.fresh = view;
      this.composer = '';
      this.error = null;
      return view;
    } catch (e) {
      toasts.error(e, 'Could not start a new chat');
      return null;
    }
  }

  /** New chat (button, Ctrl/Cmd+N, menu): an empty chat is reused rather than piling up new ones. */
  async newChat(): Promise<void> {
    // An empty chat whose first turn is running is not empty for long: that one gets a new chat.
    if (this.conversation && this.conversation.messages.length === 0 && !this.turnHere) return;
    await this.create(undefined, true);
  }

  /** Deletes waiting for their Undo window to pass (committed at once if the page goes away). */
  private pendingDeletes: Record<string, { timer: ReturnType<typeof setTimeout>; summary: ConversationSummary }> = {};

  /**
   * Delete with Undo: the chat leaves the list at once, and is deleted for good (its cache blocks freed)
   * only when the toast's Undo has not been used for UNDO_DELETE_MS.
   */
  remove(id: string): void {
    const summary = conversations.items.find((c) => c.id === id);
    if (!summary || this.pendingDeletes[id] || this.turn?.conversationId === id) return;
    conversations.hide(id);
    if (this.conversation?.id === id) this.close();
    const timer = setTimeout(() => void this.commitDelete(id), UNDO_DELETE_MS);
    this.pendingDeletes[id] = { timer, summary };
    toasts.info(
      `Deleted “${summary.title || 'Untitled'}”`,
      { label: 'Undo', run: () => this.undoDelete(id) },
      UNDO_DELETE_MS,
    );
  }

  undoDelete(id: string): void {
    const p = this.pendingDeletes[id];
    if (!p) return;
    clearTimeout(p.timer);
    delete this.pendingDeletes[id];
    conversations.restore(p.summary);
  }

  private async commitDelete(id: string): Promise<void> {
    const p = this.pendingDeletes[id];
    if (!p) return;
    clearTimeout(p.timer);
    delete this.pendingDeletes[id];
    try {
      await api.call('conversations.delete', { id });
      conversations.forget(id);
      delete this.drafts[id];
      if (this.fresh?.id === id) this.fresh = null;
      void cache.refresh();
    } catch (e) {
      conversations.restore(p.summary);
      toasts.error(e, 'Could not delete the conversation');
    }
  }

  /** The page is going away: what was deleted is deleted now (the Undo window closes with the page). */
  commitDeletes(): void {
    for (const id of Object.keys(this.pendingDeletes)) void this.commitDelete(id);
  }

  async reload(id: string): Promise<void> {
    try {
      const view = await api.call('conversations.get', { id });
      conversations.upsert(view);
      if (this.conversation?.id === id) this.conversation = view;
    } catch {
      // the turn's own error is already shown
    }
  }

  /** The end of the open chat's path: its last page, when what is loaded stops before it (a search hit's page). */
  async showLatest(): Promise<void> {
    this.focusMessageId = null;
    const id = this.conversation?.id;
    if (id && this.hasLater) await this.reload(id);
  }

  async send(text: string = this.composer): Promise<void> {
    const body = text.trim();
    // Disconnected, the text would be lost with the failed call: it stays in the composer.
    if (!body || this.turn || connection.lost) return;
    let conv = this.conversation;
    if (!conv) conv = await this.create(); // the server titles it from the first message
    if (!conv) return;
    const id = conv.id;
    if (this.fresh?.id === id) this.fresh = null; // it has a message now, whatever the reply does
    if (this.hasLater) await this.reload(id); // the reply goes at the end: show the end
    this.composer = '';
    await this.run({ kind: 'send', conversationId: id, replacesId: null, userText: body }, () =>
      api.stream('chat.send', { conversationId: id, text: body }),
    );
  }

  async regenerate(assistantMessageId: string): Promise<void> {
    const conv = this.conversation;
    if (!conv || this.turn) return;
    await this.run(
      { kind: 'regenerate', conversationId: conv.id, replacesId: assistantMessageId, userText: null },
      () => api.stream('chat.regenerate', { assistantMessageId }),
    );
  }

  /**
   * More of a reply that was stopped or hit the token limit, after its last token. The server keeps the old
   * reply as a branch; while this runs the old text is shown with the new text streaming after it.
   */
  async continueReply(assistantMessageId: string): Promise<void> {
    const conv = this.conversation;
    const old = conv?.messages.find((m) => m.id === assistantMessageId);
    if (!conv || !old || this.turn || connection.lost) return;
    await this.run(
      { kind: 'continue', conversationId: conv.id, replacesId: assistantMessageId, userText: null },
      () => api.stream('chat.continue', { assistantMessageId }),
      old.text,
    );
  }

  /** A reply to your last message when it has none (its turn was cut short): no copy of the message is made. */
  async reply(userMessageId: string): Promise<void> {
    const conv = this.conversation;
    if (!conv || this.turn || connection.lost) return;
    await this.run({ kind: 'reply', conversationId: conv.id, replacesId: null, userText: null }, () =>
      api.stream('chat.reply', { userMessageId }),
    );
  }

  async edit(userMessageId: string, text: string): Promise<void> {
    const conv = this.conversation;
    const body = text.trim();
    if (!conv || this.turn || !body) return;
    await this.run({ kind: 'edit', conversationId: conv.id, replacesId: userMessageId, userText: body }, () =>
      api.stream('chat.edit', { userMessageId, text: body }),
    );
  }

  stop(): void {
    if (!this.turn || !this.prediction) return;
    this.turn.stopping = true;
    this.prediction.cancel();
  }

  /**
   * The open chat shows `messageId`: the page holding it when it is on the active path but not loaded,
   * else the branch holding it.
   */
  private async showBranchOf(messageId: string): Promise<void> {
    const conv = this.conversation;
    if (!conv || this.turn || conv.messages.some((m) => m.id === messageId)) return;
    try {
      const view = await api.call('conversations.get', { id: conv.id, around: messageId });
      if (this.conversation?.id !== conv.id) return;
      if (view.messages.some((m) => m.id === messageId)) {
        this.conversation = view;
        return;
      }
    } catch (e) {
      toasts.error(e, 'Could not open the conversation');
      return;
    }
    await this.switchBranch(messageId);
  }

  /**
   * The page before (or after) what is loaded. At most MAX_LOADED messages stay: the far end of the loaded
   * stretch is let go, so a 100k-message chat never puts more than that in the page.
   */
  async loadPage(direction: 'earlier' | 'later'): Promise<boolean> {
    const conv = this.conversation;
    if (!conv || this.loadingPage || (direction === 'earlier' ? !this.hasEarlier : !this.hasLater)) return false;
    this.loadingPage = true;
    try {
      const cursor = direction === 'earlier' ? conv.messages[0]!.id : conv.messages.at(-1)!.id;
      const p = await api.call(
        'conversations.messages',
        direction === 'earlier' ? { id: conv.id, before: cursor } : { id: conv.id, after: cursor },
      );
      if (this.conversation !== conv) return false; // another chat, or this one changed meanwhile
      let messages: MessageView[];
      let from: number;
      if (direction === 'earlier') {
        messages = [...p.messages, ...conv.messages].slice(0, MAX_LOADED);
        from = p.from;
      } else {
        const all = [...conv.messages, ...p.messages];
        messages = all.slice(Math.max(0, all.length - MAX_LOADED));
        from = conv.page.from + (all.length - messages.length);
      }
      this.conversation = { ...conv, messages, page: { from, pathLength: p.pathLength } };
      return true;
    } catch (e) {
      toasts.error(e, 'Could not load more messages');
      if (this.conversation === conv) await this.reload(conv.id);
      return false;
    } finally {
      this.loadingPage = false;
    }
  }

  async switchBranch(messageId: string): Promise<void> {
    if (this.turn) return;
    try {
      const id = this.conversation?.id;
      const view = await this.writingTo(id, () => api.call('messages.switchBranch', { messageId }));
      this.conversation = view;
      conversations.upsert(view);
    } catch (e) {
      toasts.error(e, 'Could not switch to that branch');
    }
  }

  async rename(id: string, title: string): Promise<boolean> {
    if (this.fresh?.id === id) this.fresh = null; // the user's work now: kept
    try {
      const view = await this.writingTo(id, () => api.call('conversations.update', { id, title }));
      conversations.upsert(view);
      if (this.conversation?.id === id) this.conversation = view;
      return true;
    } catch (e) {
      toasts.error(e, 'Could not rename the conversation');
      return false;
    }
  }

  private async writingTo<T>(id: string | undefined, call: () => Promise<T>): Promise<T> {
    if (!id) return call();
    this.writing[id] = (this.writing[id] ?? 0) + 1;
    try {
      return await call();
    } finally {
      if (--this.writing[id]! <= 0) delete this.writing[id];
    }
  }

  /**
   * A conversation changed, here or in another window on the same data (app.events): the list is read
   * again, and so is the open chat when it changed, unless this window is the one writing it (its own
   * call's result or turn updates it). Reads only: nothing here can announce another change.
   */
  onChange(id: string, change: ConversationChange): void {
    const mine = this.writing[id] || this.turn?.conversationId === id;
    if (!mine || change === 'deleted') this.changed[id] = change;
    this.syncTimer ??= setTimeout(() => void this.sync(), 50);
  }

  private async sync(): Promise<void> {
    this.syncTimer = null;
    const changed = this.changed;
    this.changed = {};
    await conversations.refresh();
    const open = this.conversation?.id;
    const change = open ? changed[open] : undefined;
    if (!open || !change || change === 'created') return;
    if (change === 'deleted') {
      if (this.turn?.conversationId === open) return;
      this.conversation = null;
      this.composer = '';
      this.error = null;
      toasts.info('This chat was deleted in another window.');
      return;
    }
    await this.refreshOpen();
  }

  /** The open chat's view again (its cache card: blocks may have been evicted by other chats' turns). */
  async refreshOpen(): Promise<void> {
    const id = this.conversation?.id;
    if (!id || this.turn?.conversationId === id) return;
    try {
      const view = await api.call('conversations.get', { id });
      if (this.conversation?.id === id && !this.turn) this.conversation = view;
    } catch {
      // the card keeps what it showed; opening the chat again refreshes it
    }
  }

  async update(patch: SettingsPatch): Promise<boolean> {
    const conv = this.conversation;
    if (!conv) return false;
    if (this.fresh?.id === conv.id) this.fresh = null; // settings edited: the user's work, kept
    try {
      const view = await this.writingTo(conv.id, () => api.call('conversations.update', { id: conv.id, ...patch }));
      if (patch.systemPrompt !== undefined && patch.systemPrompt !== conv.systemPrompt && conv.messages.length > 0)
        this.promptChanged.add(conv.id);
      if (this.conversation?.id === view.id) this.conversation = view;
      conversations.upsert(view);
      return true;
    } catch (e) {
      toasts.error(e, 'Could not save the conversation settings');
      return false;
    }
  }

  private async run(
    start: Pick<ActiveTurn, 'kind' | 'conversationId' | 'replacesId' | 'userText'>,
    begin: () => Prediction<string, TurnProgress, TurnResult>,
    draft = '',
  ): Promise<boolean> {
    this.turn = {
      ...start,
      draft,
      progress: null,
      stopping: false,
      startedAt: performance.now(),
      writingSince: null,
      userMessageId: null,
    };
    const turn = this.turn;
    this.error = null;
    let userStored = false;
    try {
      const prediction = begin();
      this.prediction = prediction;
      prediction.onProgress((p) => {
        if (p.phase === 'generate' && turn.writingSince === null) turn.writingSince = performance.now();
        turn.progress = p;
        if (p.userMessageId) {
          userStored = true;
          turn.userMessageId = p.userMessageId;
        }
      });
      // Markdown re-renders the whole draft: fold the fragments of one frame into one update.
      let pending = '';
      let frame = 0;
      const flush = (): void => {
        frame = 0;
        turn.draft += pending;
        pending = '';
      };
      try {
        for await (const fragment of prediction) {
          pending += fragment;
          frame ||= requestAnimationFrame(flush);
        }
      } finally {
        if (frame) cancelAnimationFrame(frame);
        flush();
      }
      const result = await prediction;
      this.promptChanged.delete(start.conversationId);
      const reply = result.conversation.messages.find((m) => m.id === result.assistantMessageId)?.text ?? '';
      this.announcement = `Reply finished: ${reply.length > 400 ? `${reply.slice(0, 400)}…` : reply}`;
      conversations.upsert(result.conversation);
      if (this.conversation?.id === start.conversationId) this.conversation = result.conversation;
      return true;
    } catch (e) {
      const stopped = turn.stopping || isCancellation(e);
      if (!stopped) {
        const err = toUserError(e, 'The reply failed');
        if (this.conversation?.id === start.conversationId) this.error = err;
        else toasts.error(err);
      }
      // Nothing was stored (a failure, or Stop while the message was being read): give the text back.
      if (start.kind === 'send' && !userStored && start.userText && !this.composer) this.composer = start.userText;
      if (!connection.lost) await this.reload(start.conversationId);
      return false;
    } finally {
      this.turn = null;
      this.prediction = null;
      void cache.refresh();
    }
  }
}

export const chat = new ChatState();
