// POST /v1/completions: a raw prompt, no chat template (legacy clients and code completion).
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { xReprise } from './chat-completions.ts';
import { invalidRequest } from './errors.ts';
import { completionSchema } from './schemas.ts';
import { ApiRunner, FINISH, refuseUnsupported, releasing, stopList } from './runner.ts';
import { abortOnClose, logRequest, usageOf } from './usage.ts';
import { body } from './validate.ts';

export function completionRoutes(app: Hono, runner: ApiRunner): void {
  app.post('/v1/completions', body(completionSchema), async (c) => {
    const b = c.req.valid('json');
    refuseUnsupported(b);
    if (b.echo) throw invalidRequest('echo is not supported.', 'echo');
    return runner.admitted(async (admission) => {
      const engine = await runner.engineFor(b.model);
      const prompt = typeof b.prompt === 'string' ? b.prompt : b.prompt[0]!;
      const log = await engine.tokenize(prompt, { special: true });
      if (log.length === 0) throw invalidRequest('The prompt is empty.', 'prompt');
      const base = {
        id: `cmpl-${randomUUID()}`,
        object: 'text_completion',
        created: Math.floor(Date.now() / 1000),
        model: b.model,
      };
      const request = (signal: AbortSignal, onText?: (t: string) => void) =>
        runner.run({
          endpoint: '/v1/completions',
          log,
          temperature: b.temperature,
          topP: b.top_p,
          seed: b.seed,
          maxTokens: b.max_tokens ?? 16, // OpenAI's default for this endpoint
          stop: stopList(b.stop),
          signal,
          onText,
          admission,
        });
      if (!b.stream) {
        const r = await request(c.req.raw.signal);
        logRequest(runner.log, '/v1/completions', r);
        return c.json({
          ...base,
          choices: [{ index: 0, text: r.text, finish_reason: FINISH[r.stopReason], logprobs: null }],
          usage: usageOf(r),
          x_reprise: xReprise(r),
        });
      }
      return streamSSE(
        c,
        releasing(admission, async (stream) => {
          const signal = abortOnClose(stream, c.req.raw.signal);
          const chunk = (text: string, finish: string | null) =>
            stream.writeSSE({
              data: JSON.stringify({ ...base, choices: [{ index: 0, text, finish_reason: finish, logprobs: null }] }),
            });
          let writes = Promise.resolve();
          const r = await request(signal, (t) => {
            writes = writes.then(() => chunk(t, null));
          });
          await writes;
          logRequest(runner.log, '/v1/completions', r);
          await chunk('', FINISH[r.stopReason]!);
          if (b.stream_options?.include_usage)
            await stream.writeSSE({ data: JSON.stringify({ ...base, choices: [], usage: usageOf(r) }) });
          await stream.writeSSE({ data: '[DONE]' });
        }),
        runner.onStreamError('/v1/completions'),
      );
    });
  });
}
