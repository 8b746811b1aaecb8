// Re-checks reprise-tiny through OUR engine (onnxruntime-node, CPU): held-out quality and greedy parity.
//
//   npm run eval:model                      # all of eval/heldout.jsonl + eval/parity.jsonl
//   npm run eval:model -- --limit 20        # first 20 items of each category (quick look)
//   npm run eval:model -- --model <dir> --threads 2 --json out.json --no-parity --only recall
//
//   npm run eval:model -- --through-store [--codec exact|int8|int4] [--only recall] [--limit N]
//                                           # the same held-out items through save -> new process -> restore
//                                           # (tools/model/through-store.ts; `--category` = `--only`)
//
// The pass rules mirror tools/model/common.py `check` exactly (see tools/model/README.md). Parity: for each
// row of parity.jsonl the engine's tokenization of the rendered chat must equal `prompt_ids`, and 32
// greedy tokens (no stop at <|im_end|>) must equal PyTorch's `greedy_ids`.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Engine, GREEDY, type ChatMessage } from '../../src/main/engine/index.ts';
import {
  type HeldoutItem,
  arg,
  directReply,
  flag,
  passes,
  pct,
  pickItems,
  promptIds as renderIds,
  readJsonl,
  tally,
} from './heldout.ts';
import { runPhase, throughStore } from './through-store.ts';

interface ParityRow {
  id: string;
  messages: ChatMessage[];
  prompt_ids: number[];
  greedy_ids: number[];
  max_new_tokens: number;
}

async function main(): Promise<void> {
  if (arg('phase')) return runPhase(process.argv.slice(2));
  if (flag('through-store')) return throughStore(process.argv.slice(2));
  const dir = resolve(arg('model') ?? 'resources/models/reprise-tiny');
  const limit = Number(arg('limit') ?? Infinity);
  const only = arg('only') ?? arg('category');
  const threads = arg('threads') ? Number(arg('threads')) : undefined;
  const engine = await Engine.load(dir, { provider: 'cpu', ...(threads ? { threads } : {}) });
  const stopIds = new Set(engine.info.eosTokenIds);
  console.log(
    `model ${engine.info.name} (${engine.info.variant}, ${engine.info.provider}, ${engine.info.threads} threads), eos ${[...stopIds].join(',')}`,
  );
  const promptIds = (messages: ChatMessage[]): Promise<number[]> => renderIds(engine, messages);

  // ---- held-out quality
  const picked = pickItems(readJsonl<HeldoutItem>(join(dir, 'eval', 'heldout.jsonl')), { only, limit });
  const scored: Array<{ item: HeldoutItem; ok: boolean }> = [];
  const rows: unknown[] = [];
  const t0 = performance.now();
  for (const it of picked) {
    const r = await directReply(engine, it);
    const ok = passes(it, r.text, r.stopped);
    scored.push({ item: it, ok });
    rows.push({ id: it.id, ok, text: r.text, expected: it.expected });
    if (flag('verbose') || !ok)
      console.log(
        `${ok ? 'PASS' : 'FAIL'} ${it.id}: ${JSON.stringify(r.text.slice(0, 100))} (expected ${JSON.stringify(it.expected)})`,
      );
  }
  const cats = tally(scored);
  const secs = (performance.now() - t0) / 1000;
  console.log(`\nheld-out (${picked.length} items, ${secs.toFixed(0)} s):`);
  for (const [c, s] of cats) console.log(`  ${c.padEnd(18)} ${pct(s)}`);

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
