// "Verify imported caches in the background" (a setting): after a bundle import, its cache is checked
// against a local recomputation (chat/verify-cache.ts) without holding up the import's answer. Jobs run one
// at a time through the engine's queue like a turn; deleting the conversation or closing the app cancels
// its job. Listeners hear of each verified conversation (the UI then shows it as verified).
import type { ChatService } from '../chat/index.ts';
import type { VerifyResult } from '../chat/verify-cache.ts';
import type { ModelManager } from './model-manager.ts';

export class ImportVerifier {
  private readonly jobs = new Map<string, AbortController>();
  private readonly listeners = new Set<(r: VerifyResult) => void>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly chat: ChatService,
    private readonly models: Pick<ModelManager, 'settled'>,
    private readonly log: (msg: string) => void,
  ) {}

  /** Queues a verification of the conversation's imported cache; resolves when it ran (or was cancelled). */
  queue(conversationId: string): Promise<VerifyResult | null> {
    if (this.jobs.has(conversationId)) return Promise.resolve(null);
    const abort = new AbortController();
    this.jobs.set(conversationId, abort);
    const run = this.tail.then(async () => {
      try {
        if (abort.signal.aborted) return null;
        await this.models.settled(); // a model still loading is waited for, not failed
        if (!this.chat.engine) {
          this.log(`verify: no model loaded; the imported cache of ${conversationId} stays unverified`);
          return null;
        }
        const r = await this.chat.verifyImportedCache(conversationId, abort.signal);
        for (const l of this.listeners) l(r);
        return r;
      } catch (err) {
        if (!abort.signal.aborted) this.log(`verify: ${conversationId}: ${(err as Error).message}`);
        return null;
      } finally {
        if (this.jobs.get(conversationId) === abort) this.jobs.delete(conversationId);
      }
    });
    this.tail = run.then(() => undefined);
    return run;
  }

  /** Cancels the conversation's job, queued or running. */
  cancel(conversationId: string): void {
    this.jobs.get(conversationId)?.abort();
  }

  onVerified(listener: (r: VerifyResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Cancels every job and waits for the running one to let go of the engine. */
  async close(): Promise<void> {
    for (const a of this.jobs.values()) a.abort();
    await this.tail;
  }
}
