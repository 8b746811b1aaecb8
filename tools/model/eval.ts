// Re-checks reprise-tiny through OUR engine (onnxruntime-node, CPU): held-out quality and greedy parity.
//
//   npm run eval:model                      # all of eval/heldout.jsonl + eval/parity.jsonl
//   npm run eval:model -- --limit 20        # first 20 items of each category (quick look)
//   npm run eval:model -- --model <dir> --threads 2 --json out.json --no-parity --only recall
//
// The pass rules mirror tools/model/common.py `check` exactly (see tools/model/README.md). Parity: for each
// row of parity.jsonl the engine's tokenization of the rendered chat must equal `prompt_ids`, and 32
// greedy tokens (no stop at <|im_end|>) must equal PyTorch's `greedy_ids`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Engine, GREEDY, type ChatMessage } from '../../src/main/engine/index.ts';

interface HeldoutItem {
  id: string;
  category: string;
  messages: ChatMessage[];
  expected: string | string[] | null;
  check: 'contains' | 'any_of' | 'uppercase' | 'endswith' | 'fluent';
  max_new_tokens: number;
  op?: string;
  kind?: string;
}
interface ParityRow {
  id: string;
  messages: ChatMessage[];
  prompt_ids: number[];
  greedy_ids: number[];
  max_new_tokens: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
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

async function main(): Promise<void> {
  const dir = resolve(arg('model') ?? 'resources/models/reprise-tiny');
  const limit = Number(arg('limit') ?? Infinity);
  const only = arg('only');
  const threads = arg('threads') ? Number(arg('threads')) : undefined;
  const engine = await Engine.load(dir, { provider: 'cpu', ...(threads ? { threads } : {}) });
  const stopIds = new Set(engine.info.eosTokenIds);
  console.log(
    `model ${engine.info.name} (${engine.info.variant}, ${engine.info.provider}, ${engine.info.threads} threads), eos ${[...stopIds].join(',')}`,
  );

  const run = async (
    prompt: number[],
    maxNew: number,
    stop: boolean,
  ): Promise<{ ids: number[]; stopped: boolean; ms: number }> => {
    const gen = await engine.createGenerator();
    const t0 = performance.now();
    try {
      await gen.appendTokens(prompt);
      const ids: number[] = [];
      for (let i = 0; i < maxNew; i++) {
        const id = await gen.generateNextToken(GREEDY);
        ids.push(id);
        if (stop && stopIds.has(id)) return { ids, stopped: true, ms: performance.now() - t0 };
      }
      return { ids, stopped: false, ms: performance.now() - t0 };
    } finally {
      await gen.dispose();
    }
  };
  const promptIds = async (messages: ChatMessage[]): Promise<number[]> =>
    engine.tokenize(await engine.renderChat(messages, { addGenerationPrompt: true }), { special: true });

  // ---- held-out quality
  const items = readJsonl<HeldoutItem>(join(dir, 'eval', 'heldout.jsonl')).filter(
    (it) => !only || it.category === only,
  );
  const seen = new Map<string, number>();
  const picked = items.filter((it) => {
    const n = seen.get(it.category) ?? 0;
    seen.set(it.category, n + 1);
    return n < limit;
  });
  const cats = new Map<string, { n: number; pass: number }>();
  const bump = (c: string, ok: boolean): void => {
    const s = cats.get(c) ?? { n: 0, pass: 0 };
    s.n++;
    s.pass += ok ? 1 : 0;
    cats.set(c, s);
  };
  const rows: unknown[] = [];
  const t0 = performance.now();
  for (const it of picked) {
    const r = await run(await promptIds(it.messages), it.max_new_tokens, true);
    const text = await engine.detokenize(
      r.ids.filter((i) => !stopIds.has(i)),
      { skipSpecial: true },
    );
    const ok = passes(it, text, r.stopped);
    bump(it.category, ok);
    if (it.category === 'arithmetic' && it.op) bump(`arithmetic${it.op}`, ok);
    if (it.category === 'system' && it.kind) bump(`system.${it.kind}`, ok);
    rows.push({ id: it.id, ok, text, expected: it.expected });
    if (flag('verbose') || !ok)
      console.log(
        `${ok ? 'PASS' : 'FAIL'} ${it.id}: ${JSON.stringify(text.slice(0, 100))} (expected ${JSON.stringify(it.expected)})`,
      );
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`\nheld-out (${picked.length} items, ${secs.toFixed(0)} s):`);
  for (const [c, s] of [...cats].sort())
    console.log(
      `  ${c.padEnd(18)} ${String(s.pass).padStart(3)}/${String(s.n).padEnd(3)} ${((100 * s.pass) / s.n).toFixed(1)}%`,
    );

  // ---- parity with PyTorch
  let parity: { tokenizer: string; greedy: string; decodeTokS: number } | null = null;
  if (!flag('no-parity')) {
    const par = readJsonl<ParityRow>(join(dir, 'eval', 'parity.jsonl')).slice(
      0,
      Number.isFinite(limit) ? limit : undefined,
    );
    let tokOk = 0;
    let same = 0;
    let decodeMs = 0;
    let decoded = 0;
    for (const p of par) {
      const ids = await promptIds(p.messages);
      const tOk = ids.length === p.prompt_ids.length && ids.every((v, i) => v === p.prompt_ids[i]);
      tokOk += tOk ? 1 : 0;
      const gen = await engine.createGenerator();
      await gen.appendTokens(p.prompt_ids);
      await gen.lastLogits(); // prefill done; time the decode steps only
      const t = performance.now();
      const out: number[] = [];
      for (let i = 0; i < p.max_new_tokens; i++) out.push(await gen.generateNextToken(GREEDY));
      await gen.lastLogits();
      decodeMs += performance.now() - t;
      decoded += out.length;
      await gen.dispose();
      const eq = out.length === p.greedy_ids.length && out.every((v, i) => v === p.greedy_ids[i]);
      same += eq ? 1 : 0;
      if (!tOk || !eq)
        console.log(
          `parity ${p.id}: tokenizer ${tOk ? 'ok' : 'DIFFERS'}, greedy ${eq ? 'ok' : `DIFFERS at ${out.findIndex((v, i) => v !== p.greedy_ids[i])}`}`,
        );
    }
    parity = {
      tokenizer: `${tokOk}/${par.length}`,
      greedy: `${same}/${par.length}`,
      decodeTokS: Math.round((1000 * decoded) / decodeMs),
    };
    console.log(
      `\nparity vs PyTorch: tokenizer ${parity.tokenizer}, greedy ids ${parity.greedy}; decode ${parity.decodeTokS} tok/s`,
    );
  }
  const out = arg('json');
  if (out)
    writeFileSync(
      out,
      JSON.stringify({ model: engine.info.name, categories: Object.fromEntries(cats), parity, rows }, null, 1),
    );
  await engine.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
