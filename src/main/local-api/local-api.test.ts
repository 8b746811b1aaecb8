// The local API, driven by the official `openai` client against the real server, a real engine on a
// fixture model and a real SQLite store.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import OpenAI from 'openai';
import { FIXTURE_MODEL } from '../app/backend.testkit.ts';
import { openBackend, type Backend } from '../app/backend.ts';
import { RequestLog } from './request-log.ts';
import { ApiRunner } from './runner.ts';
import { type LocalApiServer, startLocalApi } from './server.ts';

const KEY = 'test-key-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'reprise-api-'));
const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dataDir, { recursive: true, force: true })];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Running {
  backend: Backend;
  server: LocalApiServer;
  client: OpenAI;
  runner: ApiRunner;
  stop(): Promise<void>;
}

async function start(o: { maxQueue?: number } = {}): Promise<Running> {
  const backend = openBackend({ dataDir, defaultModelDir: FIXTURE_MODEL, log: () => {} });
  await backend.firstLoad;
  const runner = new ApiRunner(backend, new RequestLog(), o.maxQueue);
  const server = await startLocalApi({ runner, key: () => KEY, port: 0 });
  const client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
    await backend.close();
  };
  cleanups.push(stop);
  return { backend, server, client, runner, stop };
}

const SYSTEM = 'You are a helpful assistant. '.repeat(40).trim();
/** A prompt no other test sends, so nothing of it is cached before its first request. */
const OTHER_SYSTEM = 'You answer in one short sentence. '.repeat(30).trim();
let model = '';

test('models, chat completions (whole and streamed, with usage) and completions', async () => {
  const r = await start();
  const models = await r.client.models.list();
  model = models.data[0]!.id;
  assert.equal(models.data.length, 1);
  assert.equal((await r.client.models.retrieve(model)).id, model);

  const messages = [
    { role: 'system' as const, content: SYSTEM },
    { role: 'user' as const, content: 'Hello there' },
  ];
  const whole = await r.client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
  assert.equal(whole.object, 'chat.completion');
  assert.equal(whole.choices[0]!.message.role, 'assistant');
  assert.ok(['stop', 'length'].includes(whole.choices[0]!.finish_reason));
  const u1 = whole.usage!;
  assert.equal(u1.prompt_tokens_details?.cached_tokens, 0, 'the first request reads everything');
  assert.ok(u1.completion_tokens > 0 && u1.completion_tokens <= 8);

  // the same system prompt again, streamed: its blocks come from the prompt cache
  const stream = await r.client.chat.completions.create({
    model,
    messages: [messages[0]!, { role: 'user', content: 'Another question' }],
    max_tokens: 8,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined;
  let finish: string | null = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(finish, 'a finish_reason arrives');
  assert.ok(usage, 'include_usage sends a usage chunk');
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  assert.ok(cached >= 64, `the shared system prompt is cached (${cached} of ${usage.prompt_tokens})`);
  assert.ok(cached < usage.prompt_tokens, 'the new user message is read');
  assert.equal(typeof text, 'string');

  const c = await r.client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 5, temperature: 0 });
  assert.equal(c.object, 'text_completion');
  assert.ok(c.usage!.completion_tokens > 0);

  // greedy replies are reproducible: the same request gives the same text
  const again = await r.client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
  assert.equal(again.choices[0]!.message.content, whole.choices[0]!.message.content);
  assert.ok((again.usage!.prompt_tokens_details?.cached_tokens ?? 0) > 0);
  await r.stop();
});

test('responses chain with previous_response_id across a server restart: the history is restored, not re-read', async () => {
  const a = await start();
  const first = await a.client.responses.create({
    model,
    instructions: OTHER_SYSTEM,
    input: 'My name is Alice.',
    max_output_tokens: 8,
    temperature: 0,
  });
  assert.equal(first.object, 'response');
  assert.ok(first.id.startsWith('resp_'));
  assert.equal(first.usage?.input_tokens_details.cached_tokens, 0);
  assert.deepEqual(await a.client.responses.retrieve(first.id).then((x) => x.id), first.id);
  await a.stop();

  const b = await start();
  const second = await b.client.responses.create({
    model,
    instructions: OTHER_SYSTEM,
    previous_response_id: first.id,
    input: 'What is my name?',
    max_output_tokens: 8,
    temperature: 0,
  });
  const history = first.usage!.input_tokens + first.usage!.output_tokens;
  const cached = second.usage!.input_tokens_details.cached_tokens;
  // the last block boundary and the re-closed reply may be re-read; everything before comes from the store
  assert.ok(cached >= history - 64, `cached ${cached} of a ${history}-token history`);
  assert.ok(second.usage!.input_tokens > history);
  assert.equal(second.previous_response_id, first.id);

  // streamed, with store: false: nothing is kept to retrieve
  const events: string[] = [];
  const stream = await b.client.responses.create({
    model,
    input: 'Hi',
    max_output_tokens: 4,
    store: false,
    stream: true,
  });
  let done: OpenAI.Responses.Response | null = null;
  for await (const e of stream) {
    events.push(e.type);
    if (e.type === 'response.completed' || e.type === 'response.incomplete') done = e.response;
  }
  assert.equal(events[0], 'response.created');
  assert.ok(events.includes('response.output_item.done'));
  assert.ok(done);
  await assert.rejects(b.client.responses.retrieve(done.id), (e: unknown) => e instanceof OpenAI.NotFoundError);

  const del = await fetch(`${b.server.url}/responses/${second.id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${KEY}` },
  });
  assert.equal(del.status, 200);
  await assert.rejects(b.client.responses.retrieve(second.id), (e: unknown) => e instanceof OpenAI.NotFoundError);
  await b.stop();
});

test('refusals: no key, a wrong key, malformed bodies, an unknown model, n > 1, a foreign Host header', async () => {
  const r = await start();
  const anon = new OpenAI({ baseURL: r.server.url, apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(anon.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError);
  const none = await fetch(`${r.server.url}/models`);
  assert.equal(none.status, 401);
  const body = (await none.json()) as { error: { message: string; type: string } };
  assert.match(body.error.message, /API key/);

  const post = (payload: unknown) =>
    fetch(`${r.server.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const badJson = await post('{"model": ');
  assert.equal(badJson.status, 400);
  const wrongType = await post({ model, messages: 'hi' });
  assert.equal(wrongType.status, 400);
  const e1 = (await wrongType.json()) as { error: { param: string; type: string } };
  assert.equal(e1.error.param, 'messages');
  assert.equal(e1.error.type, 'invalid_request_error');
  // unknown fields are ignored, as OpenAI does
  const extra = await post({ model, messages: [{ role: 'user', content: 'x' }], max_tokens: 1, foo: 1 });
  assert.equal(extra.status, 200);

  await assert.rejects(
    r.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    (e: unknown) => e instanceof OpenAI.NotFoundError && /not loaded/.test(e.message),
  );
  // a model installed in the library is listed after the loaded one; naming it says how to load it
  cpSync(join(FIXTURE_MODEL, '..', 'tiny-llama-fp16kv'), join(dataDir, 'models', 'tiny-fp16'), { recursive: true });
  assert.deepEqual(
    (await r.client.models.list()).data.map((m) => m.id),
    [model, 'tiny-fp16'],
  );
  await assert.rejects(
    r.client.chat.completions.create({ model: 'tiny-fp16', messages: [{ role: 'user', content: 'x' }] }),
    (e: unknown) => e instanceof OpenAI.NotFoundError && /installed but not loaded/.test(e.message),
  );
  await assert.rejects(
    r.client.chat.completions.create({ model, n: 2, messages: [{ role: 'user', content: 'x' }] }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'n',
  );
  await assert.rejects(
    r.client.chat.completions.create({ model, frequency_penalty: 0.5, messages: [{ role: 'user', content: 'x' }] }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'frequency_penalty',
  );
  const long = 'word '.repeat(5000);
  await assert.rejects(
    r.client.chat.completions.create({ model, messages: [{ role: 'user', content: long }] }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'context_length_exceeded',
  );

  // DNS rebinding: a request whose Host is not a loopback name is refused
  const port = r.server.port;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/models',
        headers: { host: `evil.example:${port}`, authorization: `Bearer ${KEY}` },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 403);

  // CORS: off by default (no header for any origin); on for the origins named, and only those
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/models`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET' },
    }).then((res) => res.headers.get('access-control-allow-origin'));
  assert.equal(await preflight(r.server.url, 'http://example.test'), null);
  const withCors = await startLocalApi({
    runner: r.runner,
    key: () => KEY,
    port: 0,
    corsOrigins: ['http://example.test'],
  });
  assert.equal(await preflight(withCors.url, 'http://example.test'), 'http://example.test');
  assert.equal(await preflight(withCors.url, 'http://evil.test'), null);
  await withCors.close();
  await r.stop();
});

test('the queue is bounded (429 past it); a client that leaves while queued is cancelled', async () => {
  const r = await start({ maxQueue: 2 });
  // greedy on the fixture, this prompt runs past 600 tokens without an EOS: it holds the engine a while
  const long = {
    model,
    messages: [{ role: 'user' as const, content: 'Write an essay' }],
    max_tokens: 2000,
    temperature: 0,
  };
  const first = await r.client.chat.completions.create({ ...long, stream: true });
  const leaving = new AbortController();
  let queued: Promise<unknown> | null = null;
  for await (const chunk of first) {
    if (queued) continue;
    void chunk;
    // the first runs; a second waits for the engine; a third is one too many
    queued = r.client.chat.completions.create(long, { signal: leaving.signal }).catch((e: unknown) => e);
    // until the server counts it (a fixed sleep was a race on a loaded machine)
    for (let i = 0; i < 400 && r.runner.queued < 2; i++) await new Promise((done) => setTimeout(done, 5));
    assert.equal(r.runner.queued, 2, 'the second request is queued behind the first');
    leaving.abort(); // the waiting client goes away before its turn
    await assert.rejects(
      r.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }),
      (e: unknown) => e instanceof OpenAI.RateLimitError,
    );
  }
  assert.ok((await queued) instanceof Error, 'the client saw its own abort');
  // the one that left was dropped when its turn came (or, if the first had already finished, cancelled
  // mid-reply): it never ran to its limit
  for (let i = 0; i < 200 && !r.runner.log.list().some((e) => e.status === 499); i++)
    await new Promise((done) => setTimeout(done, 25));
  const log = r.runner.log.list();
  const gone = log.filter((e) => e.status === 499);
  assert.equal(gone.length, 1, JSON.stringify(log));
  assert.ok(gone[0]!.completionTokens < long.max_tokens, `${gone[0]!.completionTokens} tokens`);
  assert.equal(log.filter((e) => e.status === 429).length, 1);
  assert.equal(log.filter((e) => e.status === 200).length, 1, 'only the first request ran');
  // and the engine serves the next request
  const next = await r.client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'x' }],
    max_tokens: 2,
  });
  assert.ok(next.choices[0]);
  await r.stop();
});

test('a stored responses chain opens as a chat whose next turn restores the chain instead of re-reading it', async () => {
  const r = await start();
  const system = 'You keep answers to one line. '.repeat(25).trim();
  const first = await r.client.responses.create({
    model,
    instructions: system,
    input: 'My name is Ada.',
    max_output_tokens: 8,
    temperature: 0,
  });
  const second = await r.client.responses.create({
    model,
    instructions: system,
    previous_response_id: first.id,
    input: 'What is my name?',
    max_output_tokens: 8,
    temperature: 0,
  });
  const listed = await r.client.responses.retrieve(second.id);
  assert.equal(listed.id, second.id);
  const conv = r.backend.chat.openApiChain(second.id);
  const { messages } = r.backend.chat.getConversation(conv.id);
  assert.deepEqual(
    messages.map((m) => m.role),
    ['user', 'assistant', 'user', 'assistant'],
  );
  assert.equal(conv.systemPrompt, system);
  await r.backend.chat.setEngine(r.backend.chat.engine); // nothing live: only the stored blocks can help
  const t = await r.backend.chat.sendMessage({ conversationId: conv.id, text: 'Thanks!' });
  const history = second.usage!.input_tokens + second.usage!.output_tokens;
  assert.ok(t.stats.restoredTokens >= history - 64, `restored ${t.stats.restoredTokens} of a ${history}-token chain`);
  assert.equal(t.stats.restoreSource, 'store');
  assert.equal(t.stats.cacheNote, undefined, 'the chat resumed the chain');
  await r.stop();
});
