import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { chatTurnDelta } from './chat-delta.ts';
import { StreamDetokenizer } from './detokenizer.ts';
import { fixture } from './fixtures.testkit.ts';
import { ModelTokenizer, type ChatMessage } from './tokenizer.ts';

const dir = fixture('tiny-llama');
const tok = ModelTokenizer.load(join(dir, 'tokenizer.json'), join(dir, 'tokenizer_config.json'));

describe('tokenizer', () => {
  test('special tokens in text map to their ids; textOf reproduces the text', () => {
    const text = '<|im_start|>user\nHello there<|im_end|>\n';
    const ids = tok.encode(text);
    assert.equal(ids[0], tok.tokenizer.token_to_id('<|im_start|>'));
    assert.equal(tok.textOf(ids), text);
    assert.equal(tok.decode(ids, false), text);
  });

  test('streaming detokenizer holds back split multibyte characters (emoji, CJK)', () => {
    const text = 'Hi 😀 你好, wörld 👍🏽!';
    const ids = tok.encode(text);
    assert.ok(ids.length > [...text].length, 'emoji/CJK are split over byte tokens');
    const d = new StreamDetokenizer(tok);
    const deltas = ids.map((id) => d.push(id));
    deltas.push(d.flush());
    assert.equal(deltas.join(''), text);
    assert.ok(deltas.includes(''), 'some tokens completed no character');
    for (const s of deltas) {
      assert.ok(!s.includes('\uFFFD'));
      assert.ok(
        !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s),
        'no lone surrogates',
      );
    }
  });

  test('a truncated character at the end of a stream becomes U+FFFD, not a broken string', () => {
    const ids = tok.encode('😀');
    const d = new StreamDetokenizer(tok);
    assert.equal(
      ids
        .slice(0, 2)
        .map((id) => d.push(id))
        .join(''),
      '',
    );
    assert.equal(d.flush(), '\uFFFD');
  });

  test('special tokens are skipped in the stream', () => {
    const d = new StreamDetokenizer(tok);
    assert.equal(d.push(tok.tokenizer.token_to_id('<|im_end|>')!), '');
  });
});

describe('chat turn delta (invariant 1)', () => {
  const im = (s: string): number => tok.tokenizer.token_to_id(s)!;
  const first: ChatMessage[] = [
    { role: 'system', content: 'You are helpful.' },
    { role: 'user', content: 'Say the word.' },
  ];
  // The model "sampled" byte tokens for ' the' although merges make ' the' a single token.
  const replyText = 'the end';
  const merged = tok.encode(replyText);
  const bytesOnly = [...new TextEncoder().encode(replyText)].map((b) => tok.encode(String.fromCharCode(b))[0]!);

  test('the fixture has merges, so byte tokens re-tokenize differently', () => {
    assert.ok(merged.length < bytesOnly.length);
    assert.equal(tok.textOf(bytesOnly), replyText);
  });

  for (const withEos of [true, false]) {
    test(`appends only the template delta and keeps the sampled ids (reply ${withEos ? 'with' : 'without'} EOS)`, () => {
      const d0 = chatTurnDelta(tok, first, []);
      assert.equal(d0.exact, true);
      assert.equal(tok.textOf(d0.append), tok.renderChat(first, true));
      const log = [...d0.append, ...bytesOnly, ...(withEos ? [im('<|im_end|>')] : [])];
      const next: ChatMessage[] = [
        ...first,
        { role: 'assistant', content: replyText },
        { role: 'user', content: 'Again.' },
      ];
      const d = chatTurnDelta(tok, next, log);
      assert.equal(d.exact, true);
      assert.equal(d.keep, log.length);
      assert.equal(tok.textOf([...log, ...d.append]), tok.renderChat(next, true));
      assert.equal(d.append[0], withEos ? tok.encode('\n')[0] : im('<|im_end|>'));
      // Re-tokenizing the whole render would not reproduce the log: that is why the log is kept.
      assert.notDeepEqual(tok.encode(tok.renderChat(next, true)).slice(0, log.length), log);
    });
  }

  // A reply stopped mid-character (user stop / max tokens): the log holds the character's first bytes, the
  // stored reply text ends in the U+FFFD the streaming detokenizer released for them. The comparison decodes
  // the log's exact bytes with the same replacement, so the sampled ids are kept and nothing is re-prefilled.
  for (const withEos of [true, false]) {
    test(`keeps every id of a reply stopped mid-character (${withEos ? 'with' : 'without'} EOS)`, () => {
      const d0 = chatTurnDelta(tok, first, []);
      const emoji = tok.encode('😀');
      assert.ok(emoji.length >= 2, 'the emoji spans several byte tokens');
      const sampled = [...tok.encode('ok '), ...emoji.slice(0, emoji.length - 1)];
      const detok = new StreamDetokenizer(tok);
      const content = sampled.map((id) => detok.push(id)).join('') + detok.flush();
      assert.ok(content.endsWith('\uFFFD'));
      const log = [...d0.append, ...sampled, ...(withEos ? [im('<|im_end|>')] : [])];
      const next: ChatMessage[] = [...first, { role: 'assistant', content }, { role: 'user', content: 'Again.' }];
      const d = chatTurnDelta(tok, next, log);
      assert.equal(d.exact, true);
      assert.equal(d.keep, log.length);
      assert.equal(tok.textOf([...log, ...d.append]), tok.renderChat(next, true));
    });
  }

  test('falls back to the longest common prefix when the render does not extend the log', () => {
    const d0 = chatTurnDelta(tok, first, []);
    const log = [...d0.append, ...tok.encode('the end. STOP and more')];
    // The stored reply was cut at a stop string after the model had read past it.
    const next: ChatMessage[] = [
      ...first,
      { role: 'assistant', content: 'the end.' },
      { role: 'user', content: 'Again.' },
    ];
    const d = chatTurnDelta(tok, next, log);
    assert.equal(d.exact, false);
    assert.ok(d.note);
    assert.ok(d.keep >= d0.append.length && d.keep < log.length);
    assert.equal(tok.textOf([...log.slice(0, d.keep), ...d.append]), tok.renderChat(next, true));
  });
});
