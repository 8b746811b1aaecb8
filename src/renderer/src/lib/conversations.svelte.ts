/** The sidebar's data: conversations by recency and date group, and full-text search. */
import type { ConversationSummary, SearchHit } from '../../../shared/contract.ts';
import { api } from './api.ts';
import { dateGroup, type DateGroup } from './format.ts';
import { toasts } from './toasts.svelte.ts';

export interface ConversationGroup {
  label: DateGroup;
  items: ConversationSummary[];
}

export function summaryOf(c: ConversationSummary): ConversationSummary {
  return { id: c.id, title: c.title, createdAt: c.createdAt, updatedAt: c.updatedAt, messageCount: c.messageCount };
}

export class ConversationList {
  items = $state.raw<ConversationSummary[]>([]);
  loaded = $state(false);
  /** The last refresh failed: an empty list then says nothing about what is stored. */
  loadFailed = $state(false);
  query = $state('');
  hits = $state.raw<SearchHit[]>([]);
  searching = $state(false);
  /** Deleted in this window but still undoable: hidden from the list until the delete is committed. */
  private pendingDelete: Record<string, true> = {};
  /** The clock for date groups; refreshed when the list is. */
  private now = $state(Date.now());
  private searchTimer: ReturnType<typeof setTimeout> | null = null;
  private searchSeq = 0;

  readonly sorted = $derived([...this.items].sort((a, b) => b.updatedAt - a.updatedAt));
  readonly groups: ConversationGroup[] = $derived.by(() => {
    // newest first, so the groups come out in date order too
    const groups: ConversationGroup[] = [];
    for (const c of this.sorted) {
      const label = dateGroup(c.updatedAt, this.now);
      const last = groups.at(-1);
      if (last?.label === label) last.items.push(c);
      else groups.push({ label, items: [c] });
    }
    return groups;
  });
  readonly searchActive = $derived(this.query.trim().length > 0);

  async refresh(): Promise<void> {
    try {
      const all = await api.call('conversations.list', {});
      this.items = all.filter((c) => !this.pendingDelete[c.id]);
      this.now = Date.now();
      this.loadFailed = false;
    } catch (e) {
      this.loadFailed = true;
      toasts.error(e, 'Could not load the conversations');
    } finally {
      this.loaded = true;
    }
  }

  upsert(c: ConversationSummary): void {
    const s = summaryOf(c);
    const i = this.items.findIndex((x) => x.id === s.id);
    this.items = i >= 0 ? this.items.with(i, s) : [s, ...this.items];
    this.now = Date.now();
  }

  remove(id: string): void {
    this.items = this.items.filter((c) => c.id !== id);
  }

  /** Hides a chat whose delete can still be undone; `restore` puts it back. */
  hide(id: string): void {
    this.pendingDelete[id] = true;
    this.remove(id);
  }

  restore(c: ConversationSummary): void {
    delete this.pendingDelete[c.id];
    this.upsert(c);
  }

  forget(id: string): void {
    delete this.pendingDelete[id];
  }

  setQuery(q: string): void {
    this.query = q;
    if (this.searchTimer) clearTimeout(this.searchTimer);
    if (!q.trim()) {
      this.hits = [];
      this.searching = false;
      return;
    }
    this.searching = true;
    this.searchTimer = setTimeout(() => void this.runSearch(q.trim()), 180);
  }

  private async runSearch(query: string): Promise<void> {
    const seq = ++this.searchSeq;
    try {
      const hits = await api.call('conversations.search', { query });
      if (seq === this.searchSeq) this.hits = hits;
    } catch (e) {
      if (seq === this.searchSeq) {
        this.hits = [];
        toasts.error(e, 'Search failed');
      }
    } finally {
      if (seq === this.searchSeq) this.searching = false;
    }
  }
}

export const conversations = new ConversationList();
