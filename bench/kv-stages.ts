// Where the time of saving and restoring a ~2k-token history goes (issue #18), stage by stage, on
// bench-100m with the exact codec. The product's paths end to end: the engine writing raw block files from
// its cache plus their index rows (save.files_ms), and reading them straight into a new generator
// (restore.files_ms). The general paths, for other codecs and older blocks: snapshotRange encoding on this
// thread + the store writing the files (save.snapshot_ms, save.store_ms), and planRestore + Generator.restoreKv
// (restore.plan_ms, restore.engine_ms). Stages timed on their own over the same blocks: export, gather,
// shuffle, zstd, checksum (save); file read, checksum, zstd, unshuffle (the compressed exact body of block
// versions <= 3), the raw body's decode (restore). Medians over rounds; 2 shared cores, so noisy.
// The near-exact fp16 codec against exact on the same blocks, both from memory (no files: their read cost is
// restore.file_read_ms, in proportion to bytes): save and restore time, stored bytes per token, and after a
// restore the max |Δlogit| of the next-token logits and the greedy agreement over the following tokens.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { xxh64 } from '@node-rs/xxhash';
import { Engine } from '../src/main/engine/index.ts';
import { decodeBlockInto, readHeader } from '../src/main/kv/block-format.ts';
import { newTarget } from '../src/main/kv/codec/tensors.ts';
import { modelKvContext } from '../src/main/kv/context.ts';
import type { BlockSource } from '../src/main/kv/ports.ts';
import { planRestore, restoreFromFiles } from '../src/main/kv/restore.ts';
import { snapshotRange } from '../src/main/kv/save.ts';
import { shuffle, unshuffle } from '../src/main/kv/shuffle.ts';
import { zstdCompress, zstdDecompress } from '../src/main/kv/zstd.ts';
import { Store } from '../src/main/store/store.ts';
import { BENCH_FIXTURE, ensureFixture } from '../tools/fixtures/build.ts';
import { CORPUS } from '../tools/fixtures/corpus.ts';
import { LONG_CONTEXT } from './long-context.ts';
import { median } from './stats.ts';

type Result = Record<string, number | string | boolean>;
const BLOCK = 64;
/** Tokens generated after a restore to compare fp16 with exact (teacher-forced on exact's greedy ids). */
const QUALITY_STEPS = 64;

/** Blocks held in memory (the codec comparison leaves SQLite out). */
class MemBlocks implements BlockSource {
  readonly m = new Map<string, Buffer>();
  blockData = (h: string) => this.m.get(h);
  hasBlock = (h: string) => this.m.has(h);
}

export async function benchKvStages(opts: { quick: boolean; log: (s: string) => void }): Promise<Result> {
  const { quick, log } = opts;
  const rounds = quick ? 3 : 7;
  const tmp = mkdtempSync(join(tmpdir(), 'reprise-bench-kv-'));
  const engine = await Engine.load(ensureFixture(BENCH_FIXTURE, false, log), {
    provider: 'cpu',
    threads: availableParallelism(),
  });
  try {
    const ids = (await engine.tokenize(CORPUS.repeat(Math.ceil((LONG_CONTEXT * 8) / CORPUS.length)))).slice(
      0,
      LONG_CONTEXT,
    );
    const gen = await engine.createGenerator();
    await gen.appendTokens(ids);
    const ctx = modelKvContext(engine.info, 'exact', BLOCK);
    const t: Record<string, number[]> = {};
    const time = async <T>(k: string, fn: () => Promise<T> | T): Promise<T> => {
      const t0 = performance.now();
      const r = await fn();
      (t[k] ??= []).push(performance.now() - t0);
      return r;
    };
    /** A fresh store holding one message with the history's tokens (the blocks' owner). */
    const storeWithMessage = (name: string) => {
      const store = Store.open(join(tmp, name));
      const conv = store.conversations.create({ title: 'b', systemPrompt: '', sampling: {}, codec: 'exact' });
      const msg = store.messages.insert({
        conversationId: conv.id,
        parentId: null,
        role: 'user',
        content: 'x',
        tokenIds: ids,
        tokenEnd: ids.length,
      });
      return { store, msg };
    };
    let bytes = 0;
    const codecBytes: Record<string, number> = {};
    const mems: Record<string, MemBlocks> = {};
    for (let r = 0; r < rounds; r++) {
      // save, end to end: what a turn pays for a history none of which is stored yet
      const { store, msg } = storeWithMessage(`r${r}`);
      const snap = await time('save.snapshot_ms', () =>
        snapshotRange(ids, 0, ctx, (a, b) => gen.exportKv(a, b), store.blocks),
      );
      await time('save.store_ms', () => store.attachBlocks(msg.id, snap.blocks, snap.refs));
      bytes = snap.blocks.reduce((n, b) => n + b.storedBytes, 0);
      // save, the product's path (a turn, the API): the engine writes the raw block files from its cache,
      // then their index rows are committed
      const { store: hot, msg: hotMsg } = storeWithMessage(`hot${r}`);
      await time('save.files_ms', async () => {
        const s = await snapshotRange(ids, 0, ctx, (a, b) => gen.exportKv(a, b), hot.blocks, gen);
        hot.attachBlocks(hotMsg.id, s.blocks, s.refs);
      });
      // restore, the product's path: the engine reads the files straight into a new generator's cache
      const g1 = await engine.createGenerator();
      await time('restore.files_ms', async () => {
        const o = { maxTokens: ids.length, tailEnds: [ids.length], logger: console };
        const got = await restoreFromFiles(ids, ctx, hot.blocks, g1, o);
        if (got?.restoredTokens !== ids.length) throw new Error(`restored ${got?.restoredTokens} from files`);
      });
      await g1.dispose();
      hot.close();
      // save, stage by stage
      const kv = await time('save.export_ms', () => gen.exportKv(0, ids.length));
      const raws: Buffer[] = [];
      await time('save.gather_ms', () => {
        for (let s = 0; s < ids.length; s += BLOCK) {
          const e = Math.min(ids.length, s + BLOCK);
          const parts: Uint8Array[] = [];
          for (const l of kv.layers)
            for (const a of [l.key, l.value]) {
              const D = ctx.layout.headDim;
              for (let h = 0; h < ctx.layout.numKvHeads; h++) {
                const x = a.subarray((h * ids.length + s) * D, (h * ids.length + e) * D);
                parts.push(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
              }
            }
          raws.push(Buffer.concat(parts));
        }
      });
      const shuffled = await time('save.shuffle_ms', () => raws.map((x) => shuffle(x, 4)));
      const packed = await time('save.zstd_ms', () => Promise.all(shuffled.map((x) => zstdCompress(x))));
      await time('save.checksum_ms', () => packed.forEach((x) => xxh64(x)));

      // restore, end to end (SQLite read + checksum + zstd + unshuffle into one buffer, then to the engine)
      const g2 = await engine.createGenerator();
      const plan = await time('restore.plan_ms', () => planRestore(ids, ctx, store.blocks, { logger: console }));
      if (plan.restoredTokens !== ids.length) throw new Error(`restored ${plan.restoredTokens}`);
      await time('restore.engine_ms', () => g2.restoreKv([plan.kv!], { transfer: true }));
      (t['restore.total_ms'] ??= []).push(t['restore.plan_ms']!.at(-1)! + t['restore.engine_ms']!.at(-1)!);
      await g2.dispose();
      // restore, stage by stage
      const blobs = await time('restore.file_read_ms', () => plan.used.map((h) => store.blocks.blockData(h)!));
      await time('restore.checksum_ms', () => blobs.forEach((b) => readHeader(b)));
      // the compressed body (block versions <= 3), from the save stages above
      const bodies = await time('restore.zstd_ms', () =>
        Promise.all(packed.map((b, i) => zstdDecompress(b, raws[i]!.length))),
      );
      await time('restore.unshuffle_ms', () => bodies.forEach((b) => unshuffle(b, 4)));
      // the raw exact body (what is stored now): header + checksum + one copy per head row range
      const target = newTarget(ctx.layout, ids.length);
      await time('restore.decode_raw_ms', async () => {
        for (const [i, b] of blobs.entries()) {
          const start = i * BLOCK;
          target.at = start;
          target.limit = ids.length - start;
          const tokens = ids.slice(start, start + BLOCK);
          await decodeBlockInto(b, { hash: plan.used[i]!, layout: ctx.layout, start, tokens }, target);
        }
      });
      store.close();

      // exact vs fp16 from memory, in alternating order: save (export + encode) and restore (decode + engine)
      for (const codec of r % 2 ? (['fp16', 'exact'] as const) : (['exact', 'fp16'] as const)) {
        const c = modelKvContext(engine.info, codec, BLOCK);
        const mem = new MemBlocks();
        const s = await time(`${codec}.save_ms`, () => snapshotRange(ids, 0, c, (a, b) => gen.exportKv(a, b), mem));
        for (const b of s.blocks) mem.m.set(b.hash, b.data!);
        codecBytes[codec] = s.blocks.reduce((n, b) => n + b.storedBytes, 0);
        const g3 = await engine.createGenerator();
        const p = await time(`${codec}.restore_plan_ms`, () => planRestore(ids, c, mem, { logger: console }));
        await time(`${codec}.restore_engine_ms`, () => g3.restoreKv([p.kv!], { transfer: true }));
        (t[`${codec}.restore_ms`] ??= []).push(
          t[`${codec}.restore_plan_ms`]!.at(-1)! + t[`${codec}.restore_engine_ms`]!.at(-1)!,
        );
        await g3.dispose();
        if (r === 0) mems[codec] = mem;
      }
    }
    const out: Result = { 'kv.history_tokens': ids.length, 'kv.exact.bytes_per_token': Math.round(bytes / ids.length) };
    // the whole history, its partial tail included (fp16 stores that as fp16 too)
    out['kv.fp16_bytes_per_token'] = Math.round(codecBytes.fp16! / ids.length);
    Object.assign(out, await fp16Quality(engine, ids, mems, log));
    for (const [k, v] of Object.entries(t)) {
      log(`${k}: [${v.map((x) => x.toFixed(1)).join(' ')}]`);
      out[`kv.${k}`] = Math.round(median(v) * 10) / 10;
    }
    return out;
  } finally {
    await engine.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * fp16 vs exact after a restore of the whole history but its last token (which then runs for logits, as a
 * resumed turn does): max |Δlogit| over the next QUALITY_STEPS tokens' logits, and how often fp16's argmax is
 * exact's greedy token (teacher-forced: both read exact's continuation).
 */
async function fp16Quality(
  engine: Engine,
  ids: number[],
  mems: Record<string, MemBlocks>,
  log: (s: string) => void,
): Promise<Result> {
  const logits: Record<string, Float32Array[]> = {};
  const cont: number[] = [];
  for (const codec of ['exact', 'fp16'] as const) {
    const c = modelKvContext(engine.info, codec, BLOCK);
    const p = await planRestore(ids, c, mems[codec]!, { maxTokens: ids.length - 1, logger: console });
    if (p.restoredTokens !== ids.length - 1) throw new Error(`${codec}: restored ${p.restoredTokens}`);
    const g = await engine.createGenerator();
    await g.restoreKv([p.kv!], { transfer: true });
    await g.appendTokens(ids.slice(-1));
    const ls: Float32Array[] = [];
    for (let t = 0; t < QUALITY_STEPS; t++) {
      const l = await g.lastLogits();
      ls.push(l);
      if (codec === 'exact') cont.push(argmax(l));
      await g.appendTokens([cont[t]!]);
    }
    logits[codec] = ls;
    await g.dispose();
  }
  let maxD = 0;
  let firstD = 0;
  let agree = 0;
  for (let t = 0; t < QUALITY_STEPS; t++) {
    const a = logits.exact![t]!;
    const b = logits.fp16![t]!;
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
    if (t === 0) firstD = m;
    maxD = Math.max(maxD, m);
    if (argmax(b) === cont[t]) agree++;
  }
  log(
    `fp16 vs exact: next-token max|Δlogit| ${firstD.toPrecision(3)}, over ${QUALITY_STEPS} tokens ${maxD.toPrecision(3)}, greedy ${agree}/${QUALITY_STEPS}`,
  );
  return {
    'kv.fp16_max_abs_dlogit': Number(firstD.toPrecision(3)),
    'kv.fp16_max_abs_dlogit_64': Number(maxD.toPrecision(3)),
    'kv.fp16_greedy_agreement': Math.round((agree / QUALITY_STEPS) * 1000) / 1000,
  };
}

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await benchKvStages({ quick: process.argv.includes('--quick'), log: (s) => console.log(s) });
  console.log(JSON.stringify(r, null, 2));
}
