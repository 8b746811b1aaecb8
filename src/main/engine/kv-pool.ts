// Past K/V arrays of dropped sequences, kept for the next one (one per worker: module state of the engine
// worker). A fresh 50 MB array costs ~25 ms of page faults when first written (a 2k-token restore of
// bench-100m into a new generator took 22-58 ms, into reused arrays 11-20 ms); chats switch by dropping one
// generator and restoring into a new one. Arrays come back zeroed, as fresh ones would: a pooled array must
// carry nothing from the sequence that held it before.
import type { KvArray, KvLayout } from '../tensor/kv-types.ts';

/** Pooled bytes at most: about one 4k-token history of a 100M-parameter fp32-KV model. */
const MAX_BYTES = 128 * 2 ** 20;

const free: KvArray[] = [];
let pooledBytes = 0;

/**
 * An array for `tokens` tokens of one layer's K or V, at least that long: zeroed, or with `zero` false as
 * the sequence before left it, for a caller that overwrites or zeroes all of it (a load from files).
 */
export function takeKv(layout: KvLayout, tokens: number, zero = true): KvArray {
  const len = layout.numKvHeads * tokens * layout.headDim;
  const Arr = layout.dtype === 'float16' ? Uint16Array : Float32Array;
  if (len === 0) return new Arr(0); // an empty sequence takes nothing it may never use
  // the smallest pooled array that fits: a larger one would be wasted on this sequence
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const a = free[i]!;
    if (a instanceof Arr && a.length >= len && (best < 0 || a.length < free[best]!.length)) best = i;
  }
  if (best < 0) return new Arr(len);
  const [a] = free.splice(best, 1);
  pooledBytes -= a!.byteLength;
  if (free.length) emptyWhenIdle();
  return zero ? a!.fill(0) : a!;
}

/**
 * Arrays no sequence uses any more. The oldest go first when the pool is full, and all of them once none
 * has been given or taken for `idleMs`: switching chats reuses them at once, but an app left open should
 * not hold up to 128 MB for a restore that may never come.
 */
export function giveKv(arrays: readonly KvArray[]): void {
  for (const a of arrays) {
    if (a.byteLength === 0 || a.byteLength > MAX_BYTES) continue; // an empty sequence's arrays: nothing to keep
    free.push(a);
    pooledBytes += a.byteLength;
  }
  while (pooledBytes > MAX_BYTES) pooledBytes -= free.shift()!.byteLength;
  if (free.length) emptyWhenIdle();
}

let idleMs = 60_000;
let idleTimer: ReturnType<typeof setTimeout> | null = null;

function emptyWhenIdle(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    free.length = 0;
    pooledBytes = 0;
    idleTimer = null;
  }, idleMs);
  idleTimer.unref(); // never keeps the worker alive
}

/** How long the pool keeps arrays nobody takes (tests shorten it). */
export function setKvPoolIdleMs(ms: number): void {
  idleMs = ms;
}

/** What the pool holds (tests). */
export function pooledKv(): { arrays: number; bytes: number } {
  return { arrays: free.length, bytes: pooledBytes };
}
