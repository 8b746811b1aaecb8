// The held-out set of reprise-tiny and its pass rules, shared by `eval.ts` (direct) and `through-store.ts`.
import { readFileSync } from 'node:fs';
import { Engine, GREEDY, type ChatMessage } from '../../src/main/engine/index.ts';

export interface HeldoutItem {
  id: string;
  category: string;
  messages: ChatMessage[];
  expected: string | string[] | null;
  check: 'contains' | 'any_of' | 'uppercase' | 'endswith' | 'fluent';
  max_new_tokens: number;
  op?: string;
  kind?: string;
}

export function arg(name: string, argv: readonly string[] = process.argv): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
export const flag = (name: string, argv: readonly string[] = process.argv): boolean => argv.includes(`--${name}`);

export function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** `only`: one category; `limit`: the first `limit` items of each category. */
export function pickItems(items: HeldoutItem[], o: { only?: string; limit?: number }): HeldoutItem[] {
  const seen = new Map<string, number>();
  return items
    .filter((it) => !o.only || it.category === o.only)
    .filter((it) => {
      const n = seen.get(it.category) ?? 0;
      seen.set(it.category, n + 1);
      return n < (o.limit ?? Infinity);
    });
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Same rule as common.py is_fluent. */
export function isFluent(text: string, stopped: boolean): boolean {
  const t = text.trim();
  const words = t.match(/[A-Za-z']+/g) ?? [];
  if (!stopped || words.length < 2 || /[^\x20-\x7e]/.test(t)) return false;
  const low = words.map((w) => w.toLowerCase());
  for (let i = 0; i + 2 < low.length; i++) if (low[i] === low[i + 1] && low[i] === low[i + 2]) return false;
  const sents = t
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (new Set(sents).size !== sents.length) return false;
  return /[.!?]$/.test(t);
}

/** Same rule as common.py check. */
export function passes(item: Pick<HeldoutItem, 'check' | 'expected'>, text: string, stopped: boolean): boolean {
  const exp = item.expected;
  switch (item.check) {
    case 'contains':
      return stopped && new RegExp(`(^|[^A-Za-z0-9])${escapeRe(String(exp))}($|[^A-Za-z0-9])`).test(text);
    case 'any_of':
      return stopped && (exp as string[]).some((e) => text.toLowerCase().includes(e.toLowerCase()));
    case 'uppercase':
      return stopped && /[A-Za-z]/.test(text) && text === text.toUpperCase();
    case 'endswith':
      return stopped && text.trim().endsWith(String(exp));
    case 'fluent':
      return isFluent(text, stopped);
  }
}

/** The categories an item counts in: its own, plus `arithmetic+`/`arithmetic-` and `system.<kind>`. */
export function itemCategories(it: HeldoutItem): string[] {
  const out = [it.category];
  if (it.category === 'arithmetic' && it.op) out.push(`arithmetic${it.op}`);
  if (it.category === 'system' && it.kind) out.push(`system.${it.kind}`);
  return out;
}

export type Tally = Map<string, { n: number; pass: number }>;
export function tally(rows: Array<{ item: HeldoutItem; ok: boolean }>): Tally {
  const cats: Tally = new Map();
  for (const { item, ok } of rows) {
    for (const c of itemCategories(item)) {
      const s = cats.get(c) ?? { n: 0, pass: 0 };
      s.n++;
      s.pass += ok ? 1 : 0;
      cats.set(c, s);
    }
  }
  return new Map([...cats].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The token ids the direct eval feeds the model: the whole chat rendered with the generation prompt. */
export async function promptIds(engine: Engine, messages: ChatMessage[]): Promise<number[]> {
  return engine.tokenize(await engine.renderChat(messages, { addGenerationPrompt: true }), { special: true });
}

export interface Reply {
  /** Generated ids, the stop token included when it stopped. */
  ids: number[];
  text: string;
  /** Ended with an EOS id (`<|im_end|>`) within max_new_tokens. */
  stopped: boolean;
  ms: number;
}

/** The direct eval's reply: a fresh generator, the whole prompt appended, greedy until EOS or max_new_tokens. */
export async function directReply(engine: Engine, it: HeldoutItem): Promise<Reply> {
  const stopIds = new Set(engine.info.eosTokenIds);
  const prompt = await promptIds(engine, it.messages);
  const gen = await engine.createGenerator();
  const t0 = performance.now();
  try {
    await gen.appendTokens(prompt);
    const ids: number[] = [];
    let stopped = false;
    for (let i = 0; i < it.max_new_tokens && !stopped; i++) {
      const id = await gen.generateNextToken(GREEDY);
      ids.push(id);
      stopped = stopIds.has(id);
    }
    const ms = performance.now() - t0;
    const text = await engine.detokenize(
      ids.filter((i) => !stopIds.has(i)),
      { skipSpecial: true },
    );
    return { ids, text, stopped, ms };
  } finally {
    await gen.dispose();
  }
}

export function pct(s: { n: number; pass: number } | undefined): string {
  if (!s) return '';
  return `${String(s.pass).padStart(3)}/${String(s.n).padEnd(3)} ${((100 * s.pass) / s.n).toFixed(1).padStart(5)}%`;
}
