// Conversation changes, told to every connected window (app.events): the service publishes after a write
// has committed; each renderer reads the list (and its open chat) again. Only ids and kinds travel, and a
// renderer only ever reads in answer, so nothing it does can echo back into another event.
import type { ConversationChange } from '../../shared/views.ts';

export type ChangeListener = (id: string, change: ConversationChange) => void;

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  publish(id: string, change: ConversationChange): void {
    for (const l of this.listeners) l(id, change);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
