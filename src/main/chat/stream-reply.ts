// Streaming a reply to the turn's listener: each text fragment, preceded by the live "Writing… N tokens"
// progress (sent with the text, so it costs no extra wake-ups), and when the first token came.
import type { GenerationResult, Generator, SamplingOptions } from '../engine/index.ts';
import type { ChatEvent } from './types.ts';

export async function streamReply(
  gen: Generator,
  o: { sampling: SamplingOptions; maxTokens: number; signal?: AbortSignal },
  emit: (e: ChatEvent) => void,
): Promise<{ result: GenerationResult; firstTokenAt: number }> {
  let firstTokenAt = 0;
  let written = 0;
  const result = await gen.generate({
    ...o,
    onFragment: (f) => {
      if (f.tokenId !== null) {
        if (!firstTokenAt) firstTokenAt = performance.now();
        written++;
      }
      if (f.text) {
        emit({ type: 'progress', phase: 'generate', done: written, total: o.maxTokens });
        emit({ type: 'fragment', text: f.text });
      }
    },
  });
  return { result, firstTokenAt };
}
