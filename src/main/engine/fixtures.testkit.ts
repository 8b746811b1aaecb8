// Test helper: paths of the fixture models, built on demand (npm run test:unit builds them first anyway).
import { join } from 'node:path';
import { ensureFixture, FIXTURES, FIXTURES_DIR } from '../../../tools/fixtures/build.ts';

export type FixtureName = 'tiny-llama' | 'tiny-llama-fp16kv' | 'tiny-llama-nopos' | 'tiny-llama-extdata';

export function fixture(name: FixtureName): string {
  const spec = FIXTURES.find((f) => f.name === name);
  if (!spec) throw new Error(`unknown fixture ${name}`);
  ensureFixture(spec, false, () => {});
  return join(FIXTURES_DIR, name);
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A ChatML prompt as ids, long enough to cross prefill chunk boundaries. */
export const PROMPT =
  '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nTell me a story about a cat who learns to read, in the morning.<|im_end|>\n<|im_start|>assistant\n';
