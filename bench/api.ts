/**
 * The local API's prompt cache across a restart, through the real server and the official `openai` client
 * on bench-100m: a ~1,500-token system prompt + a ~20-token user message, first ever (cold), then a new
 * user message after the server and backend restart. Also the server's own time per streamed request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { openBackend, type Backend } from '../src/main/app/backend.ts';
import { LocalApiController } from '../src/main/local-api/controller.ts';
import { BENCH_FIXTURE, ensureFixture } from '../tools/fixtures/build.ts';
import { median } from './stats.ts';

const KEY = 'bench-key-0123456789';
const SENTENCE = 'The archive keeps every letter that the old harbour office ever received, sorted by ship and date. ';

interface Served {
  backend: Backend;
  api: LocalApiController;
  client: OpenAI;
  model: string;
  close(): Promise<void>;
}

async function serve(dataDir: string, modelDir: string): Promise<Served> {
  const backend = openBackend({ dataDir, defaultModelDir: modelDir, log: () => {} });
  await backend.firstLoad;
  const api = new LocalApiController(backend, { force: { port: 0 }, key: KEY });
  await api.apply();
  const url = api.status().url;
  if (!url) throw new Error(`the API did not start: ${api.status().error?.title}`);
  const client = new OpenAI({ baseURL: url, apiKey: KEY, maxRetries: 0 });
  const model = (await client.models.list()).data[0]!.id;
  return {
    backend,
    api,
    client,
    model,
    close: async () => {
      await api.close();
      await backend.close();
    },
  };
}

interface Timed {
  ttftMs: number;
  promptTokens: number;
  cachedTokens: number;
  /** The server's own account: template + tokenize, and restore + prefill + first token in the engine. */
  renderMs: number;
  engineTtftMs: number;
}

async function streamed(s: Served, system: string, user: string, maxTokens = 8): Promise<Timed> {
  const t0 = performance.now();
  const stream = await s.client.chat.completions.create({
    model: s.model,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    max_tokens: maxTokens,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let first = 0;
  let usage: (OpenAI.CompletionUsage & { x?: unknown }) | undefined;
  let x: { render_ms: number; ttft_ms: number } | undefined;
  for await (const chunk of stream) {
    if (!first && chunk.choices[0]?.delta.content) first = performance.now();
    if (chunk.usage) {
      usage = chunk.usage;
      x = (chunk as unknown as { x_reprise: { render_ms: number; ttft_ms: number } }).x_reprise;
    }
  }
  if (!usage || !x) throw new Error('no usage chunk');
  return {
    ttftMs: (first || performance.now()) - t0,
    promptTokens: usage.prompt_tokens,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    renderMs: x.render_ms,
    engineTtftMs: x.ttft_ms,
  };
}

export async function benchApi(o: { quick: boolean; log: (s: string) => void }) {
  const modelDir = ensureFixture(BENCH_FIXTURE, false, o.log);
  const rounds = o.quick ? 2 : 5;
  const cold: number[] = [];
  const restart: number[] = [];
  const ratios: number[] = [];
  const fractions: number[] = [];
  const overhead: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'reprise-bench-api-'));
    try {
      let s = await serve(dataDir, modelDir);
      // a system prompt of ~1,500 tokens, different in every round (nothing of it is cached yet)
      let system = `Round ${round}. `;
      while ((await s.backend.chat.engine!.tokenize(system)).length < 1500) system += SENTENCE;
      const a = await streamed(s, system, 'Which ship brought the most letters in the winter of that year?');
      await s.close();
      s = await serve(dataDir, modelDir);
      const b = await streamed(s, system, 'And which letter arrived last, and who was it addressed to?');
      // the server's own time per streamed request, with the engine's and the template's taken out
      for (let i = 0; i < (o.quick ? 5 : 15); i++) {
        const t = await streamed(s, system, `Question number ${i}: how many letters came from the north?`, 2);
        overhead.push(t.ttftMs - t.engineTtftMs - t.renderMs);
      }
      await s.close();
      cold.push(a.ttftMs);
      restart.push(b.ttftMs);
      ratios.push(b.ttftMs / a.ttftMs);
      fractions.push(b.cachedTokens / b.promptTokens);
      o.log(
        `round ${round}: prompt ${a.promptTokens} tokens, cold TTFT ${a.ttftMs.toFixed(0)} ms; after a restart ` +
          `${b.ttftMs.toFixed(0)} ms with ${b.cachedTokens}/${b.promptTokens} cached (ratio ${(b.ttftMs / a.ttftMs).toFixed(3)})`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    'api.cold_ttft_ms': r2(median(cold)),
    'api.restart_ttft_ms': r2(median(restart)),
    'api.ratio': Math.round(median(ratios) * 1000) / 1000,
    'api.cached_tokens_fraction': Math.round(median(fractions) * 1000) / 1000,
    'api.overhead_ms': r2(median(overhead)),
  };
}
