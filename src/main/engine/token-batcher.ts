// Coalesces a generation's token events into few worker -> main messages. Every message wakes the main
// thread, which on a small machine takes a core from the ORT threads mid-step; a fast model would do that
// hundreds of times a second for text nobody can read that fast. No timer: a held event goes out with the
// next token (at most one decode step later) or with the final flush.
import type { TokenEvent } from './generation.ts';

/** About one 60 Hz frame: a faster cadence is invisible in a chat UI. */
export const TOKEN_FLUSH_MS = 16;

export class TokenBatcher {
  private events: TokenEvent[] = [];
  private last = -Infinity; // the first token goes out at once (time to first token is what users feel)

  constructor(
    private readonly send: (events: TokenEvent[]) => void,
    private readonly intervalMs = TOKEN_FLUSH_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(e: TokenEvent): void {
    this.events.push(e);
    const t = this.now();
    if (t - this.last >= this.intervalMs) this.flushAt(t);
  }

  /** Send what is held (end of generation, error, cancel): the result must never overtake its tokens. */
  flush(): void {
    this.flushAt(this.now());
  }

  private flushAt(t: number): void {
    if (this.events.length === 0) return;
    const batch = this.events;
    this.events = [];
    this.last = t;
    this.send(batch);
  }
}
