// Tokenizer (tokenizer.json via @huggingface/tokenizers) + chat template (@huggingface/jinja) + per-token bytes.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { readJson } from './config.ts';
import { EngineError, firstLine } from './errors.ts';

export interface ChatMessage {
  role: string;
  content: string;
}

type Json = Record<string, unknown>;
type ByteMode = 'byteLevel' | 'metaspace' | 'generic';

function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return null;
}

/** Inverse of GPT-2's byte -> printable-unicode map. */
function unicodeToBytes(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const map = new Map<string, number>();
  for (const b of bs) map.set(String.fromCodePoint(b), b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) map.set(String.fromCodePoint(256 + n++), b);
  return map;
}

function decoderMode(json: Json): ByteMode {
  const types = new Set<string>();
  const walk = (d: unknown): void => {
    if (!d || typeof d !== 'object') return;
    const o = d as Json;
    if (typeof o.type === 'string') types.add(o.type);
    if (Array.isArray(o.decoders)) o.decoders.forEach(walk);
  };
  walk(json.decoder);
  if (types.has('ByteLevel')) return 'byteLevel';
  if (types.has('Metaspace') || types.has('ByteFallback')) return 'metaspace';
  return 'generic';
}

export class ModelTokenizer {
  readonly tokenizer: Tokenizer;
  readonly specialIds: ReadonlySet<number>;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  private readonly template: Template | null;
  private readonly templateSource: string | null;
  private readonly mode: ByteMode;
  private readonly u2b = unicodeToBytes();
  private readonly bytesCache = new Map<number, Uint8Array>();
  private readonly enc = new TextEncoder();
  private readonly config: Json;
  private readonly added: Map<number, { content: string }>;

  constructor(tokenizerJson: Json, config: Json, chatTemplate: string | null) {
    this.tokenizer = new Tokenizer(tokenizerJson, config);
    this.config = config;
    this.mode = decoderMode(tokenizerJson);
    this.added = this.tokenizer.get_added_tokens_decoder(); // builds a new Map per call: take it once
    const special = new Set<number>();
    for (const t of (tokenizerJson.added_tokens as Json[] | undefined) ?? [])
      if (t.special && typeof t.id === 'number') special.add(t.id);
    this.specialIds = special;
    this.bosToken = tokenContent(config.bos_token);
    this.eosToken = tokenContent(config.eos_token);
    this.templateSource = chatTemplate;
    this.template = chatTemplate ? new Template(chatTemplate) : null;
  }

  static load(tokenizerFile: string, tokenizerConfigFile: string | null): ModelTokenizer {
    const json = readJson(tokenizerFile);
    const config = tokenizerConfigFile ? readJson(tokenizerConfigFile) : {};
    let tpl: unknown = config.chat_template;
    if (Array.isArray(tpl))
      tpl = (tpl as Json[]).find((t) => t.name === 'default')?.template ?? (tpl[0] as Json | undefined)?.template;
    const jinjaFile = join(dirname(tokenizerFile), 'chat_template.jinja'); // newer exports keep it in its own file
    if (typeof tpl !== 'string' && existsSync(jinjaFile)) tpl = readFileSync(jinjaFile, 'utf8');
    try {
      return new ModelTokenizer(json, config, typeof tpl === 'string' ? tpl : null);
    } catch (e) {
      throw new EngineError({
        code: 'tokenizer',
        title: 'Cannot load the tokenizer',
        cause: `${tokenizerFile}: ${firstLine(e)}`,
        suggestion:
          'Re-download tokenizer.json / tokenizer_config.json; the chat template or tokenizer is not supported.',
        file: tokenizerFile,
      });
    }
  }

  get hasChatTemplate(): boolean {
    return this.template !== null;
  }

  /** Raw text -> ids. Special-token text (e.g. "<|im_start|>") maps to its id; no BOS/EOS are added by default. */
  encode(text: string, addSpecialTokens = false): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: readonly number[], skipSpecial = true): string {
    return this.tokenizer.decode(ids as number[], {
      skip_special_tokens: skipSpecial,
      clean_up_tokenization_spaces: false,
    });
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** The exact bytes a token contributes to the text (special tokens: their literal text). Cached per id. */
  tokenBytes(id: number): Uint8Array {
    let b = this.bytesCache.get(id);
    if (b) return b;
    const tok = this.tokenizer.id_to_token(id);
    const added = this.added.get(id);
    if (added) b = this.enc.encode(added.content);
    else if (tok === undefined)
      b = new Uint8Array(0); // padded vocab rows without a token
    else if (this.mode === 'byteLevel') {
      const out: number[] = [];
      for (const ch of tok) {
        const v = this.u2b.get(ch);
        if (v === undefined) out.push(...this.enc.encode(ch));
        else out.push(v);
      }
      b = Uint8Array.from(out);
    } else if (this.mode === 'metaspace') {
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(tok);
      b = m ? Uint8Array.of(parseInt(m[1]!, 16)) : this.enc.encode(tok.replaceAll('\u2581', ' '));
    } else b = this.enc.encode(this.tokenizer.decode([id], { skip_special_tokens: false }));
    this.bytesCache.set(id, b);
    return b;
  }

  /** Text of a token sequence exactly as the model saw it (special tokens included), byte-concatenated. */
  textOf(ids: readonly number[]): string {
    const parts = ids.map((id) => this.tokenBytes(id));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return new TextDecoder().decode(all);
  }

  /** Render the model's own chat template (what transformers' apply_chat_template does, without tokenizing). */
  renderChat(messages: readonly ChatMessage[], addGenerationPrompt: boolean, extra: Json = {}): string {
    if (!this.template)
      throw new EngineError({
        code: 'tokenizer',
        title: 'No chat template',
        cause: 'tokenizer_config.json has no chat_template (and there is no chat_template.jinja).',
        suggestion: 'Use an instruction-tuned model that ships a chat template.',
      });
    return this.template.render({
      messages,
      add_generation_prompt: addGenerationPrompt,
      bos_token: this.bosToken ?? '',
      eos_token: this.eosToken ?? '',
      pad_token: tokenContent(this.config.pad_token) ?? '',
      unk_token: tokenContent(this.config.unk_token) ?? '',
      ...extra,
    });
  }

  get chatTemplateSource(): string | null {
    return this.templateSource;
  }
}
