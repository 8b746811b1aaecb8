// POST /v1/responses (stateful: `previous_response_id` continues a stored chain, whose exact token log
// and KV blocks are stored, so a follow-up restores instead of re-reading, also after a restart), and
// GET / DELETE /v1/responses/{id}. `store: false` keeps nothing retrievable (the prompt cache still works).
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ChatMessage } from '../engine/index.ts';
import type { CompletionResult } from '../chat/completion.ts';
import { ApiError } from './errors.ts';
import { type ResponseBody, responseSchema } from './schemas.ts';
import { ApiRunner, releasing, textOf } from './runner.ts';
import { abortOnClose, logRequest } from './usage.ts';
import { body } from './validate.ts';

/** What a stored response keeps besides the object returned: the conversation through it. */
interface StoredResponse {
  response: ResponseObject;
  /** Input and output messages of the whole chain, without instructions (they are not carried over). */
  messages: ChatMessage[];
}

type ResponseObject = ReturnType<typeof responseObject>;

function inputMessages(b: ResponseBody): ChatMessage[] {
  if (typeof b.input === 'string') return [{ role: 'user', content: b.input }];
  return b.input.map((m, i) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: textOf(m.content, `input[${i}].content`),
  }));
}

function responseObject(
  b: ResponseBody,
  id: string,
  createdAt: number,
  r: CompletionResult | null,
  messageId: string,
  stored: boolean,
) {
  const incomplete = r !== null && (r.stopReason === 'maxTokens' || r.stopReason === 'contextFull');
  return {
    id,
    object: 'response' as const,
    created_at: createdAt,
    status: r === null ? ('in_progress' as const) : incomplete ? ('incomplete' as const) : ('completed' as const),
    incomplete_details: incomplete ? { reason: 'max_output_tokens' as const } : null,
    error: null,
    model: b.model,
    instructions: b.instructions ?? null,
    previous_response_id: b.previous_response_id ?? null,
    store: stored,
    temperature: b.temperature ?? null,
    top_p: b.top_p ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    parallel_tool_calls: false,
    tool_choice: 'none' as const,
    tools: [],
    text: { format: { type: 'text' as const } },
    output:
      r === null
        ? []
        : [
            {
              type: 'message' as const,
              id: messageId,
              status: 'completed' as const,
              role: 'assistant' as const,
              content: [{ type: 'output_text' as const, text: r.text, annotations: [] }],
            },
          ],
    usage:
      r === null
        ? null
        : {
            input_tokens: r.promptTokens,
            input_tokens_details: { cached_tokens: r.cachedTokens },
            output_tokens: r.completionTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: r.promptTokens + r.completionTokens,
          },
  };
}

export function responseRoutes(app: Hono, runner: ApiRunner): void {
  const entries = () => runner.backend.chat.store.apiEntries;
  const stored = (
    id: string,
  ): { entry: NonNullable<ReturnType<ReturnType<typeof entries>['get']>>; data: StoredResponse } => {
    const entry = entries().get(id);
    if (!entry || entry.kind !== 'response' || !entry.body)
      throw new ApiError(
        404,
        `No response with id '${id}' is stored.`,
        'invalid_request_error',
        'response_id',
        'not_found',
      );
    return { entry, data: JSON.parse(entry.body) as StoredResponse };
  };

  app.get('/v1/responses/:id', (c) => c.json(stored(c.req.param('id')).data.response));

  app.delete('/v1/responses/:id', (c) => {
    const id = c.req.param('id');
    stored(id);
    entries().delete(id);
    return c.json({ id, object: 'response', deleted: true });
  });

  app.post('/v1/responses', body(responseSchema), async (c) => {
    const b = c.req.valid('json');
    return runner.admitted(async (admission) => {
      const engine = await runner.engineFor(b.model);
      let history: ChatMessage[] = [];
      let previousLog: number[] = [];
      if (b.previous_response_id) {
        const prev = stored(b.previous_response_id);
        history = prev.data.messages;
        previousLog = prev.entry.tokenLog ?? [];
      }
      const input = inputMessages(b);
      const system: ChatMessage[] = b.instructions ? [{ role: 'system', content: b.instructions }] : [];
      // the chain's exact token log is extended, as a chat turn extends its conversation's (invariant 1)
      const log = await runner.chatLog(engine, [...system, ...history, ...input], previousLog);
      const keep = b.store !== false;
      const id = `resp_${randomUUID().replaceAll('-', '')}`;
      const messageId = `msg_${randomUUID().replaceAll('-', '')}`;
      const createdAt = Math.floor(Date.now() / 1000);
      const run = (signal: AbortSignal, onText?: (t: string) => void) =>
        runner.run({
          endpoint: '/v1/responses',
          log,
          temperature: b.temperature,
          topP: b.top_p,
          maxTokens: b.max_output_tokens,
          signal,
          onText,
          entry: keep ? { id, kind: 'response', previousId: b.previous_response_id ?? null } : undefined,
          admission,
        });
      const finish = (r: CompletionResult) => {
        const response = responseObject(b, id, createdAt, r, messageId, keep);
        if (keep) {
          const data: StoredResponse = {
            response,
            messages: [...history, ...input, { role: 'assistant', content: r.text }],
          };
          entries().put({
            id,
            kind: 'response',
            previousId: b.previous_response_id ?? null,
            model: engine.info.name,
            tokenLog: r.fullLog,
            body: JSON.stringify(data),
          });
        }
        logRequest(runner.log, '/v1/responses', r);
        return response;
      };

      if (!b.stream) return c.json(finish(await run(c.req.raw.signal)));

      return streamSSE(
        c,
        releasing(admission, async (stream) => {
          const signal = abortOnClose(stream, c.req.raw.signal);
          let seq = 0;
          const event = (type: string, data: object) =>
            stream.writeSSE({ event: type, data: JSON.stringify({ type, sequence_number: seq++, ...data }) });
          const pending = responseObject(b, id, createdAt, null, messageId, keep);
          await event('response.created', { response: pending });
          await event('response.in_progress', { response: pending });
          const item = { type: 'message', id: messageId, status: 'in_progress', role: 'assistant', content: [] };
          await event('response.output_item.added', { output_index: 0, item });
          const part = { type: 'output_text', text: '', annotations: [] };
          await event('response.content_part.added', { item_id: messageId, output_index: 0, content_index: 0, part });
          let writes = Promise.resolve();
          const r = await run(signal, (delta) => {
            writes = writes.then(() =>
              event('response.output_text.delta', {
                item_id: messageId,
                output_index: 0,
                content_index: 0,
                delta,
                logprobs: [],
              }),
            );
          });
          await writes;
          const response = finish(r);
          const text = { item_id: messageId, output_index: 0, content_index: 0 };
          await event('response.output_text.done', { ...text, text: r.text, logprobs: [] });
          await event('response.content_part.done', { ...text, part: { ...part, text: r.text } });
          await event('response.output_item.done', { output_index: 0, item: response.output[0] });
          await event(response.status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
        }),
        runner.onStreamError('/v1/responses'),
      );
    });
  });
}
