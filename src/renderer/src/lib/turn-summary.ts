/**
 * What a turn's cache bar says in words. "Resumed" is a claim: it is made only when the turn restored the
 * history that earlier turns of this chat had read. A few template tokens shared with another chat, or a
 * history read again because the system prompt changed, are not a resume; the headline says what happened.
 */
import type { TurnStats } from '../../../shared/turn-stats.ts';
import { CACHE_NOTE_LABELS } from '../../../shared/vocabulary.ts';
import { formatInt, plural } from './format.ts';

export type TurnOutcomeKind = 'resumed' | 'partial' | 'notResumed' | 'fresh';

export interface TurnSummary {
  kind: TurnOutcomeKind;
  headline: string;
}

const tokens = (n: number): string => plural(n, 'token');
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * @param previousContext tokens the chat's previous turn on this path had read (its `contextTokens`), used
 *   only for stats written before turns recorded `historyTokens`; 0 when there is no previous turn.
 */
export function summarizeTurn(stats: TurnStats, previousContext = 0): TurnSummary {
  const { restoredTokens: restored, prefilledTokens: read } = stats;
  const reused = restored > 0 ? ` (${tokens(restored)} reused from the cache)` : '';
  if (stats.cacheNote) {
    const why = CACHE_NOTE_LABELS[stats.cacheNote];
    if (stats.cacheNote === 'firstMessage')
      return { kind: 'fresh', headline: `${capitalize(why)}. Read ${tokens(read)}${reused}` };
    return { kind: 'notResumed', headline: `Not resumed: ${why}. Read ${tokens(read)}${reused}` };
  }
  if (stats.historyTokens !== undefined) {
    if (stats.historyTokens > 0)
      return {
        kind: 'resumed',
        headline: `Resumed: ${tokens(restored)} of history restored, only ${formatInt(read)} new ${read === 1 ? 'token' : 'tokens'} read`,
      };
    return { kind: 'fresh', headline: `Read the whole context: ${tokens(read)}${reused}` };
  }
  // Stats from before turns recorded their history: judge by the previous turn's context.
  if (previousContext <= 0) return { kind: 'fresh', headline: `Read the whole context: ${tokens(read)}${reused}` };
  // The last token of a reply may not have entered the model yet when the next turn starts.
  if (restored + 1 >= previousContext)
    return {
      kind: 'resumed',
      headline: `Resumed: ${tokens(restored)} of history restored, only ${formatInt(read)} new ${read === 1 ? 'token' : 'tokens'} read`,
    };
  return {
    kind: 'partial',
    headline: `Not resumed: only ${formatInt(restored)} of ${tokens(previousContext)} of history were in the cache. Read ${tokens(read)}`,
  };
}
