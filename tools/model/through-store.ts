// `npm run eval:model -- --through-store`: the held-out eval through save -> new process -> restore.
//
//   npm run eval:model -- --through-store [--codec exact|int8|int4] [--only CAT | --category CAT] [--limit N]
//                                         [--threads N] [--model DIR] [--data DIR --keep] [--json FILE] [--verbose]
//                                         [--direct-from FILE]  (reuse the direct replies of an earlier --json)
//
// For every held-out item (messages = history + a final user question):
//   phase "save" (child process 1): a fresh data dir per item; a ChatService conversation with the item's
//     system prompt; every history user message is sent with ChatService.sendMessage, and the model's reply
//     is replaced by the RECORDED assistant reply (teacher forcing: the generator's `generate` appends the
//     recorded ids instead of sampling; everything else is the real turn: token log via chatDelta, live
//     restore, prefill, prefix + reply snapshots, atomic commit). Each turn asserts that the chat path's
//     token log equals the direct eval's prompt ids so far. Then everything is closed.
//   phase "restore" (child process 2, a new process): the same data dir, a new Engine and ChatService; the
//     final question goes through sendMessage. Asserted from the turn's stats: restore_source "store",
//     restored_tokens = the whole history log, prefilled_tokens = only the new message's tokens, and the
//     turn's token log = the direct eval's prompt ids. The reply is scored with the direct eval's checker.
//   direct (this process): the plain eval (`directReply`) on the same items, then both side by side and the
//     number of items whose greedy reply ids differ.
// Why replay and not import: an imported conversation has no KV blocks and ChatService has no "prefill
// without replying" operation, so the first turn after an import prefills the whole history (the import
// path, not the restore path). Replaying the user turns is how such a conversation is really stored;
// forcing the recorded replies keeps the token log identical to the direct eval's (asserted per turn).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChatService } from '../../src/main/chat/service.ts';
import type { TurnStats } from '../../src/main/chat/types.ts';
import { Engine, type GenerationResult, type Generator, type PredictOptions } from '../../src/main/engine/index.ts';
import { type CodecName, isCodecName } from '../../src/main/kv/codec/types.ts';
import { CODEC_LABELS } from '../../src/shared/vocabulary.ts';
import type { KvLogger } from '../../src/main/kv/context.ts';
import { Store } from '../../src/main/store/store.ts';
import {
  type HeldoutItem,
  type Reply,
  arg,
  directReply,
  flag,
  passes,
  pct,
  pickItems,
  promptIds,
  readJsonl,
  tally,
} from './heldout.ts';

interface Job {
  model: string;
  codec: CodecName;
  threads?: number;
  items: HeldoutItem[];
}
interface SaveRow {
  id: string;
  conversationId: string;
  /** History turns replayed (user message + recorded reply). */
  turns: number;
  /** Tokens of the stored history log (0: nothing before the final question but maybe a system prompt). */
  historyTokens: number;
  blocks: number;
  storedBytes: number;
  problems: string[];
}
interface RestoreRow {
  id: string;
  ids: number[];
  text: string;
  stopped: boolean;
  stats: TurnStats;
  promptTokens: number;
  newTokens: number;
  problems: string[];
}

const EVAL_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'eval.ts');
const itemDir = (work: string, id: string): string => join(work, 'data', id);
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** History = every message before the final user question; the system prompt is the conversation's. */
function splitItem(it: HeldoutItem): {
  system: string;
  pairs: Array<{ user: string; reply: string }>;
  question: string;
} {
  const msgs = it.messages;
  const system = msgs[0]?.role === 'system' ? msgs[0].content : '';
  const rest = msgs.slice(msgs[0]?.role === 'system' ? 1 : 0);
  const last = rest[rest.length - 1];
  if (!last || last.role !== 'user') throw new Error(`${it.id}: the last message is not a user message`);
  const pairs: Array<{ user: string; reply: string }> = [];
  for (let i = 0; i + 1 < rest.length; i += 2) {
    const u = rest[i]!;
    const a = rest[i + 1]!;
    if (u.role !== 'user' || a.role !== 'assistant')
      throw new Error(`${it.id}: history is not user/assistant pairs at message ${i}`);
    pairs.push({ user: u.content, reply: a.content });
  }
  return { system, pairs, question: last.content };
}

// ---- phase "save": teacher-forced replay of the history through ChatService ---------------------------

interface Recorded {
  /** The direct eval's prompt ids for the whole item: the recorded reply is read off them. */
  expect: number[];
  text: string;
}

/**
 * The engine as ChatService sees it, except that a generator's `generate` appends the queued recorded reply
 * (its ids up to and including `<|im_end|>`, taken from the direct eval's prompt ids) instead of sampling.
 */
function forcingEngine(engine: Engine, imEnd: number): { engine: Engine; queue: (r: Recorded) => void } {
  let pending: Recorded | null = null;
  const force = (gen: Generator): Generator => {
    const generate = async (o: PredictOptions = {}): Promise<GenerationResult> => {
      const r = pending;
      pending = null;
      if (!r) throw new Error('no recorded reply queued');
      const at = gen.tokenCount;
      const bad = gen.tokens.findIndex((t, i) => r.expect[i] !== t);
      if (bad >= 0 || at > r.expect.length)
        throw new Error(`the chat path's token log differs from the direct eval's prompt at position ${bad}`);
      const end = r.expect.indexOf(imEnd, at);
      if (end < 0) throw new Error(`no <|im_end|> after position ${at} in the direct eval's prompt`);
      const ids = r.expect.slice(at, end + 1);
      const decoded = await engine.detokenize(ids.slice(0, -1), { skipSpecial: true });
      if (decoded !== r.text)
        throw new Error(`recorded reply ids decode to ${JSON.stringify(decoded)}, not ${JSON.stringify(r.text)}`);
      const t0 = performance.now();
      await gen.appendTokens(ids);
      o.onFragment?.({ text: r.text, tokenId: ids[0]! });
      const totalMs = performance.now() - t0;
      return {
        text: r.text,
        tokenIds: ids,
        stopReason: 'eos',
        promptTokens: 0,
        generatedTokens: ids.length,
        ttftMs: 0,
        decodeTokS: 0,
        totalMs,
        seed: 0,
      };
    };
    return Object.assign(gen, { generate: generate as unknown as Generator['generate'] });
  };
  const proxy = new Proxy(engine, {
    get(target, prop) {
      if (prop === 'createGenerator') return async () => force(await target.createGenerator());
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { engine: proxy, queue: (r) => (pending = r) };
}

async function phaseSave(work: string): Promise<void> {
  const job = readJson<Job>(join(work, 'job.json'));
  const engine = await Engine.load(job.model, { provider: 'cpu', ...(job.threads ? { threads: job.threads } : {}) });
  const [imEnd] = await engine.tokenize('<|im_end|>', { special: true });
  if (imEnd === undefined || !engine.info.eosTokenIds.includes(imEnd)) throw new Error('<|im_end|> is not an EOS id');
  const forcing = forcingEngine(engine, imEnd);
  const rows: SaveRow[] = [];
  const t0 = performance.now();
  for (const it of job.items) {
    const { system, pairs } = splitItem(it);
    const problems: string[] = [];
    const logger: KvLogger = { warn: (m) => problems.push(`warning: ${m}`) };
    const expect = await promptIds(engine, it.messages);
    const dir = itemDir(work, it.id);
    mkdirSync(dir, { recursive: true });
    const store = Store.open(dir);
    const svc = new ChatService({ store, engine: forcing.engine, logger, defaultCodec: job.codec });
    const conv = svc.createConversation({
      title: it.id,
      systemPrompt: system,
      sampling: { temperature: 0, maxTokens: it.max_new_tokens },
      codec: job.codec,
    });
    try {
      for (const p of pairs) {
        forcing.queue({ expect, text: p.reply });
        const r = await svc.sendMessage({ conversationId: conv.id, text: p.user });
        if (r.message.content !== p.reply) problems.push(`stored reply differs: ${JSON.stringify(r.message.content)}`);
        if (r.stats.droppedMessages) problems.push(`context overflow: ${r.stats.droppedMessages} messages dropped`);
      }
    } catch (e) {
      problems.push(`save failed: ${(e as Error).message}`);
    }
    const leaf = store.conversations.require(conv.id).activeLeafId;
    const history = leaf ? (store.messages.tokenLog(leaf) ?? []) : [];
    if (history.some((t, i) => t !== expect[i])) problems.push('stored history log is not a prefix of the prompt');
    const usage = store.blocks.usage();
    rows.push({
      id: it.id,
      conversationId: conv.id,
      turns: pairs.length,
      historyTokens: history.length,
      blocks: usage.blocks,
      storedBytes: usage.storedBytes,
      problems,
    });
    await svc.close();
    store.close();
    if (problems.length) console.log(`save ${it.id}: ${problems.join('; ')}`);
    if (rows.length % 25 === 0) console.log(`  save: ${rows.length}/${job.items.length}`);
  }
  await engine.dispose();
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(join(work, 'save.json'), JSON.stringify({ seconds, rows }));
}

// ---- phase "restore": a new process opens the stores and asks the final questions ---------------------

async function phaseRestore(work: string): Promise<void> {
  const job = readJson<Job>(join(work, 'job.json'));
  const saved = new Map(readJson<{ rows: SaveRow[] }>(join(work, 'save.json')).rows.map((r) => [r.id, r]));
  const engine = await Engine.load(job.model, { provider: 'cpu', ...(job.threads ? { threads: job.threads } : {}) });
  const rows: RestoreRow[] = [];
  const t0 = performance.now();
  for (const it of job.items) {
    const s = saved.get(it.id);
    if (!s) throw new Error(`${it.id}: not saved`);
    const problems: string[] = [];
    const logger: KvLogger = { warn: (m) => problems.push(`warning: ${m}`) };
    const store = Store.open(itemDir(work, it.id));
    const svc = new ChatService({ store, engine, logger, defaultCodec: job.codec });
    try {
      const r = await svc.sendMessage({ conversationId: s.conversationId, text: splitItem(it).question });
      const st = r.stats;
      const prompt = store.messages.tokenLog(r.userMessage.id) ?? [];
      const expect = await promptIds(engine, it.messages);
      if (prompt.length !== expect.length || prompt.some((t, i) => t !== expect[i]))
        problems.push(`turn token log (${prompt.length}) differs from the direct eval's prompt (${expect.length})`);
      const newTokens = prompt.length - s.historyTokens;
      if (s.historyTokens > 0) {
        if (st.restoreSource !== 'store') problems.push(`restore_source ${st.restoreSource}`);
        if (!(st.restoredTokens > 0)) problems.push('restored_tokens = 0');
        if (st.restoredTokens !== s.historyTokens)
          problems.push(`restored_tokens ${st.restoredTokens} != history ${s.historyTokens}`);
      } else if (st.restoredTokens !== 0) problems.push(`restored ${st.restoredTokens} tokens of an empty history`);
      if (st.prefilledTokens !== newTokens) problems.push(`prefilled_tokens ${st.prefilledTokens} != new ${newTokens}`);
      if (st.droppedMessages) problems.push(`context overflow: ${st.droppedMessages} messages dropped`);
      if (st.codec !== job.codec) problems.push(`codec ${st.codec}`);
      rows.push({
        id: it.id,
        ids: r.message.tokenIds ?? [],
        text: r.message.content,
        stopped: st.stopReason === 'eos',
        stats: st,
        promptTokens: prompt.length,
        newTokens,
        problems,
      });
    } catch (e) {
      problems.push(`turn failed: ${(e as Error).message}`);
      rows.push({
        id: it.id,
        ids: [],
        text: '',
        stopped: false,
        stats: null as unknown as TurnStats,
        promptTokens: 0,
        newTokens: 0,
        problems,
      });
    }
    await svc.close();
    store.close();
    if (problems.length) console.log(`restore ${it.id}: ${problems.join('; ')}`);
    if (rows.length % 25 === 0) console.log(`  restore: ${rows.length}/${job.items.length}`);
  }
  await engine.dispose();
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(join(work, 'restore.json'), JSON.stringify({ seconds, rows }));
}

/** Entry of the child processes: `eval.ts --phase save|restore --work DIR`. */
export async function runPhase(argv: string[]): Promise<void> {
  const phase = arg('phase', argv);
  const work = arg('work', argv);
  if (!work) throw new Error('--work DIR is required');
  if (phase === 'save') return phaseSave(work);
  if (phase === 'restore') return phaseRestore(work);
  throw new Error(`unknown --phase ${phase}`);
}

function child(phase: 'save' | 'restore', work: string): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', EVAL_SCRIPT, '--phase', phase, '--work', work], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`phase ${phase} exited with ${r.status ?? r.signal}`);
}

/** The direct replies recorded in an earlier `--through-store --json` output (every picked item must be there). */
function directFrom(file: string, items: HeldoutItem[]): Map<string, Reply> {
  const prev = readJson<{
    rows: Array<{ id: string; directText: string; directIds: number[]; directStopped: boolean }>;
  }>(file);
  const m = new Map(
    prev.rows.map((r) => [r.id, { ids: r.directIds, text: r.directText, stopped: r.directStopped, ms: 0 }]),
  );
  const missing = items.filter((it) => !m.has(it.id) || !m.get(it.id)!.ids);
  if (missing.length)
    throw new Error(`${file} has no direct reply for ${missing.length} items (e.g. ${missing[0]!.id})`);
  return m;
}

// ---- the orchestrator ---------------------------------------------------------------------------------

export async function throughStore(argv: string[]): Promise<void> {
  const model = resolve(arg('model', argv) ?? 'resources/models/reprise-tiny');
  const limit = Number(arg('limit', argv) ?? Infinity);
  const only = arg('only', argv) ?? arg('category', argv);
  const threads = arg('threads', argv) ? Number(arg('threads', argv)) : undefined;
  const codec = arg('codec', argv) ?? 'exact';
  if (!isCodecName(codec)) throw new Error(`--codec must be exact, int8 or int4 (got ${codec})`);
  const items = pickItems(readJsonl<HeldoutItem>(join(model, 'eval', 'heldout.jsonl')), { only, limit });
  if (items.length === 0) throw new Error('no held-out items picked');
  const given = arg('data', argv);
  if (given && existsSync(given) && readdirSync(given).length)
    throw new Error(`--data ${given} is not empty: use a fresh folder`);
  const work = given ? resolve(given) : mkdtempSync(join(tmpdir(), 'reprise-eval-store-'));
  mkdirSync(work, { recursive: true });
  const job: Job = { model, codec, ...(threads ? { threads } : {}), items };
  writeFileSync(join(work, 'job.json'), JSON.stringify(job));
  console.log(
    `through the snapshot store: ${items.length} items, codec ${CODEC_LABELS[codec].technical}, data ${work}`,
  );

  try {
    console.log('phase 1 (child process): replay each history through ChatService, blocks saved, closed');
    child('save', work);
    console.log('phase 2 (new child process): reopen the stores, send the final questions');
    child('restore', work);
    const save = readJson<{ seconds: number; rows: SaveRow[] }>(join(work, 'save.json'));
    const restore = readJson<{ seconds: number; rows: RestoreRow[] }>(join(work, 'restore.json'));
    const saved = new Map(save.rows.map((r) => [r.id, r]));
    const restored = new Map(restore.rows.map((r) => [r.id, r]));

    // the direct replies do not depend on the codec: --direct-from reuses those of an earlier --json output
    const from = arg('direct-from', argv);
    const reuse = from ? directFrom(from, items) : null;
    console.log(
      reuse ? `direct: reusing the replies in ${from}` : 'direct (this process): the plain eval on the same items',
    );
    const engine = reuse ? null : await Engine.load(model, { provider: 'cpu', ...(threads ? { threads } : {}) });
    const t0 = performance.now();
    const rows: Array<{
      item: HeldoutItem;
      d: Reply;
      s: RestoreRow;
      sv: SaveRow;
      okDirect: boolean;
      okStore: boolean;
      same: boolean;
    }> = [];
    for (const it of items) {
      const d = reuse ? reuse.get(it.id)! : await directReply(engine!, it);
      const s = restored.get(it.id)!;
      const sv = saved.get(it.id)!;
      const okDirect = passes(it, d.text, d.stopped);
      const okStore = passes(it, s.text, s.stopped);
      const same = d.ids.length === s.ids.length && d.ids.every((v, i) => v === s.ids[i]);
      rows.push({ item: it, d, s, sv, okDirect, okStore, same });
      if (flag('verbose', argv) || !same)
        console.log(
          `${same ? 'same' : 'DIFFERS'} ${it.id}: direct ${okDirect ? 'PASS' : 'FAIL'} ${JSON.stringify(d.text.slice(0, 80))}` +
            (same ? '' : ` | store ${okStore ? 'PASS' : 'FAIL'} ${JSON.stringify(s.text.slice(0, 80))}`),
        );
    }
    const directSecs = (performance.now() - t0) / 1000;
    await engine?.dispose();

    const lossy = codec === 'exact' ? '' : ', LOSSY';
    const dCats = tally(rows.map((r) => ({ item: r.item, ok: r.okDirect })));
    const sCats = tally(rows.map((r) => ({ item: r.item, ok: r.okStore })));
    const all = (k: 'okDirect' | 'okStore') => ({ n: rows.length, pass: rows.filter((r) => r[k]).length });
    console.log(
      `\nheld-out, ${items.length} items: direct ${reuse ? 'reused' : `${directSecs.toFixed(0)} s`} | through the store (codec ${codec}${lossy}): ` +
        `save ${save.seconds.toFixed(0)} s, restore + reply ${restore.seconds.toFixed(0)} s`,
    );
    console.log(`  ${'category'.padEnd(18)} ${'direct'.padEnd(15)} through store (${codec}${lossy})`);
    for (const [c, s] of dCats) console.log(`  ${c.padEnd(18)} ${pct(s)}  ${pct(sCats.get(c))}`);
    console.log(`  ${'all'.padEnd(18)} ${pct(all('okDirect'))}  ${pct(all('okStore'))}`);

    const differ = rows.filter((r) => !r.same);
    const flips = differ.filter((r) => r.okDirect !== r.okStore).length;
    console.log(
      `\ngreedy replies that differ (ids, direct vs through the store): ${differ.length}/${rows.length}` +
        (differ.length ? ` (${flips} of them change the verdict)` : ''),
    );
    const withHist = rows.filter((r) => r.sv.historyTokens > 0);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const problems = rows.flatMap((r) => [...r.sv.problems, ...r.s.problems].map((p) => `${r.item.id}: ${p}`));
    console.log(
      `restore checks: ${withHist.length} items with a history: restore_source store, restored_tokens = the history ` +
        `(mean ${mean(withHist.map((r) => r.s.stats?.restoredTokens ?? 0)).toFixed(0)} tokens, ` +
        `mean restore ${mean(withHist.map((r) => r.s.stats?.restoreMs ?? 0)).toFixed(1)} ms), ` +
        `prefilled_tokens = the new message only (mean ${mean(withHist.map((r) => r.s.stats?.prefilledTokens ?? 0)).toFixed(1)} tokens); ` +
        `${rows.length - withHist.length} items with no history (a first message, maybe after a system prompt): nothing to restore`,
    );
    console.log(
      `stored: ${(mean(save.rows.map((r) => r.storedBytes)) / 1e6).toFixed(2)} MB per conversation on average`,
    );
    console.log(problems.length ? `PROBLEMS (${problems.length}):\n  ${problems.join('\n  ')}` : 'problems: none');

    const out = arg('json', argv);
    if (out)
      writeFileSync(
        out,
        JSON.stringify(
          {
            codec,
            lossy: codec !== 'exact',
            items: items.length,
            seconds: { direct: directSecs, save: save.seconds, restore: restore.seconds },
            direct: Object.fromEntries(dCats),
            throughStore: Object.fromEntries(sCats),
            differ: differ.length,
            problems,
            rows: rows.map((r) => ({
              id: r.item.id,
              direct: r.okDirect,
              store: r.okStore,
              same: r.same,
              historyTokens: r.sv.historyTokens,
              restored: r.s.stats?.restoredTokens,
              prefilled: r.s.stats?.prefilledTokens,
              text: r.s.text,
              directText: r.d.text,
              directIds: r.d.ids,
              directStopped: r.d.stopped,
            })),
          },
          null,
          1,
        ),
      );
    if (problems.length) process.exitCode = 1;
  } finally {
    if (!given && !flag('keep', argv)) rmSync(work, { recursive: true, force: true });
  }
}
