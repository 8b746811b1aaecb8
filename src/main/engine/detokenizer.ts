// Incremental detokenizer: text deltas are always whole UTF-8 characters. A byte-level BPE token can end in
// the middle of a multibyte character (emoji, CJK); TextDecoder's stream mode holds those bytes back.
import type { ModelTokenizer } from './tokenizer.ts';

export class StreamDetokenizer {
  private decoder = new TextDecoder('utf-8');

  constructor(
    private readonly tok: ModelTokenizer,
    private readonly skipSpecial = true,
  ) {}

  /** Text completed by this token ('' while a character is still incomplete). */
  push(id: number): string {
    if (this.skipSpecial && this.tok.isSpecial(id)) return '';
    return this.decoder.decode(this.tok.tokenBytes(id), { stream: true });
  }

  /** Bytes still held back at the end of a stream become U+FFFD, never a broken string. */
  flush(): string {
    const rest = this.decoder.decode();
    this.decoder = new TextDecoder('utf-8');
    return rest;
  }
}
