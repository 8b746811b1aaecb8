// Stop conditions. StopReason is a closed union (lmstudio-js style); 'contextFull' is ours.
export type { StopReason } from '../../shared/vocabulary.ts';

/**
 * Finds stop strings in streamed text and holds back any tail that could still become one, so the caller
 * never streams part of a stop string.
 */
export class StopStringMatcher {
  private pending = '';
  private readonly maxLen: number;

  constructor(private readonly stops: readonly string[]) {
    this.maxLen = stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  /** Returns text safe to emit, and whether a stop string was hit (text after it is dropped). */
  push(delta: string): { emit: string; stopped: boolean } {
    if (this.maxLen === 0) return { emit: delta, stopped: false };
    this.pending += delta;
    let hit = -1;
    for (const s of this.stops) {
      const i = this.pending.indexOf(s);
      if (i >= 0 && (hit < 0 || i < hit)) hit = i;
    }
    if (hit >= 0) {
      const emit = this.pending.slice(0, hit);
      this.pending = '';
      return { emit, stopped: true };
    }
    // Hold back the longest suffix that is a prefix of some stop string.
    let hold = 0;
    for (let k = Math.min(this.maxLen - 1, this.pending.length); k > 0 && hold === 0; k--) {
      const tail = this.pending.slice(-k);
      if (this.stops.some((s) => s.startsWith(tail))) hold = k;
    }
    const emit = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { emit, stopped: false };
  }

  /** At the end of generation, held-back text was not a stop string after all. */
  flush(): string {
    const p = this.pending;
    this.pending = '';
    return p;
  }
}
