// Which variant suits this machine, and why. Decode is memory-bound, so on CPU the fewest bytes of
// weights per token win (4-bit, then 8-bit); on CUDA float16 is native. A variant that would not fit in
// memory is passed over for the next smaller one.
import { totalmem } from 'node:os';
import type { Variant } from './variants.ts';

export type Machine = { provider: 'cpu' | 'cuda'; memoryBytes: number };

export function thisMachine(provider: 'cpu' | 'cuda' = 'cpu'): Machine {
  return { provider, memoryBytes: totalmem() };
}

const ORDER: Record<Machine['provider'], string[]> = {
  cpu: ['q4', 'int8', 'quantized', 'uint8', 'fp32', 'q4f16', 'bnb4', 'fp16'],
  cuda: ['fp16', 'q4f16', 'fp32', 'q4', 'int8', 'quantized', 'uint8', 'bnb4'],
};

const EIGHT_BIT = '8-bit weights decode fast on a CPU with little quality loss';
const WHY: Record<Machine['provider'], Record<string, string>> = {
  cpu: {
    q4: '4-bit weights read the least memory per generated token, which is what limits decoding speed on a CPU',
    int8: EIGHT_BIT,
    quantized: EIGHT_BIT,
    uint8: EIGHT_BIT,
    fp32: 'no 4- or 8-bit variant is offered; full-precision weights are the next best on a CPU',
    q4f16: '4-bit weights, though their float16 activations run slower on a CPU than q4',
    bnb4: '4-bit weights',
    fp16: 'the only variant offered; a CPU converts float16 weights as it goes, which is slow',
  },
  cuda: {
    fp16: 'float16 is native on CUDA GPUs: full quality at half the size of fp32',
    q4f16: '4-bit weights with float16 activations: the smallest variant that runs natively on a GPU',
    fp32: 'full precision runs on a GPU, at twice the memory of fp16',
  },
};

/** Weights plus working memory should stay under this share of RAM. */
const MEMORY_SHARE = 0.6;

export interface Recommendation {
  variant: Variant;
  reason: string;
}

export function recommendVariant(variants: readonly Variant[], m: Machine): Recommendation | null {
  if (variants.length === 0) return null;
  const order = ORDER[m.provider];
  const ranked = [...variants].sort((a, b) => rank(order, a.name) - rank(order, b.name));
  const budget = m.memoryBytes * MEMORY_SHARE;
  const fits = ranked.find((v) => v.downloadBytes <= budget);
  const gib = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (fits) {
    const skipped = ranked[0] !== fits ? ` (${ranked[0]!.name} would need more than ${gib(budget)} of memory)` : '';
    const why =
      WHY[m.provider][fits.name] ?? `the best match among the variants offered for ${m.provider.toUpperCase()}`;
    return { variant: fits, reason: `${why}${skipped}` };
  }
  const smallest = [...variants].sort((a, b) => a.downloadBytes - b.downloadBytes)[0]!;
  return {
    variant: smallest,
    reason: `the smallest variant; even it needs ${gib(smallest.downloadBytes)} against ${gib(m.memoryBytes)} of memory here, so it may not run well`,
  };
}

function rank(order: string[], name: string): number {
  const i = order.indexOf(name);
  return i < 0 ? order.length : i;
}
