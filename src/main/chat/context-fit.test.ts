// Fitting a long history into the context window: tokenizer work must grow linearly with the history
// (counted in calls and characters handed to the real tokenizer, never timed), and Stop must cancel it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Engine } from '../engine/index.ts';
import { fixture } from '../engine/fixtures.testkit.ts';
import { Store } from '../store/store.ts';
import type { Message } from '../store/types.ts';
import { type FitEngine, fitHistory } from './context-fit.ts';
import { MIN_REPLY_ROOM, buildTurnLog, replyReserve } from './prompt.ts';
import { ChatService } from './service.ts';
import { ChatError } from './types.ts';

let engine: Engine;
before(async () => {
  engine = await Engine.load(fixture('tiny-llama'), { threads: 1, provider: 'cpu', fingerprintCachePath: null });
});
after(() => engine.dispose());

/** The real engine, counting what reaches its tokenizer. Throws past `budget` characters (quadratic work). */
function counting(e: Engine, budget = Infinity, onCall?: (calls: number) => void) {
  const c = { calls: 0, chars: 0 };
  const add = (chars: number) => {
    c.calls++;
    c.chars += chars;
    onCall?.(c.calls);
    if (c.chars > budget) throw new Error(`tokenizer work ${c.chars} chars exceeds ${budget}: not linear`);
  };
  const wrapped: FitEngine = {
    chatDelta: (messages, log) => {
      add(messages.reduce((n, m) => n + m.content.length, 0));
      return e.chatDelta(messages, log);
    },
    tokenize: (text) => {
      add(text.length);
      return e.tokenize(text);
    },
  };
  return { c, wrapped };
}

function history(n: number): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < n; i++) {
    const role = i % 2 === 0 ? 'user' : 'assistant';
    out.push({
      id: `m${i}`,
      conversationId: 'c',
      parentId: i ? `m${i - 1}` : null,
      role,
      content: `${role === 'user' ? 'Question' : 'Answer'} number ${i}: ${'lorem ipsum dolor '.repeat(1 + (i % 4))}`,
      createdAt: i,
      tokenIds: null,
      logReset: false,
      contextFromId: null,
      tokenEnd: null,
      stopReason: null,
      stats: null,
    });
  }
  return out;
}

const spec = (h: Message[], signal?: AbortSignal) => ({
  systemPrompt: 'You are terse.',
  history: h,
  userId: 'u',
  userText: 'And now?',
  prevLog: null,
  contextLength: engine.info.contextLength,
  reserve: 64,
  signal,
});

test('a 2,000-message history is fitted with each message tokenized once', async () => {
  const h = history(2000);
  const content = h.reduce((n, m) => n + m.content.length, 0);
  // the full render once, each message once, and a handful of renders of what fits (< the context)
  const { c, wrapped } = counting(engine, 3 * content + 20 * engine.info.contextLength * 8);
  const t = await buildTurnLog(wrapped, spec(h));
  assert.ok(t.droppedMessages > 1000, `dropped ${t.droppedMessages}`);
  assert.ok(t.log.length + 64 <= engine.info.contextLength);
  assert.equal(h[t.droppedMessages]!.role, 'user', 'whole turns are dropped');
  assert.equal(t.contextFromId, h[t.droppedMessages]!.id);
  assert.ok(c.calls <= h.length + 16, `${c.calls} tokenizer calls for ${h.length} messages`);
  console.log(`fit of 2,000 messages: ${c.calls} tokenizer calls, ${c.chars} chars (history ${content} chars)`);
});

test('the fit keeps as much history as an exhaustive search of exact renders', async () => {
  const h = history(160);
  const { wrapped } = counting(engine);
  const o = { ...spec(h), contextLength: 900 };
  const t = await buildTurnLog(wrapped, o);
  // the reference: every cut rendered exactly, first one that fits
  let want = h.length;
  for (let k = 1; k <= h.length; k++) {
    if (k < h.length && h[k]!.role !== 'user') continue;
    const msgs = [
      { role: 'system' as const, content: o.systemPrompt },
      ...h.slice(k).map((m) => ({ role: m.role, content: m.content })),
      { role: 'user' as const, content: o.userText },
    ];
    if ((await engine.chatDelta(msgs, [])).append.length + o.reserve <= o.contextLength) {
      want = k;
      break;
    }
  }
  assert.equal(t.droppedMessages, want);
});

/** Tokens of system + history + the next user message, nothing dropped. */
async function fullTokens(h: Message[]): Promise<number> {
  const o = spec(h);
  const msgs = [
    { role: 'system' as const, content: o.systemPrompt },
    ...h.map((m) => ({ role: m.role, content: m.content })),
    { role: 'user' as const, content: o.userText },
  ];
  return (await engine.chatDelta(msgs, [])).append.length;
}

test('a history that fits is never cut to make room for the reply', async () => {
  // the case: a stated fact, a long reply, then a short question; the whole history fits with room
  // for a reply, but not with the full 512-token reserve, and the trim dropped the fact
  const h = history(6);
  const full = await fullTokens(h);
  const t = await buildTurnLog(engine, { ...spec(h), contextLength: full + 100, reserve: 512 });
  assert.equal(t.droppedMessages, 0);
  assert.equal(t.log.length, full);
  assert.equal(t.droppedSpan, undefined);
  // with less than MIN_REPLY_ROOM left, whole turns go: just enough to leave the full reserve
  const tight = await buildTurnLog(engine, { ...spec(h), contextLength: full + MIN_REPLY_ROOM - 1, reserve: 120 });
  assert.ok(tight.droppedMessages > 0 && tight.droppedMessages < h.length, `dropped ${tight.droppedMessages}`);
  assert.ok(tight.log.length + 120 <= full + MIN_REPLY_ROOM - 1);
  const keptOneMore = await fullTokens(h.slice(tight.droppedMessages - 2));
  assert.ok(keptOneMore + 120 > full + MIN_REPLY_ROOM - 1, 'no more turns dropped than needed');
});

test('a trimmed turn says which messages were left out', async () => {
  const h = history(8);
  const full = await fullTokens(h);
  const t = await buildTurnLog(engine, { ...spec(h), contextLength: full - 20, reserve: 64 });
  assert.equal(t.droppedMessages, 4);
  assert.deepEqual(t.droppedSpan, [
    'Question number 0: lorem ipsum dolor',
    'Answer number 3: lorem ipsum dolor lorem ipsum dolor lorem…',
  ]);
});

test('the reply reserve: what max-tokens asks, at most 512 and a quarter of the context', () => {
  assert.equal(replyReserve(4096, 32768), 512);
  assert.equal(replyReserve(200, 2048), 200);
  assert.equal(replyReserve(1024, 1024), 256);
});

test('Stop cancels the fit between tokenizer calls', async () => {
  const ac = new AbortController();
  const { c, wrapped } = counting(engine, Infinity, (n) => n === 100 && ac.abort());
  await assert.rejects(buildTurnLog(wrapped, spec(history(2000), ac.signal)), (e: unknown) => {
    assert.ok(e instanceof ChatError && e.code === 'cancelled', String(e));
    return true;
  });
  assert.ok(c.calls <= 101, `${c.calls} calls after the abort`);
  // and nothing at all when already stopped
  await assert.rejects(
    fitHistory(wrapped, { ...spec(history(10), ac.signal), user: { role: 'user', content: 'x' }, fullTokens: 5000 }),
    /cancelled/,
  );
});

test('the first turn of an imported 2,000-message chat fits it linearly, through the service', async () => {
  const store = Store.open(':memory:');
  const h = history(2000);
  const file = {
    format: 'reprise',
    version: 1,
    exportedAt: 1,
    conversations: [
      {
        id: 'c',
        title: 'long',
        createdAt: 1,
        updatedAt: 1,
        activeLeafId: h.at(-1)!.id,
        messages: h.map((m) => ({ id: m.id, parentId: m.parentId, role: m.role, content: m.content, createdAt: 1 })),
      },
    ],
  };
  const content = h.reduce((n, m) => n + m.content.length, 0);
  const { c, wrapped } = counting(engine, 3 * content + 20 * engine.info.contextLength * 8);
  // the real engine with its tokenizer calls counted (everything else passes through)
  const proxied = new Proxy(engine, {
    get: (t, k) =>
      k === 'chatDelta' || k === 'tokenize'
        ? wrapped[k as keyof FitEngine]
        : ((v: unknown) => (typeof v === 'function' ? v.bind(t) : v))(Reflect.get(t, k)),
  });
  const svc = new ChatService({ store, engine: proxied, blockSize: 16, logger: { warn() {} } });
  const id = svc.importFile(Buffer.from(JSON.stringify(file))).conversationIds[0]!;
  const r = await svc.sendMessage({ conversationId: id, text: 'Summarize.' });
  assert.ok(r.stats.droppedMessages > 1000);
  assert.ok(c.calls <= h.length + 16, `${c.calls} tokenizer calls`);
  await svc.close();
  store.close();
});
