// `npm run bench:peer [-- --rounds 7] [-- --steps 32] [-- --quick]` (issue #18): Reprise side by side with node-llama-cpp
// 3.21.1 (llama.cpp's own Node binding) on the same weights: bench-100m converted to GGUF f32 by our own
// tools/gguf. 2 threads each; rounds interleaved (the engine that goes first alternates); medians of the
// per-round values; ratios are ours / peer of those medians. Writes bench/results/peer.json.
//
// node-llama-cpp lives in this folder's own package.json (its optional GPU prebuilts are huge, so the root
// install never fetches it): `cd bench/peer && npm ci --omit=optional --ignore-scripts` once.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine, type Generator } from '../../src/main/engine/index.ts';
import { modelKvContext } from '../../src/main/kv/context.ts';
import { restorePrefix } from '../../src/main/chat/prefix-restore.ts';
import { TokenChain } from '../../src/main/kv/token-chain.ts';
import { snapshotRange } from '../../src/main/kv/save.ts';
import { Store } from '../../src/main/store/store.ts';
import { BENCH_FIXTURE, ensureFixture } from '../../tools/fixtures/build.ts';
import { CORPUS } from '../../tools/fixtures/corpus.ts';
import { convertLlamaOnnxToGguf } from '../../tools/gguf/llama-from-onnx.ts';
import { LONG_CONTEXT } from '../long-context.ts';
import { median } from '../stats.ts';

const THREADS = 2;
const SHORT = 16;
const TURN = 63;
const BLOCK = 64;
const PEER_DIR = import.meta.dirname;

/** The part of node-llama-cpp 3.21.1's API this bench uses (loaded at run time: it is not a root dependency). */
interface LlamaSequence {
  readonly nextTokenIndex: number;
  clearHistory(): Promise<void>;
  eraseContextTokenRanges(r: { start: number; end: number }[]): Promise<void>;
  evaluate(tokens: number[], o?: { temperature?: number }): AsyncGenerator<number, void, void>;
  evaluateWithoutGeneratingNewTokens(tokens: number[]): Promise<void>;
  saveStateToFile(path: string): Promise<{ fileSize: number }>;
  loadStateFromFile(path: string, o: { acceptRisk: true }): Promise<void>;
}
interface NodeLlamaCpp {
  getLlama(o: object): Promise<{
    loadModel(o: { modelPath: string; gpuLayers: number }): Promise<{
      createContext(o: { contextSize: number; threads: object; sequences: number }): Promise<{
        getSequence(): LlamaSequence;
      }>;
    }>;
  }>;
}

type Metric = 'prefill_ms' | 'decode_16_ms' | 'decode_2k_ms' | 'save_ms' | 'save_turn_ms' | 'restore_ms' | 'resume_ms';
type Times = Record<Metric, number[]>;
const newTimes = (): Times => ({
  prefill_ms: [],
  decode_16_ms: [],
  decode_2k_ms: [],
  save_ms: [],
  save_turn_ms: [],
  restore_ms: [],
  resume_ms: [],
});
const pause = (ms = 150) => new Promise((r) => setTimeout(r, ms)); // let the previous step's cleanup settle
async function timed<T>(xs: number[], fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  xs.push(performance.now() - t0);
  return r;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, rounds: { type: 'string' }, steps: { type: 'string' } },
  });
  if (!existsSync(join(PEER_DIR, 'node_modules', 'node-llama-cpp', 'package.json'))) {
    console.error(
      'bench:peer needs node-llama-cpp, which is not part of the root install. Install it once with:\n' +
        '  cd bench/peer && npm ci --omit=optional --ignore-scripts\n' +
        '(the linux-x64 CPU prebuilt only; no GPU packages, no compile, no download at run time)',
    );
    process.exit(1);
  }
  const quick = values.quick ?? false;
  const rounds = Number(values.rounds ?? (quick ? 3 : 7));
  const steps = Number(values.steps ?? (quick ? 16 : 32));
  const log = (s: string) => console.log(`   ${s}`);
  const dir = ensureFixture(BENCH_FIXTURE, false, log);
  const gguf = join(dir, `${BENCH_FIXTURE.name}-f32.gguf`); // inside the fixture: rebuilt with it
  if (!existsSync(gguf)) {
    const t0 = performance.now();
    convertLlamaOnnxToGguf(dir, gguf);
    log(`converted to ${gguf} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'reprise-bench-peer-'));
  const load0 = loadavg();

  const engine = await Engine.load(dir, { provider: 'cpu', threads: THREADS });
  const peerModule = 'node-llama-cpp'; // resolved from this folder's node_modules (not a literal: no root types)
  const { getLlama } = (await import(peerModule)) as NodeLlamaCpp;
  const llama = await getLlama({
    gpu: false,
    build: 'never',
    usePrebuiltBinaries: true,
    skipDownload: true,
    progressLogs: false,
    maxThreads: THREADS,
  });
  const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: BENCH_FIXTURE.contextLength,
    threads: { ideal: THREADS, min: THREADS },
    sequences: 1,
  });
  const seq = context.getSequence();

  const stream = await engine.tokenize(CORPUS.repeat(Math.ceil(((LONG_CONTEXT + 2 * TURN) * 8) / CORPUS.length)));
  const hist = stream.slice(0, LONG_CONTEXT);
  const turn = stream.slice(LONG_CONTEXT, LONG_CONTEXT + TURN);
  const question = await engine.tokenize('\nQuestion: what did the fox say to the lazy dog, and why?\n');
  log(
    `${BENCH_FIXTURE.name}: history ${hist.length} tokens, turn ${turn.length}, new message ${question.length}; ${THREADS} threads each; ${rounds} rounds; ${steps} decode steps`,
  );

  // same weights: greedy ids from the same 16 prompt ids (ids in, not text, so tokenizers cannot differ)
  const g0 = await engine.createGenerator();
  await g0.appendTokens(hist.slice(0, SHORT));
  const oursIds = (await g0.generate({ sampling: { greedy: true }, maxTokens: 64, ignoreEos: true })).tokenIds;
  await g0.dispose();
  const peerIds: number[] = [];
  for await (const t of seq.evaluate(hist.slice(0, SHORT), { temperature: 0 })) if (peerIds.push(t) >= 64) break;
  let agree = 0;
  while (agree < 64 && oursIds[agree] === peerIds[agree]) agree++;
  log(
    `greedy ids agree for ${agree}/64 tokens${agree < 64 ? ` (ours ${oursIds.join(',')}; peer ${peerIds.join(',')})` : ''}`,
  );

  const ctx = modelKvContext(engine.info, 'exact', BLOCK);
  const t = { ours: newTimes(), peer: newTimes() };
  let oursBytes = 0;
  let peerBytes = 0;

  const decodeOurs = async (gen: Generator, len: number) => {
    await gen.rewindTo(len);
    await pause();
    const r = await gen.generate({ sampling: { greedy: true }, maxTokens: steps, ignoreEos: true, recordSteps: true });
    return median(r.stepMs ?? []);
  };
  const decodePeer = async (len: number) => {
    if (seq.nextTokenIndex > len - 1) await seq.eraseContextTokenRanges([{ start: len - 1, end: seq.nextTokenIndex }]);
    await pause();
    const at: number[] = [];
    for await (const _ of seq.evaluate([hist[len - 1]!], { temperature: 0 }))
      if (at.push(performance.now()) >= steps) break;
    return median(at.slice(1).map((x, i) => x - at[i]!));
  };

  const ours = async (r: number, T: Times) => {
    const g16 = await engine.createGenerator();
    await g16.appendTokens(hist.slice(0, SHORT));
    T.decode_16_ms.push(await decodeOurs(g16, SHORT));
    await g16.dispose();
    const gen = await engine.createGenerator();
    await pause();
    await timed(T.prefill_ms, () => gen.appendTokens(hist));
    // save: the chat's path (snapshot the new blocks, commit them with the message), as bench/resume.ts times it
    // Two stores: `store` keeps exactly the 2031-token save (restored below, like the peer's whole-state file);
    // `turns` gets the same save untimed, then the turn on top (a filled tail block replaces the partial one).
    const open = (name: string) => {
      const st = Store.open(join(tmp, `ours-${r}-${name}`));
      const conv = st.conversations.create({ title: 'peer', systemPrompt: '', sampling: {}, codec: 'exact' });
      return (tokenIds: number[], tokenEnd: number, s: Awaited<ReturnType<typeof snapshotRange>> | null) => {
        if (!s) return st;
        st.commitMessages(conv.id, [
          {
            message: {
              conversationId: conv.id,
              parentId: st.conversations.require(conv.id).activeLeafId,
              role: tokenEnd === hist.length ? 'user' : 'assistant',
              content: 'x',
              tokenIds,
              tokenEnd,
            },
            blocks: s.blocks,
            refs: s.refs,
          },
        ]);
        return st;
      };
    };
    const commitWhole = open('whole');
    const commitTurn = open('turn');
    const store = commitWhole([], 0, null);
    const turns = commitTurn([], 0, null);
    const exportKv = (a: number, b: number) => gen.exportKv(a, b);
    await pause();
    await timed(T.save_ms, async () => {
      const s = await snapshotRange(hist, 0, ctx, exportKv, store.blocks, gen);
      commitWhole(hist, hist.length, s);
      oursBytes = s.blocks.reduce((n, b) => n + b.storedBytes, 0);
    });
    commitTurn(hist, hist.length, await snapshotRange(hist, 0, ctx, exportKv, turns.blocks, gen));
    await gen.appendTokens(turn);
    await pause();
    await timed(T.save_turn_ms, async () => {
      const all = [...hist, ...turn];
      commitTurn(turn, all.length, await snapshotRange(all, hist.length, ctx, exportKv, turns.blocks, gen));
    });
    turns.close();
    T.decode_2k_ms.push(await decodeOurs(gen, hist.length));
    await gen.dispose();
    // the product's path (a chat's turn and the API use it): raw block files read by the engine itself
    const restore = async (g: Generator) => {
      const o = { maxTokens: hist.length, tailEnds: [hist.length], logger: console };
      const r = await restorePrefix(g, TokenChain.of(hist, ctx), ctx, store, o);
      if (r.restored !== hist.length || r.source !== 'store')
        throw new Error(`ours restored ${r.restored} of ${hist.length} (${r.source})`);
    };
    const g2 = await engine.createGenerator();
    await pause();
    await timed(T.restore_ms, () => restore(g2));
    await g2.dispose();
    const g3 = await engine.createGenerator();
    await pause();
    await timed(T.resume_ms, async () => {
      await restore(g3);
      await g3.appendTokens(question);
      await g3.generateNextToken();
    });
    await g3.dispose();
    store.close();
  };

  const peer = async (r: number, T: Times) => {
    await seq.clearHistory();
    await seq.evaluateWithoutGeneratingNewTokens(hist.slice(0, SHORT - 1));
    T.decode_16_ms.push(await decodePeer(SHORT));
    await seq.clearHistory();
    await pause();
    await timed(T.prefill_ms, () => seq.evaluateWithoutGeneratingNewTokens(hist));
    const whole = join(tmp, `peer-${r}.bin`);
    await pause();
    peerBytes = (await timed(T.save_ms, () => seq.saveStateToFile(whole))).fileSize;
    await seq.evaluateWithoutGeneratingNewTokens(turn);
    await pause();
    await timed(T.save_turn_ms, () => seq.saveStateToFile(join(tmp, `peer-${r}-turn.bin`)));
    T.decode_2k_ms.push(await decodePeer(hist.length));
    await seq.clearHistory();
    await pause();
    await timed(T.restore_ms, () => seq.loadStateFromFile(whole, { acceptRisk: true }));
    if (seq.nextTokenIndex !== hist.length) throw new Error(`peer restored ${seq.nextTokenIndex} of ${hist.length}`);
    await seq.clearHistory();
    await pause();
    await timed(T.resume_ms, async () => {
      await seq.loadStateFromFile(whole, { acceptRisk: true });
      for await (const _ of seq.evaluate(question, { temperature: 0 })) break;
    });
  };

  try {
    await ours(-1, newTimes()); // warm-up of each (page faults, arenas, JIT), untimed
    await peer(-1, newTimes());
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? (['peer', 'ours'] as const) : (['ours', 'peer'] as const);
      for (const who of order) await (who === 'ours' ? ours(r, t.ours) : peer(r, t.peer));
      log(`round ${r + 1}/${rounds} done (load ${loadavg()[0]!.toFixed(2)})`);
    }
  } finally {
    await engine.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }

  const out: Record<string, number | string | boolean> = {};
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const med = (who: 'ours' | 'peer', m: Metric) => median(t[who][m]);
  for (const who of ['ours', 'peer'] as const)
    for (const m of Object.keys(t[who]) as Metric[]) {
      const xs = t[who][m];
      log(`${who} ${m}: [${xs.map((x) => x.toFixed(1)).join(' ')}]`);
      out[`peer.${who}.${m}`] = r1(median(xs));
      out[`peer.${who}.${m}_range`] = `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
    }
  out['peer.ours.decode_16_tok_s'] = r1(1000 / med('ours', 'decode_16_ms'));
  out['peer.peer.decode_16_tok_s'] = r1(1000 / med('peer', 'decode_16_ms'));
  out['peer.ours.decode_2k_tok_s'] = r1(1000 / med('ours', 'decode_2k_ms'));
  out['peer.peer.decode_2k_tok_s'] = r1(1000 / med('peer', 'decode_2k_ms'));
  out['peer.ours.bytes_per_token'] = Math.round(oursBytes / hist.length);
  out['peer.peer.bytes_per_token'] = Math.round(peerBytes / hist.length);
  // time ratios: ours / peer (< 1: we are faster)
  for (const m of ['prefill', 'save', 'save_turn', 'restore', 'resume'] as const)
    out[`peer.${m}_ratio`] = r3(med('ours', `${m}_ms`) / med('peer', `${m}_ms`));
  // decode ratios: ours tok/s / peer tok/s (> 1: we decode faster)
  out['peer.decode_16_ratio'] = r3(med('peer', 'decode_16_ms') / med('ours', 'decode_16_ms'));
  out['peer.decode_2k_ratio'] = r3(med('peer', 'decode_2k_ms') / med('ours', 'decode_2k_ms'));
  out['peer.bytes_per_token_ratio'] = r3(oursBytes / peerBytes);
  out['peer.greedy_agree_64'] = agree;
  out['peer.history_tokens'] = hist.length;
  out['peer.rounds'] = rounds;

  const metaOut = {
    date: new Date().toISOString(),
    peer: 'node-llama-cpp 3.21.1 (linux-x64 CPU prebuilt), f32 GGUF, default f16 KV',
    threads: THREADS,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    node: process.versions.node,
    loadavg_start: load0.map(r1),
    loadavg_end: loadavg().map(r1),
  };
  const resDir = join(import.meta.dirname, '..', 'results');
  mkdirSync(resDir, { recursive: true });
  writeFileSync(join(resDir, 'peer.json'), JSON.stringify({ ...out, meta: metaOut }, null, 2) + '\n');
  const width = Math.max(...Object.keys(out).map((k) => k.length));
  console.log(
    '\n' +
      Object.entries(out)
        .map(([k, v]) => `${k.padEnd(width)}  ${String(v)}`)
        .join('\n'),
  );
  console.log(`\nload average ${load0.map(r1).join(' ')} at start, ${metaOut.loadavg_end.join(' ')} at end`);
  console.log('wrote bench/results/peer.json');
}

main().then(
  () => process.exit(0), // node-llama-cpp's native threads would keep the process alive
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
