// Cache budget: evict least-recently-used blocks until the store fits. Within one LRU timestamp the
// later blocks of a chain go first (a chain is only usable up to its first gap), as vLLM does.
export interface EvictableIndex {
  usedBytes(): number;
  /** Oldest-first candidates: ORDER BY last_used ASC, start DESC. */
  lruCandidates(limit: number): Array<{ hash: string; storedBytes: number }>;
  /** Removes the blocks and every reference to them, atomically. */
  evict(hashes: string[]): void;
}

export function budgetBytes(mb: number): number {
  return Math.max(0, Math.floor(mb * 1024 * 1024));
}

/** Returns bytes freed. */
export function enforceBudget(index: EvictableIndex, budget: number): number {
  let used = index.usedBytes();
  let freed = 0;
  while (used > budget) {
    const batch = index.lruCandidates(64);
    if (batch.length === 0) break;
    const victims: string[] = [];
    for (const c of batch) {
      if (used <= budget) break;
      victims.push(c.hash);
      used -= c.storedBytes;
      freed += c.storedBytes;
    }
    index.evict(victims);
  }
  return freed;
}
