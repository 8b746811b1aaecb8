import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TurnStats } from '../../../shared/turn-stats.ts';
import { summarizeTurn } from './turn-summary.ts';

const base: TurnStats = {
  restoredTokens: 0,
  prefilledTokens: 0,
  restoreMs: 0,
  prefillMs: 0,
  ttftMs: 0,
  generatedTokens: 5,
  decodeTokS: 100,
  stopReason: 'eos',
  codec: 'exact',
  snapshotRawBytes: 0,
  snapshotStoredBytes: 0,
  droppedMessages: 0,
  contextTokens: 0,
  contextLength: 2048,
};
const stats = (s: Partial<TurnStats>): TurnStats => ({ ...base, ...s });

test('a first message that reused a few shared template tokens is not called a resume', () => {
  const s = summarizeTurn(
    stats({ restoredTokens: 3, prefilledTokens: 1778, historyTokens: 0, cacheNote: 'firstMessage' }),
  );
  assert.equal(s.kind, 'fresh');
  assert.doesNotMatch(s.headline, /Resumed/);
  assert.match(s.headline, /^First message: nothing to resume yet\. Read 1,778 tokens \(3 tokens reused/);
});

test('a history read again says why, with the vocabulary label', () => {
  const s = summarizeTurn(
    stats({ restoredTokens: 1, prefilledTokens: 392, historyTokens: 380, cacheNote: 'systemPromptChanged' }),
  );
  assert.equal(s.kind, 'notResumed');
  assert.match(s.headline, /^Not resumed: the system prompt changed, so the history was read again\. Read 392 tokens/);
  assert.match(
    summarizeTurn(stats({ historyTokens: 33, cacheNote: 'evicted', prefilledTokens: 40 })).headline,
    /evicted/,
  );
});

test('"Resumed" only with history and no note', () => {
  const s = summarizeTurn(stats({ restoredTokens: 96, prefilledTokens: 1, historyTokens: 96 }));
  assert.equal(s.kind, 'resumed');
  assert.equal(s.headline, 'Resumed: 96 tokens of history restored, only 1 new token read');
  assert.equal(summarizeTurn(stats({ restoredTokens: 0, prefilledTokens: 20, historyTokens: 0 })).kind, 'fresh');
});

test('stats without historyTokens are judged by the previous turn: a few shared tokens are no resume', () => {
  assert.equal(summarizeTurn(stats({ restoredTokens: 3, prefilledTokens: 1778 }), 0).kind, 'fresh');
  const partial = summarizeTurn(stats({ restoredTokens: 1, prefilledTokens: 392 }), 380);
  assert.equal(partial.kind, 'partial');
  assert.doesNotMatch(partial.headline, /Resumed/);
  assert.equal(summarizeTurn(stats({ restoredTokens: 379, prefilledTokens: 14 }), 380).kind, 'resumed');
});
