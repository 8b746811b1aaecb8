// POST /v1/chat/completions: messages rendered with the model's own chat template; streamed as
// `chat.completion.chunk` SSE lines ending in `data: [DONE]`, or answered whole.
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ChatMessage } from '../engine/index.ts';
import type { CompletionResult } from '../chat/completion.ts';
import { type ChatCompletionBody, chatCompletionSchema } from './schemas.ts';
import { ApiRunner, FINISH, refuseUnsupported, releasing, stopList, textOf } from './runner.ts';
import { body } from './validate.ts';
import { usageOf, logRequest, abortOnClose } from './usage.ts';

function messagesOf(b: ChatCompletionBody): ChatMessage[] {
  return b.messages.map((m, i) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: textOf(m.content, `messages[${i}].content`),
  }));
}

export function chatCompletionRoutes(app: Hono, runner: ApiRunner): void {
  app.post('/v1/chat/completions', body(chatCompletionSchema), async (c) => {
    const b = c.req.valid('json');
    refuseUnsupported(b);
    return runner.admitted(async (admission) => {
      const engine = await runner.engineFor(b.model);
      const tR = performance.now();
      const log = await runner.chatLog(engine, messagesOf(b));
      const renderMs = performance.now() - tR;
      const id = `chatcmpl-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      const base = { id, created, model: b.model };
      const request = (signal: AbortSignal, onText?: (t: string) => void) =>
        runner.run({
          endpoint: '/v1/chat/completions',
          log,
          temperature: b.temperature,
          topP: b.top_p,
          seed: b.seed,
          maxTokens: b.max_completion_tokens ?? b.max_tokens,
          stop: stopList(b.stop),
          signal,
          onText,
          admission,
        });
      const done = (r: CompletionResult) => logRequest(runner.log, '/v1/chat/completions', r);

      if (!b.stream) {
        const r = await request(c.req.raw.signal);
        done(r);
        return c.json(
          {
            ...base,
            object: 'chat.completion',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: r.text, refusal: null },
                finish_reason: FINISH[r.stopReason],
                logprobs: null,
              },
            ],
            usage: usageOf(r),
            x_reprise: xReprise(r, renderMs),
          },
          200,
          { 'x-reprise-cached-tokens': String(r.cachedTokens) },
        );
      }

      return streamSSE(
        c,
        releasing(admission, async (stream) => {
          const signal = abortOnClose(stream, c.req.raw.signal);
          const chunk = (delta: object, finish: string | null, extra: object = {}) =>
            stream.writeSSE({
              data: JSON.stringify({
                ...base,
                object: 'chat.completion.chunk',
                choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
                ...extra,
              }),
            });
          await chunk({ role: 'assistant', content: '' }, null);
          let writes = Promise.resolve();
          const r = await request(signal, (text) => {
            writes = writes.then(() => chunk({ content: text }, null));
          });
          await writes;
          done(r);
          await chunk({}, FINISH[r.stopReason]!);
          if (b.stream_options?.include_usage)
            await stream.writeSSE({
              data: JSON.stringify({
                ...base,
                object: 'chat.completion.chunk',
                choices: [],
                usage: usageOf(r),
                x_reprise: xReprise(r, renderMs),
              }),
            });
          await stream.writeSSE({ data: '[DONE]' });
        }),
        runner.onStreamError('/v1/chat/completions'),
      );
    });
  });
}

/** Reprise's own account of a request (non-standard; clients ignore it): where the prompt came from, and times. */
export const xReprise = (r: CompletionResult, renderMs?: number) => ({
  cache_source: r.source,
  ...(renderMs === undefined ? {} : { render_ms: Math.round(renderMs * 100) / 100 }),
  restore_ms: Math.round(r.restoreMs * 100) / 100,
  prefill_ms: Math.round(r.prefillMs * 100) / 100,
  ttft_ms: Math.round(r.ttftMs * 100) / 100,
});
