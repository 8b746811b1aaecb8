// Logits processors, each a small pure function over a candidate set (transformers.js-style pieces).

/** Candidates: token ids and their logits/probabilities, `n` valid entries. Reused between steps. */
export class Candidates {
  ids: Int32Array;
  vals: Float32Array;
  n = 0;
  constructor(capacity: number) {
    this.ids = new Int32Array(capacity);
    this.vals = new Float32Array(capacity);
  }
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/**
 * transformers' RepetitionPenaltyLogitsProcessor (divide positive logits, multiply negative ones), applied in
 * place to each distinct id of the window and undone by `restore`: per step it touches only those ids, with
 * no vocabulary-sized copy and no Set.
 */
export class RepetitionPenalty {
  private mark = new Uint8Array(0);
  private ids = new Int32Array(0);
  private saved = new Float32Array(0);
  private n = 0;

  apply(logits: Float32Array, history: readonly number[], penalty: number, window = 0): void {
    const V = logits.length;
    if (this.mark.length !== V) {
      this.mark = new Uint8Array(V);
      this.ids = new Int32Array(V);
      this.saved = new Float32Array(V);
    }
    this.n = 0;
    for (let i = window > 0 ? Math.max(0, history.length - window) : 0; i < history.length; i++) {
      const id = history[i]!;
      if (id < 0 || id >= V || this.mark[id]) continue;
      this.mark[id] = 1;
      const v = logits[id]!;
      this.ids[this.n] = id;
      this.saved[this.n++] = v;
      logits[id] = v > 0 ? v / penalty : v * penalty;
    }
  }

  restore(logits: Float32Array): void {
    for (let k = 0; k < this.n; k++) {
      const id = this.ids[k]!;
      logits[id] = this.saved[k]!;
      this.mark[id] = 0;
    }
    this.n = 0;
  }
}

/** Fill candidates with the k largest logits (all when k <= 0 or k >= V), sorted descending. */
export function topK(logits: Float32Array, k: number, out: Candidates): void {
  const V = logits.length;
  if (k <= 0 || k >= V) {
    for (let i = 0; i < V; i++) {
      out.ids[i] = i;
      out.vals[i] = logits[i]!;
    }
    out.n = V;
  } else {
    // Keep a sorted buffer of size k (insertion); k is small in practice (20–100).
    let n = 0;
    for (let i = 0; i < V; i++) {
      const v = logits[i]!;
      if (n === k && v <= out.vals[n - 1]!) continue;
      let j = n < k ? n++ : n - 1;
      while (j > 0 && out.vals[j - 1]! < v) {
        out.vals[j] = out.vals[j - 1]!;
        out.ids[j] = out.ids[j - 1]!;
        j--;
      }
      out.vals[j] = v;
      out.ids[j] = i;
    }
    out.n = n;
    return;
  }
  sortDescending(out);
}

function sortDescending(c: Candidates): void {
  const order = Array.from({ length: c.n }, (_, i) => i).sort((a, b) => c.vals[b]! - c.vals[a]!);
  const ids = order.map((i) => c.ids[i]!);
  const vals = order.map((i) => c.vals[i]!);
  c.ids.set(ids);
  c.vals.set(vals);
}

/** Logits (sorted descending) / temperature -> probabilities in place. */
export function softmax(c: Candidates, temperature: number): void {
  const t = temperature > 0 ? temperature : 1;
  const max = c.vals[0]!;
  let sum = 0;
  for (let i = 0; i < c.n; i++) {
    const e = Math.exp((c.vals[i]! - max) / t);
    c.vals[i] = e;
    sum += e;
  }
  for (let i = 0; i < c.n; i++) c.vals[i] = c.vals[i]! / sum;
}

/** Keep the smallest prefix whose probability mass reaches p (probabilities sorted descending). */
export function topP(c: Candidates, p: number): void {
  if (p >= 1) return;
  let cum = 0;
  for (let i = 0; i < c.n; i++) {
    cum += c.vals[i]!;
    if (cum >= p) {
      c.n = i + 1;
      return;
    }
  }
}

/** Drop tokens whose probability is below minP * p(top token). */
export function minP(c: Candidates, m: number): void {
  if (m <= 0) return;
  const cut = c.vals[0]! * m;
  let n = 1;
  while (n < c.n && c.vals[n]! >= cut) n++;
  c.n = n;
}

/** Draw from the (unnormalised) probabilities of the first n candidates. */
export function draw(c: Candidates, u: number): number {
  let total = 0;
  for (let i = 0; i < c.n; i++) total += c.vals[i]!;
  let r = u * total;
  for (let i = 0; i < c.n; i++) {
    r -= c.vals[i]!;
    if (r < 0) return c.ids[i]!;
  }
  return c.ids[c.n - 1]!;
}
