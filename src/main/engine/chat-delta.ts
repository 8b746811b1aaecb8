// DESIGN.md invariant 1: the token log is the truth. A new turn appends tokenize(template delta) to the
// exact ids that entered the model; it never re-tokenizes the history (sampled ids rarely re-tokenize alike).
import type { ChatMessage, ModelTokenizer } from './tokenizer.ts';

export interface ChatDelta {
  /** Keep the first `keep` tokens of the log (=== log.length when the render extends the log). */
  keep: number;
  /** Token ids to append after rewinding to `keep`. */
  append: number[];
  /** True when the new render extends the log's text exactly; false means a fallback to a common prefix. */
  exact: boolean;
  /** Why the delta is not exact, for logs/UI. */
  note: string | null;
}

/**
 * `messages` is the whole conversation including the new user turn; `log` the current token log, which
 * represents render(previous messages, add_generation_prompt) + the sampled reply ids (with or without EOS).
 */
export function chatTurnDelta(
  tok: ModelTokenizer,
  messages: readonly ChatMessage[],
  log: readonly number[],
  opts: { addGenerationPrompt?: boolean } = {},
): ChatDelta {
  const rendered = tok.renderChat(messages, opts.addGenerationPrompt ?? true);
  if (log.length === 0) return { keep: 0, append: tok.encode(rendered), exact: true, note: null };
  const logText = tok.textOf(log);
  if (rendered.startsWith(logText))
    return { keep: log.length, append: tok.encode(rendered.slice(logText.length)), exact: true, note: null };

  // Fallback: the longest token prefix of the log whose text is a prefix of the new render. Typical causes:
  // the template trims the reply, the reply ended in an EOS the template renders differently, or the
  // stored reply was cut at a stop string after the model had read past it.
  let keep = 0;
  let chars = 0;
  const dec = new TextDecoder();
  let text = '';
  let need = 0; // UTF-8 continuation bytes still missing: cut only where a character is complete
  for (let i = 0; i < log.length; i++) {
    const bytes = tok.tokenBytes(log[i]!);
    for (const b of bytes)
      need = (b & 0xc0) === 0x80 && need > 0 ? need - 1 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
    text += dec.decode(bytes, { stream: true });
    if (!rendered.startsWith(text)) break;
    if (need === 0) {
      keep = i + 1;
      chars = text.length;
    }
  }
  const lastWasSpecial = tok.isSpecial(log[log.length - 1]!);
  const note =
    keep === log.length - 1 && lastWasSpecial
      ? 'the reply ended in a special token the template renders differently; rewound over it'
      : `the template's render does not extend the token log; kept the longest common prefix (${keep}/${log.length} tokens)`;
  return { keep, append: tok.encode(rendered.slice(chars)), exact: false, note };
}
